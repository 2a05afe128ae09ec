package compact

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/internal/miniotest"
	"github.com/ctq-dev/ctq/pkg/objstore"
	s3store "github.com/ctq-dev/ctq/pkg/objstore/s3"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// TestCompact_OnMinIO compacts a lake stored in a real S3 server: duplicates
// go, every event stays, and the bucket's partition prefixes hold exactly
// the live files once the run ends. A crash between commit and publish is
// finished by the next run, as on a local lake.
func TestCompact_OnMinIO(t *testing.T) {
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "lake")
	ctx := context.Background()
	b, err := s3store.Open(ctx, "lake", "ctq", srv.Options())
	if err != nil {
		t.Fatal(err)
	}
	lake := smallFileLake(t, b, genConfig(8000), 3*time.Hour)
	before, snap0 := multiset(t, lake)
	if total(before) == len(before) {
		t.Fatal("the test archive has no duplicates")
	}
	groups := len(partition.PlanCompaction(snap0.SortedFiles(), smallPolicy))
	if groups < 2 {
		t.Fatalf("%d merges planned; the test needs two or more", groups)
	}
	// First run: stop right after the first commit, as a crash would.
	stopped := 0
	_, err = Run(ctx, lake, Config{Policy: smallPolicy, Workers: 1, TempDir: t.TempDir(), Hook: func(step string, _ partition.MergeGroup) error {
		if step == StepCommitted {
			stopped++
			return errStop
		}
		return nil
	}})
	if err == nil || !strings.Contains(err.Error(), errStop.Error()) || stopped != 1 {
		t.Fatalf("first run: %v after %d commits; want it stopped at the first", err, stopped)
	}
	// The stopped run's lease stays, as a crashed one's would; let it look
	// expired so that the next run may recover its files.
	expireLeases(t, b)
	res, err := Run(ctx, lake, Config{Policy: smallPolicy, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Recovered.Published == 0 {
		t.Error("the second run published no file of the interrupted merge")
	}
	full := smallPolicy
	full.Full = true
	if _, err := Run(ctx, lake, Config{Policy: full, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	after, _ := multiset(t, lake)
	diffMultisets(t, after, dedup(before))
	checkExternalView(t, lake)
}

var errStop = errorString("stopped by the test")

type errorString string

func (e errorString) Error() string { return string(e) }

// expireLeases rewrites every run lease with a heartbeat long past.
func expireLeases(t *testing.T, b objstore.Bucket) {
	t.Helper()
	ctx := context.Background()
	var keys []string
	if err := b.List(ctx, objstore.ListOptions{Prefix: partition.RunsDir}, func(e objstore.Entry) error {
		keys = append(keys, e.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 {
		t.Fatal("no run lease left by the stopped run")
	}
	old := `{"runId":"x","operation":"compact","host":"elsewhere","pid":0,"started":"2000-01-01T00:00:00Z","heartbeat":"2000-01-01T00:00:00Z"}`
	for _, k := range keys {
		if err := b.Put(ctx, k, strings.NewReader(old), int64(len(old))); err != nil {
			t.Fatal(err)
		}
	}
}
