// Package miniotest runs a real MinIO server for tests, and a fault-injecting
// proxy in front of it for tests of retry behaviour.
package miniotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	s3store "github.com/ctq-dev/ctq/pkg/objstore/s3"
)

// Fixed test credentials of the MinIO root user.
const (
	accessKey = "ctqtestadmin"
	secretKey = "ctqtestsecret"
	region    = "us-east-1"
)

// MinIOVersion is the MinIO release the tests are written against.
const MinIOVersion = "github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

const (
	startTimeout  = 60 * time.Second
	pollInterval  = 100 * time.Millisecond
	startAttempts = 3 // a free port may be taken again before MinIO binds it
)

// Server is a running MinIO server listening on 127.0.0.1.
type Server struct {
	Endpoint  string // http://127.0.0.1:port
	AccessKey string
	SecretKey string
}

// Start launches a MinIO server on a fresh temporary directory and stops it
// when the test ends. Without a MinIO binary the test is skipped (and counted
// for Main's summary line), or fails when the CI environment variable is
// "true".
func Start(t testing.TB) *Server {
	t.Helper()
	bin := findBinary()
	if bin == "" {
		msg := "miniotest: no minio binary found in " + Dir() + "/bin (install it with ./scripts/install-minio, " +
			"or set CTQ_MINIO_BIN)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		skipped.Add(1)
		t.Skip(msg)
	}
	var lastErr error
	for range startAttempts {
		s, err := launch(t, bin)
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatalf("miniotest: %v", lastErr)
	return nil
}

// Dir returns the directory MinIO is installed in, by the rule
// scripts/install-minio follows too: $CTQ_MINIO_DIR if set, else
// $XDG_CACHE_HOME/ctq-minio if XDG_CACHE_HOME is set, else
// $HOME/.cache/ctq-minio. The binary is Dir()/bin/minio.
func Dir() string {
	if d := os.Getenv("CTQ_MINIO_DIR"); d != "" {
		return d
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "ctq-minio")
}

// findBinary returns the MinIO binary to run, or "" if there is none:
// $CTQ_MINIO_BIN, else the one in Dir, else minio on the PATH.
func findBinary() string {
	if bin := os.Getenv("CTQ_MINIO_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(Dir(), "bin", "minio")
	if fi, err := os.Stat(bin); err == nil && !fi.IsDir() {
		return bin
	}
	if bin, err := exec.LookPath("minio"); err == nil {
		return bin
	}
	return ""
}

// launch starts one MinIO process and waits until it is live. On success the
// process is stopped in t.Cleanup; on failure it is already stopped.
func launch(t testing.TB, bin string) (*Server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	consoleAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	out := &syncBuffer{}
	cmd := exec.Command(bin, "server", filepath.Join(dir, "data"),
		"--address", addr, "--console-address", consoleAddr,
		"--certs-dir", filepath.Join(dir, "certs"), "--quiet")
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	s := &Server{Endpoint: "http://" + addr, AccessKey: accessKey, SecretKey: secretKey}
	if err := s.waitLive(exited); err != nil {
		stop()
		return nil, fmt.Errorf("%w; server output:\n%s", err, out.String())
	}
	t.Cleanup(stop)
	return s, nil
}

// waitLive polls the liveness endpoint until it answers 200, the process
// exits or the start timeout passes.
func (s *Server) waitLive(exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		resp, err := client.Get(s.Endpoint + "/minio/health/live")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("minio exited before becoming live")
		case <-time.After(pollInterval):
		}
	}
	return fmt.Errorf("minio not live after %s", startTimeout)
}

// serverEnv is the environment of the MinIO process: the caller's, minus any
// MINIO_ settings, plus the test credentials.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MINIO_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"MINIO_ROOT_USER="+accessKey,
		"MINIO_ROOT_PASSWORD="+secretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	)
}

// freeAddr returns a 127.0.0.1 address with a port that was free just now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	return addr, nil
}

// Credentials returns a static provider for the server's root user.
func (s *Server) Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, "")
}

// Options returns bucket options that reach the server directly.
func (s *Server) Options() s3store.Options {
	return s3store.Options{
		Region:      region,
		EndpointURL: s.Endpoint,
		PathStyle:   true,
		Credentials: s.Credentials(),
	}
}

// Client returns a plain S3 client for the server, for test setup that goes
// around objstore.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  s.Credentials(),
	})
}

// CreateBucket creates a bucket, failing the test on error.
func (s *Server) CreateBucket(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("miniotest: creating bucket %s: %v", name, err)
	}
}

// Env returns environment variables that point the AWS SDK default chain of
// a subprocess at the server's credentials and region.
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_REGION=" + region,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// syncBuffer collects process output from concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
