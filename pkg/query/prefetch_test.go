package query

import (
	"context"
	"fmt"
	"testing"

	"github.com/parquet-go/parquet-go/format"

	"github.com/ctq-dev/ctq/pkg/partition"
)

// mainFile returns the pin lake's file with the most rows.
func (pl *pinLake) mainFile() partition.File {
	var main partition.File
	for _, f := range pl.snap.SortedFiles() {
		if f.Rows > main.Rows {
			main = f
		}
	}
	return main
}

// TestPrefetch_AdjacentChunksOneRequest: on a remote file, the planned
// chunks of a row group, adjacent in the file, are fetched with the first
// read in one request and decode to the same values as chunks read one by
// one from a local file.
func TestPrefetch_AdjacentChunksOneRequest(t *testing.T) {
	pl := buildPinLake(t)
	paths := []string{"eventName", "eventSource", "eventTime"} // consecutive leaves
	read := func(cost int64) ([]string, int64) {
		pl.bucket.cost = cost
		defer func() { pl.bucket.cost = 0 }()
		df, err := openFile(context.Background(), pl.lake, pl.mainFile(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer df.Close()
		if (df.coalesce != nil) != (cost > 0) {
			t.Fatalf("request cost %d: coalescing %v", cost, df.coalesce)
		}
		b := &batch{ctx: context.Background(), df: df, rg: 0, n: df.pf.NumRows(0)}
		b.meta = newRowGroupMeta(df, 0)
		defer b.release()
		for i, p := range paths {
			col, _, ok := df.leaf(p)
			if !ok {
				t.Fatalf("no column %s", p)
			}
			if i > 0 {
				if prev, _, _ := df.leaf(paths[i-1]); prev+1 != col {
					t.Fatalf("%s and %s are not consecutive leaves", paths[i-1], p)
				}
			}
			if cost > 0 {
				b.plan = append(b.plan, col)
			}
		}
		pl.bucket.reset()
		var vals []string
		for _, p := range paths {
			c, ok, err := b.column(p)
			if err != nil || !ok {
				t.Fatalf("%s: %v %v", p, ok, err)
			}
			for i := 0; i < c.Len(); i += 97 {
				v := fmt.Sprint(len(c.Valid) == 0 || c.Valid[i])
				if c.Leaf.Type == format.Int64 {
					v += fmt.Sprint(c.Int64[i])
				} else {
					v += string(c.Value(i))
				}
				vals = append(vals, v)
			}
		}
		return vals, pl.bucket.requests.Load()
	}
	local, localRq := read(0)
	remote, remoteRq := read(1 << 20)
	if localRq != int64(len(paths)) || remoteRq != 1 {
		t.Fatalf("%d requests locally, %d remote; want one per chunk and one", localRq, remoteRq)
	}
	if fmt.Sprint(local) != fmt.Sprint(remote) {
		t.Fatal("values decoded from the coalesced fetch differ from the chunks read one by one")
	}
}

// TestPrefetch_SameMatchesFewerRequests: queries on a remote lake, whose
// row groups fetch their planned chunks together, return byte-identical
// matches in fewer requests than reading each chunk when it is needed, for
// at most a few per cent more bytes.
func TestPrefetch_SameMatchesFewerRequests(t *testing.T) {
	pl := buildPinLake(t)
	patterns := []string{
		`{ $.eventName = "ConsoleLogin" }`,
		`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }`,
		`{ ($.errorCode = "AccessDenied") || ($.eventName = "DeleteTrail") }`,
		`AccessDenied`,
	}
	type figures struct {
		matches         []string
		requests, bytes int64
	}
	run := func(cost int64) figures {
		pl.bucket.cost = cost
		defer func() { pl.bucket.cost = 0 }()
		var f figures
		pl.bucket.reset()
		for _, p := range patterns {
			_, ms := pl.run(t, p, Options{Workers: 1})
			if len(ms) == 0 {
				t.Fatalf("%s: no match: the test needs some", p)
			}
			for _, m := range ms {
				f.matches = append(f.matches, fmt.Sprintf("%s %s %s %s", m.File, m.EventID, m.Time, m.Raw))
			}
		}
		f.requests, f.bytes = pl.bucket.requests.Load(), pl.bucket.read.Load()
		return f
	}
	local, remote := run(0), run(1<<20)
	if len(local.matches) != len(remote.matches) {
		t.Fatalf("%d matches read chunk by chunk, %d coalesced", len(local.matches), len(remote.matches))
	}
	for i := range local.matches {
		if local.matches[i] != remote.matches[i] {
			t.Fatalf("match %d differs:\n%.200s\n%.200s", i, local.matches[i], remote.matches[i])
		}
	}
	t.Logf("chunk by chunk: %d requests, %d bytes; coalesced: %d requests, %d bytes", local.requests, local.bytes, remote.requests, remote.bytes)
	if remote.requests >= local.requests {
		t.Errorf("coalesced reads made %d requests, chunk by chunk %d", remote.requests, local.requests)
	}
	if remote.bytes > local.bytes+local.bytes/20 {
		t.Errorf("coalesced reads fetched %d bytes, chunk by chunk %d: more than 5%% more", remote.bytes, local.bytes)
	}
}
