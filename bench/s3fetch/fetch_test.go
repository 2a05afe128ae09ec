// Package s3fetch measures how many bytes `ctq query` fetches from an S3
// lake (a real MinIO server) for selective queries, through a counting
// proxy between ctq and the server. The test runs in CI on a small lake;
// the recorded figures come from a larger one:
//
//	cd bench && go test ./s3fetch -run TestS3Fetch -v -args -events 250000 -before /path/to/older/ctq -out results/s3fetch.md
//
// Each query runs twice per binary: cold, then warm (the footer cache
// filled). The older binary runs after the newer one on the same cache
// directory, so it must keep its cache entries apart to run cold.
package s3fetch

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ctq-dev/ctq/internal/miniotest"
	"github.com/ctq-dev/ctq/pkg/gen"

	"github.com/ctq-dev/ctq/bench/internal/measure"
)

var (
	flagEvents  = flag.Int("events", 20000, "events in the generated archive (the acceptance figure needs at least 200000)")
	flagBefore  = flag.String("before", "", "an older ctq binary to measure the same queries with, for comparison")
	flagRawPage = flag.String("raw-page-size", "", "ingest and compact the lake with this --raw-page-size (empty: the default pages)")
	flagOut     = flag.String("out", "", "write the figures as a Markdown table to this file (a relative path is taken from bench/)")
)

// countingProxy forwards to the S3 server and counts response body bytes
// and requests.
type countingProxy struct {
	bytes, requests atomic.Int64
	srv             *httptest.Server
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func newCountingProxy(t *testing.T, target string) *countingProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(r *http.Response) error {
		p.requests.Add(1)
		r.Body = countingBody{ReadCloser: r.Body, n: &p.bytes}
		return nil
	}
	p.srv = httptest.NewServer(rp)
	t.Cleanup(p.srv.Close)
	return p
}

type fetchQuery struct {
	id, name string
	args     []string // after `ctq query`
}

type figure struct {
	binary            string
	id                string
	bytes, requests   int64
	warmBytes, warmRq int64
	out               []byte
}

func TestS3Fetch(t *testing.T) {
	ctx := context.Background()
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "lake")
	work := t.TempDir()

	root, err := measure.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := measure.BuildCtq(ctx, root, work)
	if err != nil {
		t.Fatal(err)
	}

	cfg := gen.DefaultConfig()
	cfg.Seed, cfg.Events = 20251202, *flagEvents
	cfg.Accounts, cfg.Days = 4, 3
	cfg.Regions = []string{"us-east-1", "eu-west-1"}
	archive := filepath.Join(work, "archive")
	if _, err := gen.WriteDir(ctx, cfg, archive); err != nil {
		t.Fatal(err)
	}
	lake := "s3://lake/ctq"
	env := append(os.Environ(), srv.Env()...)
	env = append(env, "XDG_CACHE_HOME="+filepath.Join(work, "cache"))
	run := func(bin string, args ...string) []byte {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
		}
		return out
	}
	var layout []string
	if *flagRawPage != "" {
		layout = []string{"--raw-page-size", *flagRawPage}
	}
	run(bin, append([]string{"ingest", archive, "--lake", lake, "--endpoint-url", srv.Endpoint, "--quiet"}, layout...)...)
	run(bin, append([]string{"compact", "--lake", lake, "--endpoint-url", srv.Endpoint}, layout...)...)
	lakeBytes, files := lakeSize(t, srv)
	t.Logf("lake: %d events, %d data files, %d bytes", cfg.Events, files, lakeBytes)

	queries := []fetchQuery{
		{"s1", "ConsoleLogin events, printed (one typed column + raw records of the matches)", []string{`{ $.eventName = "ConsoleLogin" }`, "--output", "json"}},
		{"s2", "AccessDenied errors counted (one typed column)", []string{`{ $.errorCode = "AccessDenied*" }`, "--count"}},
		{"s3", "root use, printed (three typed columns + raw records)", []string{`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }`, "--output", "json"}},
	}
	proxy := newCountingProxy(t, srv.Endpoint)
	measureOne := func(b string, q fetchQuery) figure {
		args := append([]string{"query"}, q.args...)
		args = append(args, "--lake", lake, "--endpoint-url", proxy.srv.URL)
		f := figure{binary: b, id: q.id}
		proxy.bytes.Store(0)
		proxy.requests.Store(0)
		f.out = run(b, args...)
		f.bytes, f.requests = proxy.bytes.Load(), proxy.requests.Load()
		proxy.bytes.Store(0)
		proxy.requests.Store(0)
		run(b, args...)
		f.warmBytes, f.warmRq = proxy.bytes.Load(), proxy.requests.Load()
		return f
	}
	var rows []string
	for _, q := range queries {
		after := measureOne(bin, q)
		pct := 100 * float64(after.bytes) / float64(lakeBytes)
		line := fmt.Sprintf("| %s | %s | %d | %d | %.1f%% | %d | %d |", q.id, q.name, after.bytes, after.requests, pct, after.warmBytes, after.warmRq)
		if *flagBefore != "" {
			before := measureOne(*flagBefore, q)
			if !bytes.Equal(before.out, after.out) {
				t.Errorf("%s: output differs from the older binary's (%d vs %d bytes)", q.id, len(after.out), len(before.out))
			}
			line += fmt.Sprintf(" %d | %d | %.1f%% | %d | %d |", before.bytes, before.requests, 100*float64(before.bytes)/float64(lakeBytes), before.warmBytes, before.warmRq)
		}
		rows = append(rows, line)
		t.Log(line)
		// Every query reads less than the whole lake; the count over one
		// typed column (s2) at most 10% of it on a lake of 200k events or
		// more. The printed queries read every raw-record page that holds a
		// match: with ~170 records per 256 KiB page, a pattern matching
		// 0.4% of records touches about half of the pages, so their share
		// is recorded, not bounded.
		if after.bytes >= lakeBytes {
			t.Errorf("%s fetched %d bytes, the whole lake is %d", q.id, after.bytes, lakeBytes)
		}
		if *flagEvents >= 200000 && q.id == "s2" && pct > 10 {
			t.Errorf("%s fetched %.1f%% of the lake's bytes, want at most 10%%", q.id, pct)
		}
	}
	if *flagOut != "" {
		head := "| id | query | bytes fetched | requests | of lake | warm bytes | warm requests |"
		sep := "|---|---|--:|--:|--:|--:|--:|"
		if *flagBefore != "" {
			head += " older binary bytes | requests | of lake | warm bytes | warm requests |"
			sep += "--:|--:|--:|--:|--:|"
		}
		pages := "default raw pages"
		if *flagRawPage != "" {
			pages = "--raw-page-size " + *flagRawPage
		}
		md := fmt.Sprintf("Lake: %d events, %d data files after compaction, %d bytes (%s), on MinIO (%s).\n\n%s\n%s\n%s\n",
			cfg.Events, files, lakeBytes, pages, time.Now().UTC().Format("2006-01-02 15:04 UTC"), head, sep, strings.Join(rows, "\n"))
		out := *flagOut
		if !filepath.IsAbs(out) {
			out = filepath.Join(root, "bench", out)
		}
		if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// lakeSize sums the lake's published data files (not _ctq/).
func lakeSize(t *testing.T, srv *miniotest.Server) (int64, int) {
	var total int64
	var n int
	p := s3.NewListObjectsV2Paginator(srv.Client(), &s3.ListObjectsV2Input{Bucket: aws.String("lake"), Prefix: aws.String("ctq/account=")})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			if strings.HasSuffix(aws.ToString(o.Key), ".parquet") {
				total += aws.ToInt64(o.Size)
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("the lake holds no data file")
	}
	return total, n
}
