package partition

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/internal/proc"
	"github.com/ctq-dev/ctq/pkg/objstore"
)

// deadPID returns the id of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if proc.Alive(cmd.Process.Pid) {
		t.Skip("the id of the exited process was reused at once")
	}
	return cmd.Process.Pid
}

// TestRecover_RemovesAbandonedTemps leaves the temp files a SIGKILLed
// writer leaves (a lease, a commit entry, a staged file) beside those of
// live writers, and checks that Recover removes exactly the abandoned ones.
func TestRecover_RemovesAbandonedTemps(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b, err := objstore.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	l := Open(b)
	self := proc.Tag()
	host, _, _ := strings.Cut(self, "-")
	dead := host + "-" + strconv.Itoa(deadPID(t))
	old := time.Now().Add(-2 * leaseTTL)

	type temp struct {
		key     string
		mod     time.Time // zero: now
		removed bool
	}
	temps := []temp{
		// a run killed while writing its first lease
		{key: RunsDir + ".20240301T000000Z-0a0b0c0d.json." + dead + "-123.ctq-tmp", removed: true},
		// a live writer on this host, and on another host
		{key: RunsDir + ".20240301T000001Z-01020304.json." + self + "-456.ctq-tmp"},
		{key: LogDir + ".00000000000000000007.json.otherhost-42-789.ctq-tmp"},
		// another host's writer that stopped long ago
		{key: LogDir + ".00000000000000000008.json.otherhost-42-790.ctq-tmp", mod: old, removed: true},
		// a killed run's staged file, and a temp file without a writer tag
		{key: StagingDir + "20240301T000000Z-0a0b0c0d/.part-1.parquet." + dead + "-1.ctq-tmp", removed: true},
		{key: CheckpointDir + ".00000000000000000010.json.12345.ctq-tmp", mod: old, removed: true},
		{key: CheckpointDir + ".00000000000000000011.json.12346.ctq-tmp"},
		// not a temp file: left to the other rules
		{key: "account=111122223333/region=us-east-1/day=2024-03-01/part-x.parquet"},
	}
	var want []string
	for _, tf := range temps {
		p := filepath.Join(dir, filepath.FromSlash(tf.key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(`{"runId":`), 0o644); err != nil {
			t.Fatal(err)
		}
		if !tf.mod.IsZero() {
			if err := os.Chtimes(p, tf.mod, tf.mod); err != nil {
				t.Fatal(err)
			}
		}
		if !tf.removed {
			want = append(want, tf.key)
		}
	}
	snap, err := l.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, err := l.Recover(ctx, snap, "20240301T000002Z-ffffffff")
	if err != nil {
		t.Fatal(err)
	}
	if wantN := len(temps) - len(want); st.Temps != wantN {
		t.Errorf("Recover removed %d temp files, want %d", st.Temps, wantN)
	}
	var got []string
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("files left:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The killed run's emptied staging directory is gone too.
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(StagingDir+"20240301T000000Z-0a0b0c0d"))); !os.IsNotExist(err) {
		t.Errorf("staging directory of the killed run: stat err = %v, want not exist", err)
	}
}

// TestLocalPut_TempNameCarriesWriter checks the contract Recover relies on:
// a local Put writes through a temp file whose name carries proc.Tag, so a
// killed Put is recognised as its process's leftover.
func TestLocalPut_TempNameCarriesWriter(t *testing.T) {
	dir := t.TempDir()
	b, err := objstore.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := &stallReader{seen: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- b.Put(context.Background(), RunsDir+"x.json", r, -1) }()
	<-r.seen
	ents, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(RunsDir)))
	close(r.release)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || !strings.Contains(ents[0].Name(), "."+proc.Tag()+"-") {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("files during a Put: %q, want one temp file naming writer %s", names, proc.Tag())
	}
}

// stallReader signals its first Read and blocks until released.
type stallReader struct {
	seen, release chan struct{}
	done          bool
}

func (r *stallReader) Read(p []byte) (int, error) {
	if r.done {
		<-r.release
		return 0, io.EOF
	}
	r.done = true
	close(r.seen)
	return copy(p, "{}"), nil
}
