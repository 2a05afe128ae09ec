package ingest

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/pkg/partition"
)

// Log kinds: the prefix under the account that holds the files.
const (
	KindCloudTrail      = "CloudTrail"
	KindInsight         = "CloudTrail-Insight"
	KindNetworkActivity = "CloudTrail-NetworkActivity"
	KindDigest          = "CloudTrail-Digest"
)

var orgRe = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)

// fileTimeRe finds the delivery timestamp in a log file name. CloudTrail
// writes ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz; some
// documentation omits the underscore before UNIQUE, so it is optional.
var fileTimeRe = regexp.MustCompile(`_([0-9]{8}T[0-9]{4}Z)_?[A-Za-z0-9]*\.json(\.gz)?$`)

// ObjectKey is a parsed CloudTrail log object key:
// [prefix/]AWSLogs/[o-xxxxxxxxxx/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/FILE.
type ObjectKey struct {
	Prefix   string    // bucket prefix before AWSLogs/, without trailing slash
	OrgID    string    // organization id, "" for single-account trails
	Account  string    // 12 digits
	Kind     string    // KindCloudTrail, KindInsight, ...
	Region   string    // validated region name
	Day      time.Time // the delivery day in the path (UTC midnight)
	Delivery time.Time // delivery time from the file name, or Day if absent
	File     string    // file name
	Layout   string    // the key from "AWSLogs/" on: the object's identity in the manifest
}

// ParseKey parses and validates a log object key. Every component that ends
// up in a lake path (account, region, day) is validated here.
func ParseKey(key string) (ObjectKey, error) {
	var k ObjectKey
	i := strings.Index("/"+key, "/AWSLogs/")
	if i < 0 {
		return k, fmt.Errorf("key %q: no AWSLogs/ component", key)
	}
	k.Prefix = strings.TrimSuffix(key[:i], "/")
	k.Layout = key[i:]
	parts := strings.Split(k.Layout, "/")[1:] // drop "AWSLogs"
	if len(parts) > 0 && orgRe.MatchString(parts[0]) {
		k.OrgID, parts = parts[0], parts[1:]
	}
	if len(parts) != 7 {
		return k, fmt.Errorf("key %q: want AWSLogs/[org/]account/CloudTrail/region/yyyy/mm/dd/file", key)
	}
	k.Account, k.Kind, k.Region, k.File = parts[0], parts[1], parts[2], parts[6]
	if !partition.ValidAccount(k.Account) {
		return k, fmt.Errorf("key %q: account %q is not 12 digits", key, k.Account)
	}
	switch k.Kind {
	case KindCloudTrail, KindInsight, KindNetworkActivity, KindDigest:
	default:
		return k, fmt.Errorf("key %q: unknown log kind %q", key, k.Kind)
	}
	if !partition.ValidRegion(k.Region) {
		return k, fmt.Errorf("key %q: invalid region %q", key, k.Region)
	}
	day, err := time.Parse("2006/01/02", parts[3]+"/"+parts[4]+"/"+parts[5])
	if err != nil || len(parts[3]) != 4 || len(parts[4]) != 2 || len(parts[5]) != 2 {
		return k, fmt.Errorf("key %q: invalid date path %s/%s/%s", key, parts[3], parts[4], parts[5])
	}
	k.Day, k.Delivery = day, day
	if k.File == "" {
		return k, fmt.Errorf("key %q: empty file name", key)
	}
	if m := fileTimeRe.FindStringSubmatch(k.File); m != nil {
		if t, err := time.Parse("20060102T1504Z", m[1]); err == nil {
			k.Delivery = t
		}
	}
	return k, nil
}
