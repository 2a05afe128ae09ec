package integrity_test

import (
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/integrity"
)

func TestParseDigestKey_Success(t *testing.T) {
	f := func(key, org, account, region, trail, home, end string, backfill bool) {
		t.Helper()
		k, err := integrity.ParseDigestKey(key)
		if err != nil {
			t.Fatalf("ParseDigestKey(%q): %v", key, err)
		}
		if k.OrgID != org || k.Account != account || k.Region != region || k.Trail != trail || k.HomeRegion != home || k.Backfill != backfill {
			t.Fatalf("ParseDigestKey(%q) = %+v", key, k)
		}
		if got := k.End.Format(time.RFC3339); got != end {
			t.Fatalf("end = %s, want %s", got, end)
		}
	}
	f("AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_my-trail_us-east-1_20150817T150131Z.json.gz",
		"", "111122223333", "us-east-2", "my-trail", "us-east-1", "2015-08-17T15:01:31Z", false)
	// Organization trail, bucket prefix, a trail name with underscores.
	f("p/q/AWSLogs/o-exampleorgid/012345678901/CloudTrail-Digest/eu-west-1/2024/03/01/012345678901_CloudTrail-Digest_eu-west-1_org_trail_x_us-east-1_20240301T235959Z.json.gz",
		"o-exampleorgid", "012345678901", "eu-west-1", "org_trail_x", "us-east-1", "2024-03-01T23:59:59Z", false)
	f("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/02/111122223333_CloudTrail-Digest_us-east-1_t1.b-c_us-east-1_20240102T010000Z_backfill.json.gz",
		"", "111122223333", "us-east-1", "t1.b-c", "us-east-1", "2024-01-02T01:00:00Z", true)
}

func TestParseDigestKey_Failure(t *testing.T) {
	f := func(key, want string) {
		t.Helper()
		_, err := integrity.ParseDigestKey(key)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("ParseDigestKey(%q) error = %v, want it to mention %q", key, err, want)
		}
	}
	const dir = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/"
	f("AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/111122223333_CloudTrail_us-east-1_20240301T0000Z_x.json.gz", "not a CloudTrail-Digest key")
	f(dir+"111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240301T000000Z.json", "does not end in .json.gz")
	f(dir+"999999999999_CloudTrail-Digest_us-east-1_trail_us-east-1_20240301T000000Z.json.gz", "does not start with")
	f(dir+"111122223333_CloudTrail-Digest_eu-west-1_trail_us-east-1_20240301T000000Z.json.gz", "does not start with")
	f(dir+"111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240301T0000Z.json.gz", "invalid timestamp")
	f(dir+"111122223333_CloudTrail-Digest_us-east-1_trail_US_20240301T000000Z.json.gz", "invalid home region")
	f(dir+"111122223333_CloudTrail-Digest_us-east-1_t/x_us-east-1_20240301T000000Z.json.gz", "want AWSLogs/")
	f(dir+"111122223333_CloudTrail-Digest_us-east-1_t;x_us-east-1_20240301T000000Z.json.gz", "invalid trail name")
	f(dir+"111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240302T000000Z.json.gz", "is not the end date")
	f(dir+"111122223333_CloudTrail-Digest_us-east-1_us-east-1_20240301T000000Z.json.gz", "TRAIL_HOMEREGION")
}

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

func FuzzParseDigestKey(f *testing.F) {
	f.Add("AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_my-trail_us-east-1_20150817T150131Z.json.gz")
	f.Fuzz(func(t *testing.T, key string) {
		k, err := integrity.ParseDigestKey(key)
		if err != nil {
			return
		}
		if strings.Contains(k.Trail, "/") || strings.Contains(k.Account, ".") || k.End.IsZero() {
			t.Fatalf("accepted %q as %+v", key, k)
		}
	})
}
