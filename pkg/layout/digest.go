package layout

import (
	"fmt"
	"strings"
	"time"
)

// DigestKey is a parsed digest object key:
// [prefix/]AWSLogs/[o-id/]ACCOUNT/CloudTrail-Digest/REGION/YYYY/MM/DD/
// ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_YYYYMMDDTHHmmssZ[_backfill].json.gz
type DigestKey struct {
	Prefix     string    // bucket prefix before AWSLogs/, without trailing slash
	OrgID      string    // organization id, "" for single-account trails
	Account    string    // 12 digits
	Region     string    // source region (the path's and the name's first region)
	Trail      string    // trail name
	HomeRegion string    // the trail's home region
	End        time.Time // digest end time from the file name
	Backfill   bool      // a backfill digest (_backfill.json.gz)
	Layout     string    // the key from "AWSLogs/" on
}

// Chain identifies the chain a digest belongs to: digests of one account,
// source region and trail link to each other; backfill digests form their
// own chains.
func (k DigestKey) Chain() string {
	c := k.Account + "/" + k.Region + "/" + k.Trail + "/" + k.HomeRegion
	if k.Backfill {
		c += "/backfill"
	}
	return c
}

const digestTimeLayout = "20060102T150405Z"

// ParseDigestKey parses and validates a digest object key. The account and
// region in the file name must equal those of the path, and the path's date
// must be the date of the end time.
func ParseDigestKey(key string) (DigestKey, error) {
	var d DigestKey
	k, err := ParseKey(key)
	if err != nil {
		return d, err
	}
	if k.Kind != KindDigest {
		return d, fmt.Errorf("key %q: not a %s key", key, KindDigest)
	}
	d.Prefix, d.OrgID, d.Account, d.Region, d.Layout = k.Prefix, k.OrgID, k.Account, k.Region, k.Layout
	name, ok := strings.CutSuffix(k.File, ".json.gz")
	if !ok {
		return d, fmt.Errorf("key %q: digest file name does not end in .json.gz", key)
	}
	name, d.Backfill = strings.CutSuffix(name, "_backfill")
	head := k.Account + "_" + KindDigest + "_" + k.Region + "_"
	rest, ok := strings.CutPrefix(name, head)
	if !ok {
		return d, fmt.Errorf("key %q: file name does not start with %q", key, head)
	}
	// rest is TRAIL_HOMEREGION_TIMESTAMP; trail names may contain "_".
	i := strings.LastIndexByte(rest, '_')
	if i < 0 {
		return d, fmt.Errorf("key %q: no timestamp in file name", key)
	}
	end, err := time.Parse(digestTimeLayout, rest[i+1:])
	if err != nil {
		return d, fmt.Errorf("key %q: invalid timestamp %q", key, rest[i+1:])
	}
	rest = rest[:i]
	j := strings.LastIndexByte(rest, '_')
	if j <= 0 {
		return d, fmt.Errorf("key %q: want TRAIL_HOMEREGION before the timestamp", key)
	}
	d.Trail, d.HomeRegion, d.End = rest[:j], rest[j+1:], end
	if !ValidRegion(d.HomeRegion) {
		return d, fmt.Errorf("key %q: invalid home region %q", key, d.HomeRegion)
	}
	if !validTrailName(d.Trail) {
		return d, fmt.Errorf("key %q: invalid trail name %q", key, d.Trail)
	}
	if !k.Day.Equal(time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, time.UTC)) {
		return d, fmt.Errorf("key %q: path date %s is not the end date %s", key, k.Day.Format("2006/01/02"), end.Format("2006/01/02"))
	}
	return d, nil
}

// validTrailName accepts CloudTrail's trail-name characters: letters,
// digits, '.', '_' and '-', 3 to 128 of them.
func validTrailName(s string) bool {
	if len(s) < 3 || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
