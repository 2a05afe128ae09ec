package objstore

import (
	"fmt"
	"net/url"
	"strings"
)

// Location is a parsed bucket address: s3://bucket/prefix, file:///abs/dir or
// a plain directory path.
type Location struct {
	Scheme string // "s3" or "file"
	Bucket string // S3 bucket name; empty for files
	Path   string // S3 key prefix without leading slash, or a directory path
}

// String renders the location as a URL.
func (l Location) String() string {
	if l.Scheme == "s3" {
		if l.Path == "" {
			return "s3://" + l.Bucket
		}
		return "s3://" + l.Bucket + "/" + l.Path
	}
	return l.Path
}

// ParseLocation parses a user-supplied address.
func ParseLocation(s string) (Location, error) {
	switch {
	case s == "":
		return Location{}, fmt.Errorf("empty location")
	case strings.HasPrefix(s, "s3://"):
		rest := strings.TrimPrefix(s, "s3://")
		bucket, prefix, _ := strings.Cut(rest, "/")
		if !validBucketName(bucket) {
			return Location{}, fmt.Errorf("invalid S3 bucket name %q in %q", bucket, s)
		}
		return Location{Scheme: "s3", Bucket: bucket, Path: strings.Trim(prefix, "/")}, nil
	case strings.HasPrefix(s, "file://"):
		u, err := url.Parse(s)
		if err != nil {
			return Location{}, fmt.Errorf("invalid file URL %q: %w", s, err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return Location{}, fmt.Errorf("file URL %q names host %q; only local paths are supported", s, u.Host)
		}
		if u.Path == "" {
			return Location{}, fmt.Errorf("file URL %q has no path", s)
		}
		return Location{Scheme: "file", Path: u.Path}, nil
	case strings.Contains(s, "://"):
		return Location{}, fmt.Errorf("unsupported location %q: use s3://bucket/prefix, file:///dir or a directory path", s)
	default:
		return Location{Scheme: "file", Path: s}, nil
	}
}

// validBucketName checks S3's bucket naming rules loosely (3-63 characters of
// lower-case letters, digits, dots and hyphens).
func validBucketName(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
