package integrity

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrKeyNotFound is returned by a KeySource that has no key with the
// fingerprint a digest names.
var ErrKeyNotFound = errors.New("public key not found")

// PublicKey is one CloudTrail public key with its validity window.
type PublicKey struct {
	Fingerprint string
	Start, End  time.Time // validity window; a zero End is open
	Key         *rsa.PublicKey
}

// validAt reports whether t falls in the key's validity window.
func (k PublicKey) validAt(t time.Time) bool {
	return !t.Before(k.Start) && (k.End.IsZero() || !t.After(k.End))
}

// KeySource finds the public key a digest was signed with.
type KeySource interface {
	// PublicKey returns the key with the fingerprint, for a digest of the
	// region whose end time is at. It returns an error wrapping
	// ErrKeyNotFound when there is no such key, or none valid at that time.
	// It must be safe for concurrent use.
	PublicKey(ctx context.Context, region, fingerprint string, at time.Time) (PublicKey, error)
}

// KeySet is a fixed set of public keys, as saved from ListPublicKeys. Keys
// are looked up by fingerprint whatever the region.
type KeySet struct {
	byFingerprint map[string][]PublicKey
}

var _ KeySource = (*KeySet)(nil)

// NewKeySet returns a set holding keys.
func NewKeySet(keys ...PublicKey) *KeySet {
	s := &KeySet{byFingerprint: map[string][]PublicKey{}}
	s.Add(keys...)
	return s
}

// Add adds keys to the set.
func (s *KeySet) Add(keys ...PublicKey) {
	for _, k := range keys {
		fp := strings.ToLower(k.Fingerprint)
		s.byFingerprint[fp] = append(s.byFingerprint[fp], k)
	}
}

// Len returns the number of keys.
func (s *KeySet) Len() int {
	n := 0
	for _, ks := range s.byFingerprint {
		n += len(ks)
	}
	return n
}

// PublicKey implements KeySource.
func (s *KeySet) PublicKey(_ context.Context, _, fingerprint string, at time.Time) (PublicKey, error) {
	ks := s.byFingerprint[strings.ToLower(fingerprint)]
	if len(ks) == 0 {
		return PublicKey{}, fmt.Errorf("no public key with fingerprint %s: %w", fingerprint, ErrKeyNotFound)
	}
	for _, k := range ks {
		if k.validAt(at) {
			return k, nil
		}
	}
	return PublicKey{}, fmt.Errorf("public key %s is not valid at %s (valid %s to %s): %w",
		fingerprint, at.Format(time.RFC3339), ks[0].Start.Format(time.RFC3339), formatEnd(ks[0].End), ErrKeyNotFound)
}

func formatEnd(t time.Time) string {
	if t.IsZero() {
		return "now"
	}
	return t.Format(time.RFC3339)
}

// keysFile is the JSON that `aws cloudtrail list-public-keys` prints.
type keysFile struct {
	PublicKeyList []struct {
		Value             string          `json:"Value"`
		ValidityStartTime json.RawMessage `json:"ValidityStartTime"`
		ValidityEndTime   json.RawMessage `json:"ValidityEndTime"`
		Fingerprint       string          `json:"Fingerprint"`
	} `json:"PublicKeyList"`
}

// ParsePublicKeys reads the output of `aws cloudtrail list-public-keys`:
// {"PublicKeyList":[{"Value": base64 DER, "ValidityStartTime": ...,
// "ValidityEndTime": ..., "Fingerprint": ...}]}. Times may be ISO 8601 text
// or epoch seconds (the CLI's cli_timestamp_format setting).
func ParsePublicKeys(data []byte) (*KeySet, error) {
	var f keysFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("public keys: not list-public-keys JSON: %w", err)
	}
	if f.PublicKeyList == nil {
		return nil, fmt.Errorf("public keys: no PublicKeyList member")
	}
	s := NewKeySet()
	for i, e := range f.PublicKeyList {
		if e.Fingerprint == "" {
			return nil, fmt.Errorf("public keys: entry %d has no Fingerprint", i)
		}
		der, err := base64.StdEncoding.DecodeString(e.Value)
		if err != nil {
			return nil, fmt.Errorf("public keys: key %s: Value is not base64: %w", e.Fingerprint, err)
		}
		pub, err := ParseRSAPublicKey(der)
		if err != nil {
			return nil, fmt.Errorf("public keys: key %s: %w", e.Fingerprint, err)
		}
		k := PublicKey{Fingerprint: e.Fingerprint, Key: pub}
		if k.Start, err = parseKeyTime(e.ValidityStartTime); err != nil {
			return nil, fmt.Errorf("public keys: key %s: ValidityStartTime: %w", e.Fingerprint, err)
		}
		if k.End, err = parseKeyTime(e.ValidityEndTime); err != nil {
			return nil, fmt.Errorf("public keys: key %s: ValidityEndTime: %w", e.Fingerprint, err)
		}
		s.Add(k)
	}
	return s, nil
}

// MarshalPublicKeys writes keys in the list-public-keys JSON format.
func MarshalPublicKeys(keys []PublicKey) ([]byte, error) {
	type entry struct {
		Value             string `json:"Value"`
		ValidityStartTime string `json:"ValidityStartTime"`
		ValidityEndTime   string `json:"ValidityEndTime,omitempty"`
		Fingerprint       string `json:"Fingerprint"`
	}
	out := struct {
		PublicKeyList []entry `json:"PublicKeyList"`
	}{PublicKeyList: []entry{}}
	for _, k := range keys {
		e := entry{
			Value:             base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(k.Key)),
			ValidityStartTime: k.Start.UTC().Format(time.RFC3339),
			Fingerprint:       k.Fingerprint,
		}
		if !k.End.IsZero() {
			e.ValidityEndTime = k.End.UTC().Format(time.RFC3339)
		}
		out.PublicKeyList = append(out.PublicKeyList, e)
	}
	return json.MarshalIndent(out, "", "    ")
}

// ParseRSAPublicKey parses a DER RSA public key: PKCS#1 RSAPublicKey, which
// is what CloudTrail returns, or an X.509 SubjectPublicKeyInfo.
func ParseRSAPublicKey(der []byte) (*rsa.PublicKey, error) {
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("unable to load PKCS #1 key: %w", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("key is a %T, not RSA", k)
	}
	return rk, nil
}

func parseKeyTime(raw json.RawMessage) (time.Time, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return time.Time{}, nil
	}
	if s[0] == '"' {
		var t string
		if err := json.Unmarshal(raw, &t); err != nil {
			return time.Time{}, err
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00"} {
			if v, err := time.Parse(layout, t); err == nil {
				return v.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("invalid time %q", t)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid time %s", s)
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
}

// FetchFunc lists the public keys of a region valid in [start, end], e.g.
// through the CloudTrail ListPublicKeys API.
type FetchFunc func(ctx context.Context, region string, start, end time.Time) ([]PublicKey, error)

// RegionKeys is a KeySource that fetches each region's keys once, on first
// use, for a fixed time range.
type RegionKeys struct {
	fetch      FetchFunc
	start, end time.Time

	mu      sync.Mutex
	regions map[string]*regionEntry
}

type regionEntry struct {
	once sync.Once
	set  *KeySet
	err  error
}

var _ KeySource = (*RegionKeys)(nil)

// NewRegionKeys returns a KeySource that calls fetch once per region for the
// keys valid in [start, end].
func NewRegionKeys(fetch FetchFunc, start, end time.Time) *RegionKeys {
	return &RegionKeys{fetch: fetch, start: start, end: end, regions: map[string]*regionEntry{}}
}

// PublicKey implements KeySource.
func (r *RegionKeys) PublicKey(ctx context.Context, region, fingerprint string, at time.Time) (PublicKey, error) {
	r.mu.Lock()
	e := r.regions[region]
	if e == nil {
		e = &regionEntry{}
		r.regions[region] = e
	}
	r.mu.Unlock()
	e.once.Do(func() {
		keys, err := r.fetch(ctx, region, r.start, r.end)
		if err != nil {
			e.err = fmt.Errorf("list public keys of %s: %w", region, err)
			return
		}
		e.set = NewKeySet(keys...)
	})
	if e.err != nil {
		return PublicKey{}, e.err
	}
	return e.set.PublicKey(ctx, region, fingerprint, at)
}
