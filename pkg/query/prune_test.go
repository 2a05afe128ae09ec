package query

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// TestPrunePages_PageIndex: equality and time filters clear the rows of
// pages whose page-index bounds rule them out, and only those.
func TestPrunePages_PageIndex(t *testing.T) {
	type row struct {
		Name string    `parquet:"eventName,optional"`
		Time time.Time `parquet:"eventTime,timestamp(microsecond)"`
	}
	const n = 4000
	base := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
	rows := make([]row, n)
	for i := range rows {
		// Sorted names and times: every page covers a narrow range.
		rows[i] = row{Name: fmt.Sprintf("Event%04d", i/100), Time: base.Add(time.Duration(i) * time.Second)}
	}
	df := writeTestFile(t, rows, parquet.PageBufferSize(2048))
	defer df.Close()
	if p := countPages(t, df, 0, "eventName"); p < 4 {
		t.Fatalf("eventName has %d pages; the test needs several", p)
	}
	eq := newTypedFilter(&Compare{Sel: Selector{Steps: []Step{{Kind: StepField, Name: "eventName"}}}, Op: OpEq, Val: Value{Kind: ValString, Str: "Event0017"}}, "eventName")
	tf := newTimeFilter(base.Add(1000*time.Second), base.Add(1100*time.Second))
	for _, tc := range []struct {
		name    string
		f       filter
		lo, hi  int // rows that may match
		maxKept int // rows the pages left at most
	}{
		{"equality", eq, 1700, 1800, 1000},
		{"time range", tf, 1000, 1100, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &Stats{}
			b := &batch{ctx: context.Background(), df: df, n: n, meta: newRowGroupMeta(df, 0), st: st}
			b.meta.inexact = false
			sel := newBitmap(n)
			sel.setAll()
			if err := tc.f.prunePages(b, sel); err != nil {
				t.Fatal(err)
			}
			for i := tc.lo; i < tc.hi; i++ {
				if !sel.get(i) {
					t.Fatalf("row %d, which matches, was pruned", i)
				}
			}
			if kept := sel.count(); kept > tc.maxKept || st.PagesSkipped == 0 {
				t.Fatalf("%d rows kept, %d pages skipped", kept, st.PagesSkipped)
			}
			if err := tc.f.apply(b, sel); err != nil {
				t.Fatal(err)
			}
			if got := sel.count(); got != tc.hi-tc.lo {
				t.Fatalf("%d rows match after pruning, want %d", got, tc.hi-tc.lo)
			}
			b.release()
		})
	}
}

// TestPrunePages_NoBounds: a column written without page bounds (as the
// raw record and errorMessage are) prunes no page.
func TestPrunePages_NoBounds(t *testing.T) {
	type row struct {
		Msg string `parquet:"errorMessage,optional"`
	}
	rows := make([]row, 3000)
	for i := range rows {
		rows[i].Msg = fmt.Sprintf("message %d", i)
	}
	df := writeTestFile(t, rows, parquet.PageBufferSize(1024), parquet.SkipPageBounds("errorMessage"))
	defer df.Close()
	f := newTypedFilter(&Compare{Sel: Selector{Steps: []Step{{Kind: StepField, Name: "errorMessage"}}}, Op: OpEq, Val: Value{Kind: ValString, Str: "message 2500"}}, "errorMessage")
	b := &batch{ctx: context.Background(), df: df, n: len(rows), meta: newRowGroupMeta(df, 0), st: &Stats{}}
	b.meta.inexact = false
	sel := newBitmap(len(rows))
	sel.setAll()
	if err := f.prunePages(b, sel); err != nil {
		t.Fatal(err)
	}
	if sel.count() != len(rows) || b.st.PagesSkipped != 0 {
		t.Fatalf("%d of %d rows kept, %d pages skipped, on a column without page bounds", sel.count(), len(rows), b.st.PagesSkipped)
	}
}
