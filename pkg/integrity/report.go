package integrity

import (
	"sort"
	"time"
)

// Status is the verdict on one digest, log file or gap.
type Status string

// Verdicts. Every status except Valid, Pending and ChainGap is a failure.
const (
	// Valid: a digest whose location, key, signature and chain link check
	// out, or a log file whose SHA-256 matches a valid digest.
	Valid Status = "valid"

	// Digest failures.
	DigestMissing    Status = "digest-missing"    // a newer digest names it as previous, but it is gone
	InvalidFormat    Status = "invalid-format"    // not gzip, not JSON, a required member missing, ...
	Moved            Status = "moved"             // read from another bucket/key than digestS3Bucket/digestS3Object
	KeyNotFound      Status = "key-not-found"     // no public key with its fingerprint valid at its end time
	SignatureMissing Status = "signature-missing" // no signature: no x-amz-meta-signature (or sidecar) and no newer digest linking to it
	SignatureInvalid Status = "signature-invalid" // the RSA signature does not verify
	ChainMismatch    Status = "chain-mismatch"    // its SHA-256 differs from the next digest's previousDigestHashValue

	// Log file failures.
	HashMismatch Status = "hash-mismatch" // SHA-256 of the uncompressed bytes differs from the digest's hashValue
	LogMissing   Status = "log-missing"   // referenced by a digest, not in the source
	Unreferenced Status = "unreferenced"  // in the source, referenced by no digest
	Untrusted    Status = "untrusted"     // referenced only by digests that are not valid

	// Either kind.
	Unreadable Status = "unreadable" // could not be read (I/O error after retries)

	// Warnings: reported, not failures.
	ChainGap Status = "chain-gap" // the chain restarts: no digest covers deliveries in the window
	Pending  Status = "pending"   // delivered after the newest digest: not covered yet
)

// Failed reports whether s is a failure (anything but valid, pending and a
// chain gap).
func (s Status) Failed() bool { return s != Valid && s != Pending && s != ChainGap }

// Item kinds.
const (
	KindDigest = "digest"
	KindLog    = "log"
	KindGap    = "gap"
)

// Item is one verdict.
type Item struct {
	Kind    string `json:"kind"`    // KindDigest, KindLog or KindGap
	Key     string `json:"key"`     // object key relative to the source (for a gap: the digest that restarts the chain)
	Layout  string `json:"layout"`  // the key from "AWSLogs/" on
	Account string `json:"account"` // account id from the key
	Region  string `json:"region"`  // source region from the key
	Status  Status `json:"status"`
	Detail  string `json:"detail,omitempty"` // why, with the values involved
	// Start and End: a digest's delivery window, a gap's window, a log
	// file's delivery time (Start only).
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// Digest names the digest that references a log file (layout key).
	Digest string `json:"digest,omitempty"`
	// SHA256 is the hex SHA-256 of a log file's uncompressed bytes, or of a
	// digest's, when it was computed.
	SHA256 string `json:"sha256,omitempty"`
}

// Summary counts verdicts.
type Summary struct {
	Digests      int `json:"digests"`
	ValidDigests int `json:"validDigests"`
	Logs         int `json:"logs"`
	ValidLogs    int `json:"validLogs"`
	Gaps         int `json:"gaps"`
	Pending      int `json:"pending"`
	Failures     int `json:"failures"`
}

// Report is the result of a validation.
type Report struct {
	Items []Item `json:"items"`
}

// Failures returns the items that failed.
func (r *Report) Failures() []Item {
	var out []Item
	for _, it := range r.Items {
		if it.Status.Failed() {
			out = append(out, it)
		}
	}
	return out
}

// Summary counts the report's verdicts.
func (r *Report) Summary() Summary {
	var s Summary
	for _, it := range r.Items {
		switch it.Kind {
		case KindDigest:
			s.Digests++
			if it.Status == Valid {
				s.ValidDigests++
			}
		case KindLog:
			s.Logs++
			if it.Status == Valid {
				s.ValidLogs++
			}
		case KindGap:
			s.Gaps++
		}
		if it.Status == Pending {
			s.Pending++
		}
		if it.Status.Failed() {
			s.Failures++
		}
	}
	return s
}

// sort orders items by account, region, time, kind and key.
func (r *Report) sort() {
	sort.SliceStable(r.Items, func(i, j int) bool {
		a, b := &r.Items[i], &r.Items[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Key < b.Key
	})
}
