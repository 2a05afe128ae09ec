// Package layout is the S3 key layout CloudTrail delivers into, parsed once:
//
//	[prefix/]AWSLogs/[o-xxxxxxxxxx/]ACCOUNT/KIND/REGION/YYYY/MM/DD/FILE
//
// Ingest, integrity validation and coverage take account, region, delivery
// day and time from here, and the lake's partition paths are validated with
// the same rules (ValidAccount, ValidRegion). Every component that can end
// up in a path is validated: keys come from buckets, which are untrusted.
// The package imports only the standard library.
package layout

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Root is the key component every CloudTrail delivery path starts with.
const Root = "AWSLogs"

// Log kinds: the path component under the account that holds the files.
const (
	KindCloudTrail      = "CloudTrail"
	KindInsight         = "CloudTrail-Insight"
	KindNetworkActivity = "CloudTrail-NetworkActivity"
	KindDigest          = "CloudTrail-Digest"
)

// The patterns compile on first use (a bad one panics there), not at
// package initialisation: every command links this package, and most never
// parse a key.
var (
	accountRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{12}$`) })
	// regionRe accepts AWS region names such as us-east-1, eu-central-2,
	// us-gov-west-1, cn-north-1, us-isob-east-1 and ap-southeast-5.
	regionRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$`) })
	orgRe    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^o-[a-z0-9]{10,32}$`) })
	// fileTimeRe finds the delivery timestamp in a log file name. CloudTrail
	// writes ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz; some
	// documentation omits the underscore before UNIQUE, so it is optional.
	fileTimeRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`_([0-9]{8}T[0-9]{4}Z)_?[A-Za-z0-9]*\.json(\.gz)?$`) })
)

// fileTimeLayout is the time format of a log file name's timestamp.
const fileTimeLayout = "20060102T1504Z"

// ValidAccount reports whether s is a 12-digit AWS account id.
func ValidAccount(s string) bool { return accountRe().MatchString(s) }

// ValidRegion reports whether s has the syntax of an AWS region name.
func ValidRegion(s string) bool { return regionRe().MatchString(s) }

// ValidOrgID reports whether s is an AWS Organizations id (o-xxxxxxxxxx).
func ValidOrgID(s string) bool { return orgRe().MatchString(s) }

// IsRoot reports whether a listing prefix ("a/b/AWSLogs/" or "AWSLogs")
// names the AWSLogs/ directory of a trail.
func IsRoot(prefix string) bool {
	s := strings.TrimSuffix(prefix, "/")
	return s[strings.LastIndexByte(s, '/')+1:] == Root
}

// Key is a parsed CloudTrail object key:
// [prefix/]AWSLogs/[o-xxxxxxxxxx/]ACCOUNT/KIND/REGION/YYYY/MM/DD/FILE.
type Key struct {
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

// SplitRoot splits a key or prefix at its AWSLogs/ component: the bucket
// prefix before it (without trailing slash) and the rest from "AWSLogs/" on.
// ok is false when the key has no AWSLogs/ component.
func SplitRoot(key string) (prefix, layout string, ok bool) {
	i := strings.Index("/"+key, "/"+Root+"/")
	if i < 0 {
		return "", "", false
	}
	return strings.TrimSuffix(key[:i], "/"), key[i:], true
}

// ParseKey parses and validates an object key of any kind. Every component
// that ends up in a lake path (account, region, day) is validated here.
func ParseKey(key string) (Key, error) {
	var k Key
	var ok bool
	if k.Prefix, k.Layout, ok = SplitRoot(key); !ok {
		return k, fmt.Errorf("key %q: no %s/ component", key, Root)
	}
	parts := strings.Split(k.Layout, "/")[1:] // drop "AWSLogs"
	if len(parts) > 0 && ValidOrgID(parts[0]) {
		k.OrgID, parts = parts[0], parts[1:]
	}
	if len(parts) != 7 {
		return k, fmt.Errorf("key %q: want AWSLogs/[org/]account/CloudTrail/region/yyyy/mm/dd/file", key)
	}
	k.Account, k.Kind, k.Region, k.File = parts[0], parts[1], parts[2], parts[6]
	if !ValidAccount(k.Account) {
		return k, fmt.Errorf("key %q: account %q is not 12 digits", key, k.Account)
	}
	switch k.Kind {
	case KindCloudTrail, KindInsight, KindNetworkActivity, KindDigest:
	default:
		return k, fmt.Errorf("key %q: unknown log kind %q", key, k.Kind)
	}
	if !ValidRegion(k.Region) {
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
	if t, _, ok := FileTime(k.File); ok {
		k.Delivery = t
	}
	return k, nil
}

// FileTime returns the delivery time in a log file name
// (..._YYYYMMDDTHHmmZ_UNIQUE.json.gz) and the byte offset of the timestamp
// in name. ok is false when the name carries no timestamp.
func FileTime(name string) (t time.Time, at int, ok bool) {
	m := fileTimeRe().FindStringSubmatchIndex(name)
	if m == nil {
		return time.Time{}, 0, false
	}
	t, err := time.Parse(fileTimeLayout, name[m[2]:m[3]])
	if err != nil {
		return time.Time{}, 0, false
	}
	return t, m[2], true
}

// FormatFileTime formats t as a log file name's timestamp (minute precision).
func FormatFileTime(t time.Time) string { return t.UTC().Format(fileTimeLayout) }
