package awskeys

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// fakeCloudTrail answers ListPublicKeys the way CloudTrail's JSON protocol
// does, in pages, and records the requests.
type fakeCloudTrail struct {
	pages    []map[string]any
	calls    atomic.Int32
	lastBody atomic.Value // string
	status   int
}

func (f *fakeCloudTrail) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if got := r.Header.Get("X-Amz-Target"); got != "CloudTrail_20131101.ListPublicKeys" {
		http.Error(w, "unexpected target "+got, http.StatusBadRequest)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDTEST/") {
		http.Error(w, "unsigned request", http.StatusForbidden)
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.lastBody.Store(string(body))
	n := int(f.calls.Add(1)) - 1
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if f.status != 0 {
		w.WriteHeader(f.status)
		io.WriteString(w, `{"__type":"AccessDeniedException","message":"not allowed"}`)
		return
	}
	json.NewEncoder(w).Encode(f.pages[min(n, len(f.pages)-1)])
}

func serve(t *testing.T, f *fakeCloudTrail) Options {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	// Only this test's endpoint and credentials: no shared files, no
	// instance metadata.
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", srv.URL)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT"} {
		t.Setenv(k, "")
	}
	return Options{Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}, nil
	})}
}

func publicKeyDER(t *testing.T) []byte {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return x509.MarshalPKCS1PublicKey(&k.PublicKey)
}

func TestFetch_Pages(t *testing.T) {
	der1, der2 := publicKeyDER(t), publicKeyDER(t)
	f := &fakeCloudTrail{pages: []map[string]any{
		{"PublicKeyList": []map[string]any{{"Value": der1, "Fingerprint": "fp1", "ValidityStartTime": 1.7e9, "ValidityEndTime": 1.7e9 + 86400}}, "NextToken": "next"},
		{"PublicKeyList": []map[string]any{{"Value": der2, "Fingerprint": "fp2", "ValidityStartTime": 1.7e9 + 86400, "ValidityEndTime": 1.7e9 + 2*86400}}},
	}}
	start, end := time.Unix(1.7e9, 0).UTC(), time.Unix(1.7e9+2*86400, 0).UTC()
	keys, err := Fetch(serve(t, f))(context.Background(), "eu-west-1", start, end)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].Fingerprint != "fp1" || keys[1].Fingerprint != "fp2" || keys[0].Key == nil || keys[1].Key == nil {
		t.Fatalf("keys %+v", keys)
	}
	if !keys[0].Start.Equal(start) || !keys[1].End.Equal(end) {
		t.Fatalf("validity windows %v-%v, %v-%v", keys[0].Start, keys[0].End, keys[1].Start, keys[1].End)
	}
	if f.calls.Load() != 2 {
		t.Fatalf("%d requests, want 2 (one per page)", f.calls.Load())
	}
	var last map[string]any
	if err := json.Unmarshal([]byte(f.lastBody.Load().(string)), &last); err != nil {
		t.Fatal(err)
	}
	if last["NextToken"] != "next" || last["StartTime"] == nil || last["EndTime"] == nil {
		t.Fatalf("second request %v: want the page token and the window", last)
	}
}

func TestFetch_Errors(t *testing.T) {
	t.Run("bad key", func(t *testing.T) {
		f := &fakeCloudTrail{pages: []map[string]any{{"PublicKeyList": []map[string]any{{"Value": []byte("not a key"), "Fingerprint": "fpbad"}}}}}
		_, err := Fetch(serve(t, f))(context.Background(), "us-east-1", time.Time{}, time.Time{})
		if err == nil || !strings.Contains(err.Error(), "fpbad") {
			t.Fatalf("error %v, want one naming the key's fingerprint", err)
		}
	})
	t.Run("access denied", func(t *testing.T) {
		f := &fakeCloudTrail{status: http.StatusBadRequest}
		_, err := Fetch(serve(t, f))(context.Background(), "us-east-1", time.Time{}, time.Time{})
		if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
			t.Fatalf("error %v, want CloudTrail's AccessDenied", err)
		}
	})
}
