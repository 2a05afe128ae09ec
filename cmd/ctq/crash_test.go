package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// killPoint says when to SIGKILL a run: after a delay from its start, or
// once the lake's commit log has grown by commits entries (then after delay).
type killPoint struct {
	after   time.Duration // kill this long after the start (when commits == 0)
	commits int           // kill once this many new commits appeared
	delay   time.Duration // extra wait after the commits appeared
}

var logEntryRe = regexp.MustCompile(`^[0-9]{20}\.json$`)

// countCommits counts the entries of a local lake's commit log.
func countCommits(t testing.TB, lake string) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(lake, filepath.FromSlash(partition.LogDir)))
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatalf("reading commit log: %v", err)
	}
	n := 0
	for _, e := range ents {
		if logEntryRe.MatchString(e.Name()) {
			n++
		}
	}
	return n
}

// TestIngest_KillAndRerun SIGKILLs ingest runs at varied moments (before the
// first commit, right after a commit appears, i.e. while its files are being
// published, and between commits), re-runs each time on the partial lake, and
// finally checks that the lake holds every record exactly once, like a lake
// ingested in one clean run.
func TestIngest_KillAndRerun(t *testing.T) {
	bin := ctqBinary(t)
	tmp := t.TempDir()
	archive := filepath.Join(tmp, "archive")
	cfg := gen.DefaultConfig()
	cfg.Seed = 11
	cfg.Events = 80000
	cfg.Accounts = 4
	cfg.Days = 3
	st, err := gen.WriteDir(context.Background(), cfg, archive)
	if err != nil {
		t.Fatal(err)
	}
	want := archiveRecords(t, archive)
	if len(want) != st.Events {
		t.Fatalf("archive holds %d records, the generator reports %d", len(want), st.Events)
	}
	env := baseEnv(t)

	// Reference: one clean run.
	lakeA := filepath.Join(tmp, "lakeA")
	if r := runCtq(t, env, "ingest", archive, "--lake", lakeA, "--quiet"); r.code != 0 {
		t.Fatalf("clean ingest: exit %d\n%s", r.code, r.stderr)
	}
	a := readLocalLake(t, lakeA)
	checkRecords(t, "reference lake A", a, want)
	checkLocalLakeTidy(t, "reference lake A", lakeA, a.snap)
	if len(a.snap.Sources) != st.LogObjects {
		t.Errorf("reference lake A: manifest lists %d objects, the archive has %d log objects", len(a.snap.Sources), st.LogObjects)
	}

	// Lake B: killed again and again, each run continuing the last.
	lakeB := filepath.Join(tmp, "lakeB")
	bucketB, err := objstore.OpenLocal(lakeB)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"ingest", archive, "--lake", lakeB, "--commit-interval", "200ms", "--memory-per-worker", "2097152", "--quiet"}
	plan := []killPoint{
		{after: 50 * time.Millisecond},
		{commits: 1},
		{after: 150 * time.Millisecond},
		{commits: 2, delay: 30 * time.Millisecond},
		{after: 300 * time.Millisecond},
		{commits: 1},
		{after: 600 * time.Millisecond},
		{commits: 3, delay: 5 * time.Millisecond},
		{after: 400 * time.Millisecond},
	}
	kills := 0
	for i, kp := range plan {
		before := countCommits(t, lakeB)
		killed, code, stderr := runAndKill(t, bin, args, env, lakeB, before, kp)
		after := countCommits(t, lakeB)
		switch {
		case killed:
			kills++
			t.Logf("run %d: SIGKILLed (%+v); commit log %d -> %d entries", i+1, kp, before, after)
		case code != 0:
			t.Fatalf("run %d exited %d before it was killed\nstderr:\n%s", i+1, code, stderr)
		default:
			t.Logf("run %d: finished (exit 0) before its kill point %+v; commit log %d -> %d entries", i+1, kp, before, after)
		}
		// What every crash leaves: a consistent manifest whose files can
		// all be read (published or still staged).
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		lake := partition.Open(bucketB)
		snap, err := lake.Snapshot(ctx)
		if err != nil {
			cancel()
			t.Fatalf("after run %d: snapshot: %v", i+1, err)
		}
		checkCommittedRows(t, "lake B after run "+strconv.Itoa(i+1), snap)
		for _, f := range snap.Files {
			if _, err := lake.DataKey(ctx, f); err != nil {
				t.Errorf("after run %d: committed file lost: %v", i+1, err)
			}
		}
		cancel()
	}
	t.Logf("%d of %d runs were killed mid-way", kills, len(plan))

	r := runCtq(t, env, args...)
	if r.code != 0 {
		t.Fatalf("final run: exit %d\n%s", r.code, r.stderr)
	}
	b := readLocalLake(t, lakeB)
	checkRecords(t, "lake B", b, want)
	sameLake(t, "lake B", b, a)
	checkCommittedRows(t, "lake B", b.snap)
	checkLocalLakeTidy(t, "lake B", lakeB, b.snap)
	if len(b.snap.Sources) != st.LogObjects {
		t.Errorf("lake B: manifest lists %d objects, the archive has %d log objects", len(b.snap.Sources), st.LogObjects)
	}
}

// runAndKill starts one ingest and SIGKILLs it at kp, unless it exits first.
// It returns whether the kill landed, else the exit code.
func runAndKill(t *testing.T, bin string, args, env []string, lake string, before int, kp killPoint) (killed bool, code int, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var timer <-chan time.Time
	if kp.commits == 0 {
		timer = time.After(kp.after)
	}
	poll := time.NewTicker(2 * time.Millisecond)
	defer poll.Stop()
	safety := time.After(subprocessTimeout)
	for {
		select {
		case err := <-done:
			return false, exitCodeOf(t, err), errBuf.String()
		case <-timer:
		case <-poll.C:
			if kp.commits == 0 || countCommits(t, lake) < before+kp.commits {
				continue
			}
			if kp.delay > 0 {
				time.Sleep(kp.delay)
			}
		case <-safety:
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("ingest still running after %s (safety net)", subprocessTimeout)
		}
		break
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	// Wait reaps the process, so its lease is seen as dead by the next run.
	err := <-done
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true, 0, errBuf.String()
		}
	}
	return false, exitCodeOf(t, err), errBuf.String()
}

func exitCodeOf(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	t.Fatalf("waiting for ctq: %v", err)
	return -1
}
