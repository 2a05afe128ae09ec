package miniotest_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ctq-dev/ctq/internal/miniotest"
)

func TestMinioStart(t *testing.T) {
	srv := miniotest.Start(t)
	if !strings.HasPrefix(srv.Endpoint, "http://127.0.0.1:") {
		t.Errorf("Endpoint = %q, want a 127.0.0.1 address", srv.Endpoint)
	}
	srv.CreateBucket(t, "probe")
	ctx := context.Background()
	_, err := srv.Client().PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("probe"), Key: aws.String("k"), Body: strings.NewReader("v"),
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	env := strings.Join(srv.Env(), "\n")
	for _, want := range []string{"AWS_ACCESS_KEY_ID=" + srv.AccessKey, "AWS_SECRET_ACCESS_KEY=", "AWS_REGION=us-east-1"} {
		if !strings.Contains(env, want) {
			t.Errorf("Env() lacks %s", want)
		}
	}
	if o := srv.Options(); o.EndpointURL != srv.Endpoint || o.Credentials == nil {
		t.Errorf("Options() = %+v", o)
	}
}

func TestFaultProxy(t *testing.T) {
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "probe")
	p := miniotest.NewFaultProxy(t, srv.Endpoint)

	// Signed requests through the proxy are accepted.
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(p.URL), UsePathStyle: true,
		Credentials: srv.Credentials(), RetryMaxAttempts: 1,
	})
	ctx := context.Background()
	put := &s3.PutObjectInput{Bucket: aws.String("probe"), Key: aws.String("a.json.gz"), Body: strings.NewReader(strings.Repeat("x", 4096))}
	if _, err := client.PutObject(ctx, put); err != nil {
		t.Fatalf("PutObject through proxy: %v", err)
	}

	get := &s3.GetObjectInput{Bucket: aws.String("probe"), Key: aws.String("a.json.gz")}
	p.Inject(miniotest.Fault{Method: "GET", KeySuffix: ".json.gz", Kind: miniotest.SlowDown})
	if _, err := client.GetObject(ctx, get); err == nil || !strings.Contains(err.Error(), "SlowDown") {
		t.Errorf("GetObject with SlowDown fault = %v, want SlowDown", err)
	}
	p.Inject(miniotest.Fault{Method: "GET", KeySuffix: ".json.gz", Kind: miniotest.InternalError})
	if _, err := client.GetObject(ctx, get); err == nil || !strings.Contains(err.Error(), "InternalError") {
		t.Errorf("GetObject with InternalError fault = %v, want InternalError", err)
	}

	p.Inject(miniotest.Fault{Method: "GET", KeySuffix: ".json.gz", Kind: miniotest.ResetMidBody, AfterBytes: 100})
	out, err := client.GetObject(ctx, get)
	if err != nil {
		t.Fatalf("GetObject with reset fault: %v", err)
	}
	n, err := io.Copy(io.Discard, out.Body)
	out.Body.Close()
	if err == nil || n > 100 {
		t.Errorf("body read %d bytes with err %v, want an error after at most 100 bytes", n, err)
	}

	// A fault for another method does not fire.
	p.Inject(miniotest.Fault{Method: "DELETE", Kind: miniotest.SlowDown})
	resp, err := http.Get(p.URL + "/minio/health/live")
	if err != nil {
		t.Fatalf("health through proxy: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("health status = %d", resp.StatusCode)
	}
	if got := p.Fired(); got != 3 {
		t.Errorf("Fired() = %d, want 3", got)
	}
	if got := p.Pending(); got != 1 {
		t.Errorf("Pending() = %d, want 1", got)
	}
}
