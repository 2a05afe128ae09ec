package partition

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ctq-dev/ctq/pkg/objstore"
)

func TestKey_Validate(t *testing.T) {
	cases := []struct {
		k  Key
		ok bool
	}{
		{Key{"111122223333", "us-east-1", "2024-03-01"}, true},
		{Key{"012345678901", "us-gov-west-1", "2024-02-29"}, true},
		{Key{"012345678901", "us-isob-east-1", "2024-02-29"}, true},
		{Key{"11112222333", "us-east-1", "2024-03-01"}, false},
		{Key{"111122223333", "../etc", "2024-03-01"}, false},
		{Key{"111122223333", "us-east-1", "2024-02-30"}, false},
		{Key{"111122223333", "us-east-1", "2024/03/01"}, false},
	}
	for _, c := range cases {
		if err := c.k.Validate(); (err == nil) != c.ok {
			t.Errorf("%v: err = %v, want ok = %v", c.k, err, c.ok)
		}
		if c.ok {
			back, err := ParseDir(c.k.Dir() + "/f.parquet")
			if err != nil || back != c.k {
				t.Errorf("ParseDir(%s) = %v, %v", c.k.Dir(), back, err)
			}
		}
	}
}

func newLake(t *testing.T) *Lake {
	t.Helper()
	b, err := objstore.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return Open(b)
}

func TestLake_CommitOptimisticConcurrency(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	a, _ := l.Snapshot(ctx)
	b, _ := l.Snapshot(ctx)
	f := func(i int) File {
		return File{Path: fmt.Sprintf("account=111122223333/region=us-east-1/day=2024-03-01/f%d.parquet", i), Rows: 1}
	}
	noConflict := func(*Commit) error { return nil }
	if err := l.Commit(ctx, a, &Commit{Operation: "ingest", Add: []File{f(1)}, Sources: []Source{{Key: "k1"}}}, noConflict); err != nil {
		t.Fatal(err)
	}
	// b is behind: its commit lands on the next number after seeing a's.
	seen := 0
	if err := l.Commit(ctx, b, &Commit{Operation: "ingest", Add: []File{f(2)}}, func(*Commit) error { seen++; return nil }); err != nil {
		t.Fatal(err)
	}
	if seen != 1 || b.Seq != 2 || len(b.Files) != 2 {
		t.Fatalf("seen %d newer commits, seq %d, %d files", seen, b.Seq, len(b.Files))
	}
	// A conflicting writer stops.
	c, _ := l.Snapshot(ctx)
	c.Seq = 0
	c.Files = map[string]File{}
	errX := fmt.Errorf("%w: overlap", ErrConflict)
	if err := l.Commit(ctx, c, &Commit{Operation: "compact", Remove: []string{f(1).Path}}, func(*Commit) error { return errX }); !errors.Is(err, ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	// Replay gives the committed state; removal applies.
	if err := l.Commit(ctx, b, &Commit{Operation: "compact", Remove: []string{f(1).Path}, Add: []File{f(3)}}, noConflict); err != nil {
		t.Fatal(err)
	}
	s, err := l.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Seq != 3 || len(s.Files) != 2 || s.Sources["k1"].Key != "k1" {
		t.Fatalf("snapshot seq %d files %v", s.Seq, s.SortedFiles())
	}
	if _, ok := s.Files[f(1).Path]; ok {
		t.Fatal("removed file still live")
	}
}

func TestLake_CorruptOrFutureCommitIsAnError(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	if err := l.b.PutIfAbsent(ctx, logKey(1), []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Snapshot(ctx); err == nil {
		t.Fatal("corrupt commit accepted")
	}
	l = newLake(t)
	if err := l.b.PutIfAbsent(ctx, logKey(1), []byte(`{"version":99,"seq":1}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Snapshot(ctx); err == nil {
		t.Fatal("commit of a newer format accepted")
	}
}
