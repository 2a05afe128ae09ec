package integrity_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The test archive: one organization account and region, hourly digests
// chained exactly as CloudTrail does, two log files per hour.
const (
	testOrg     = "o-abcdefghij"
	testAccount = "111122223333"
	testRegion  = "us-east-1"
	testTrail   = "org_trail-1"
	testFP      = "0123456789abcdef0123456789abcdef"
)

var testBase = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

var (
	keysOnce          sync.Once
	trailKey, evilKey *rsa.PrivateKey
)

// testKeys returns the "CloudTrail" signing key and an attacker's key.
func testKeys(testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	keysOnce.Do(func() {
		var err error
		if trailKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if evilKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return trailKey, evilKey
}

// keysJSON is what `aws cloudtrail list-public-keys` prints for the trail key.
func keysJSON(t testing.TB, start, end time.Time) []byte {
	t.Helper()
	k, _ := testKeys(t)
	doc := map[string]any{"PublicKeyList": []map[string]any{{
		"Value":             base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&k.PublicKey)),
		"ValidityStartTime": start.Format("2006-01-02T15:04:05+00:00"),
		"ValidityEndTime":   end.Format("2006-01-02T15:04:05+00:00"),
		"Fingerprint":       testFP,
	}}}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// archive is a trail bucket's content in memory: object bytes by key (keys
// relative to the location the validator is pointed at) and the signature
// metadata of each digest.
type archive struct {
	bucket  string
	prefix  string // S3 key prefix before AWSLogs/, "" for none
	objects map[string][]byte
	sigs    map[string]string // digest key -> x-amz-meta-signature
	digests []string          // digest keys, oldest first
	logs    [][]string        // log keys by hour
	raw     map[string][]byte // uncompressed digests by key
}

type archiveOptions struct {
	hours     int
	restartAt int // hour whose digest starts a new chain (0: none)
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func logKey(at time.Time, unique string) string {
	return fmt.Sprintf("AWSLogs/%s/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz",
		testOrg, testAccount, testRegion, at.Format("2006/01/02"), testAccount, testRegion, at.Format("20060102T1504Z"), unique)
}

func digestKey(end time.Time) string {
	return fmt.Sprintf("AWSLogs/%s/%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz",
		testOrg, testAccount, testRegion, end.Format("2006/01/02"), testAccount, testRegion, testTrail, testRegion, end.Format("20060102T150405Z"))
}

func logContent(at time.Time, n int) []byte {
	return fmt.Appendf(nil, `{"Records":[{"eventVersion":"1.11","eventTime":%q,"eventName":"GetObject","eventID":"e-%d","awsRegion":%q,"recipientAccountId":%q}]}`,
		at.Add(-time.Minute).Format(time.RFC3339), n, testRegion, testAccount)
}

// buildArchive writes the log files and signs the digest chain following the
// documented algorithm: the string to sign is
// digestEndTime\ndigestS3Bucket/digestS3Object\nhex(sha256(uncompressed digest))\npreviousDigestSignature
// (the literal "null" for a starting digest), signed SHA256withRSA.
func buildArchive(t testing.TB, bucket, prefix string, o archiveOptions) *archive {
	t.Helper()
	key, _ := testKeys(t)
	a := &archive{bucket: bucket, prefix: prefix, objects: map[string][]byte{}, sigs: map[string]string{}, raw: map[string][]byte{}}
	full := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "/" + k
	}
	var prevObj, prevSig string
	var prevHash [32]byte
	n := 0
	for h := 0; h < o.hours; h++ {
		start := testBase.Add(time.Duration(h)*time.Hour + 17*time.Second)
		end := start.Add(time.Hour)
		var files []map[string]any
		var keys []string
		for _, m := range []int{10, 40} {
			at := start.Add(time.Duration(m) * time.Minute)
			lk := logKey(at, fmt.Sprintf("Ab%02dCd%02dEf%06d", h, m, n))
			content := logContent(at, n)
			n++
			a.objects[full(lk)] = gz(t, content)
			keys = append(keys, full(lk))
			sum := sha256.Sum256(content)
			files = append(files, map[string]any{
				"s3Bucket": bucket, "s3Object": full(lk), "hashValue": hex.EncodeToString(sum[:]), "hashAlgorithm": "SHA-256",
				"newestEventTime": at.Add(-time.Minute).Format(time.RFC3339), "oldestEventTime": at.Add(-time.Minute).Format(time.RFC3339),
			})
		}
		a.logs = append(a.logs, keys)
		dk := full(digestKey(end))
		d := map[string]any{
			"awsAccountId": testAccount, "digestStartTime": start.Format(time.RFC3339), "digestEndTime": end.Format(time.RFC3339),
			"digestS3Bucket": bucket, "digestS3Object": dk, "digestPublicKeyFingerprint": testFP,
			"digestSignatureAlgorithm": "SHA256withRSA", "newestEventTime": nil, "oldestEventTime": nil,
			"previousDigestS3Bucket": nil, "previousDigestS3Object": nil, "previousDigestHashValue": nil,
			"previousDigestHashAlgorithm": nil, "previousDigestSignature": nil, "logFiles": files,
		}
		if prevObj != "" && h != o.restartAt {
			d["previousDigestS3Bucket"], d["previousDigestS3Object"] = bucket, prevObj
			d["previousDigestHashValue"], d["previousDigestHashAlgorithm"] = hex.EncodeToString(prevHash[:]), "SHA-256"
			d["previousDigestSignature"] = prevSig
		}
		raw, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		sig := signDigest(t, key, raw)
		a.objects[dk], a.raw[dk], a.sigs[dk] = gz(t, raw), raw, sig
		a.digests = append(a.digests, dk)
		prevObj, prevSig, prevHash = dk, sig, sha256.Sum256(raw)
	}
	return a
}

// signDigest signs an uncompressed digest the way CloudTrail does.
func signDigest(t testing.TB, key *rsa.PrivateKey, raw []byte) string {
	t.Helper()
	var d struct {
		End    string  `json:"digestEndTime"`
		Bucket string  `json:"digestS3Bucket"`
		Object string  `json:"digestS3Object"`
		Prev   *string `json:"previousDigestSignature"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	prev := "null"
	if d.Prev != nil {
		prev = *d.Prev
	}
	sum := sha256.Sum256(raw)
	h := sha256.Sum256([]byte(d.End + "\n" + d.Bucket + "/" + d.Object + "\n" + hex.EncodeToString(sum[:]) + "\n" + prev))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(sig)
}

// rewriteDigest replaces digest k's content with edit(content), signed by
// key (fingerprint fp) in its metadata.
func (a *archive) rewriteDigest(t testing.TB, k string, key *rsa.PrivateKey, fp string, edit func(map[string]any)) {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(a.raw[k], &d); err != nil {
		t.Fatal(err)
	}
	d["digestPublicKeyFingerprint"] = fp
	if edit != nil {
		edit(d)
	}
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	a.objects[k], a.raw[k], a.sigs[k] = gz(t, raw), raw, signDigest(t, key, raw)
}

// writeLocal writes the archive under dir, each signature in a sidecar.
func (a *archive) writeLocal(t testing.TB, dir string, sidecars bool) {
	t.Helper()
	write := func(k string, b []byte) {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for k, b := range a.objects {
		write(k, b)
		if s, ok := a.sigs[k]; ok && sidecars {
			write(k+".signature", []byte(s+"\n"))
		}
	}
}

// writeS3 uploads the archive with each digest's signature in
// x-amz-meta-signature, as CloudTrail stores it.
func (a *archive) writeS3(t testing.TB, client *s3.Client, bucket string) {
	t.Helper()
	keys := make([]string, 0, len(a.objects))
	for k := range a.objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: bytes.NewReader(a.objects[k])}
		if s, ok := a.sigs[k]; ok {
			in.Metadata = map[string]string{"signature": s, "signature-algorithm": "SHA256withRSA"}
		}
		if _, err := client.PutObject(context.Background(), in); err != nil {
			t.Fatalf("put %s: %v", k, err)
		}
	}
}

// sha256Of returns the SHA-256 of a gzip object's uncompressed bytes.
func sha256Of(t testing.TB, gzData []byte) [32]byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gzData))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(raw)
}
