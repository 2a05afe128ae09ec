package integrity_test

import (
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/integrity"
)

// validDigest returns a digest document with every member, as a map to edit.
func validDigest() map[string]any {
	return map[string]any{
		"awsAccountId": "111122223333", "digestStartTime": "2024-03-01T00:00:00Z", "digestEndTime": "2024-03-01T01:00:00Z",
		"digestS3Bucket": "b", "digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/x.json.gz",
		"digestPublicKeyFingerprint": "ab", "digestSignatureAlgorithm": "SHA256withRSA",
		"newestEventTime": nil, "oldestEventTime": nil,
		"previousDigestS3Bucket": nil, "previousDigestS3Object": nil, "previousDigestHashValue": nil,
		"previousDigestHashAlgorithm": nil, "previousDigestSignature": nil,
		"logFiles": []any{map[string]any{"s3Bucket": "b", "s3Object": "k", "hashValue": strings.Repeat("ab", 32), "hashAlgorithm": "SHA-256"}},
	}
}

func TestParseDigest(t *testing.T) {
	chained := func(d map[string]any) {
		d["previousDigestS3Bucket"], d["previousDigestS3Object"] = "b", "prev"
		d["previousDigestHashValue"], d["previousDigestHashAlgorithm"] = strings.Repeat("0f", 32), "SHA-256"
		d["previousDigestSignature"] = "abcd"
	}
	cases := []struct {
		name    string
		edit    func(map[string]any)
		wantErr string
	}{
		{"starting digest", func(map[string]any) {}, ""},
		{"chained digest", chained, ""},
		{"missing member", func(d map[string]any) { delete(d, "previousDigestSignature") }, `missing member "previousDigestSignature"`},
		{"other algorithm", func(d map[string]any) { d["digestSignatureAlgorithm"] = "SHA1withRSA" }, "digestSignatureAlgorithm"},
		{"bad end time", func(d map[string]any) { d["digestEndTime"] = "yesterday" }, "digestEndTime"},
		{"end before start", func(d map[string]any) { d["digestEndTime"] = "2023-01-01T00:00:00Z" }, "before digestStartTime"},
		{"partly null chain", func(d map[string]any) { chained(d); d["previousDigestSignature"] = nil }, "partly null"},
		{"bad previous hash", func(d map[string]any) { chained(d); d["previousDigestHashValue"] = "xyz" }, "previousDigestHashValue"},
		{"bad log hash", func(d map[string]any) { d["logFiles"].([]any)[0].(map[string]any)["hashValue"] = "00" }, "logFiles[0]: hashValue"},
		{"log hash algorithm", func(d map[string]any) { d["logFiles"].([]any)[0].(map[string]any)["hashAlgorithm"] = "MD5" }, "hashAlgorithm"},
		{"wrong type", func(d map[string]any) { d["logFiles"] = "none" }, "invalid member types"},
		{"empty fingerprint", func(d map[string]any) { d["digestPublicKeyFingerprint"] = "" }, "digestPublicKeyFingerprint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := validDigest()
			c.edit(d)
			raw, _ := json.Marshal(d)
			got, err := integrity.ParseDigest(raw)
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseDigest: %v", err)
				}
				if got.End.IsZero() || len(got.LogFiles) != 1 {
					t.Fatalf("ParseDigest = %+v", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("ParseDigest error = %v, want it to mention %q", err, c.wantErr)
			}
		})
	}
	if _, err := integrity.ParseDigest([]byte(`[1]`)); err == nil {
		t.Fatal("ParseDigest accepted an array")
	}
}

func TestStringToSign(t *testing.T) {
	raw, _ := json.Marshal(validDigest())
	d, err := integrity.ParseDigest(raw)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	got := integrity.StringToSign(d, sum)
	want := "2024-03-01T01:00:00Z\nb/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/x.json.gz\n" + hexOf(sum[:]) + "\nnull"
	if got != want {
		t.Fatalf("StringToSign =\n%q\nwant\n%q", got, want)
	}
	key, evil := testKeys(t)
	sig, err := integrity.Sign(key, d, sum)
	if err != nil {
		t.Fatal(err)
	}
	if err := integrity.VerifySignature(&key.PublicKey, got, sig); err != nil {
		t.Fatalf("VerifySignature: %v", err)
	}
	if err := integrity.VerifySignature(&evil.PublicKey, got, sig); err == nil {
		t.Fatal("signature verified with the wrong key")
	}
	if err := integrity.VerifySignature(&key.PublicKey, got+"x", sig); err == nil {
		t.Fatal("signature verified over other text")
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestParsePublicKeys(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	ks, err := integrity.ParsePublicKeys(keysJSON(t, start, start.AddDate(1, 0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if ks.Len() != 1 {
		t.Fatalf("Len = %d", ks.Len())
	}
	if _, err := ks.PublicKey(t.Context(), "us-east-1", strings.ToUpper(testFP), start.AddDate(0, 6, 0)); err != nil {
		t.Fatalf("lookup in window: %v", err)
	}
	if _, err := ks.PublicKey(t.Context(), "us-east-1", testFP, start.AddDate(2, 0, 0)); err == nil {
		t.Fatal("key found outside its validity window")
	}
	if _, err := ks.PublicKey(t.Context(), "us-east-1", "00", start); err == nil {
		t.Fatal("unknown fingerprint found")
	}
	// Epoch-seconds timestamps (cli_timestamp_format = none) and a round trip.
	k, _ := testKeys(t)
	b, err := integrity.MarshalPublicKeys([]integrity.PublicKey{{Fingerprint: "aa", Start: start, Key: &k.PublicKey}})
	if err != nil {
		t.Fatal(err)
	}
	if ks, err = integrity.ParsePublicKeys(b); err != nil || ks.Len() != 1 {
		t.Fatalf("round trip: %v", err)
	}
	epoch := strings.Replace(string(keysJSON(t, start, start.AddDate(1, 0, 0))), `"2024-01-01T00:00:00+00:00"`, "1704067200.0", 1)
	if ks, err = integrity.ParsePublicKeys([]byte(epoch)); err != nil {
		t.Fatalf("epoch times: %v", err)
	}
	for _, bad := range []string{`{}`, `{"PublicKeyList":[{"Value":"!!","Fingerprint":"a"}]}`, `{"PublicKeyList":[{"Value":"AAAA","Fingerprint":"a"}]}`, `{"PublicKeyList":[{"Value":""}]}`} {
		if _, err := integrity.ParsePublicKeys([]byte(bad)); err == nil {
			t.Errorf("ParsePublicKeys(%s) accepted", bad)
		}
	}
}

func FuzzParseDigest(f *testing.F) {
	raw, _ := json.Marshal(validDigest())
	f.Add(raw)
	f.Add([]byte(`{"logFiles":null}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := integrity.ParseDigest(data)
		if err != nil {
			return
		}
		// An accepted digest has what verification needs.
		if d.End.Before(d.Start) || d.DigestS3Object == "" || d.DigestSignatureAlgorithm != integrity.SignatureAlgorithm {
			t.Fatalf("accepted an incomplete digest: %+v", d)
		}
		if !d.Starting() && (d.PreviousDigestSignature == nil || len(*d.PreviousDigestHashValue) != 64) {
			t.Fatalf("accepted a chained digest without a previous signature or hash: %+v", d)
		}
		_ = integrity.StringToSign(d, [32]byte{})
	})
}
