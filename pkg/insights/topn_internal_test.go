package insights

import (
	"fmt"
	"reflect"
	"testing"
)

// TestTopN_MatchesFullSort checks that the bounded buffer keeps exactly the
// rows the full evaluation (every row kept, sorted, then limited or capped)
// returns, for every shape planTop handles and across ties.
func TestTopN_MatchesFullSort(t *testing.T) {
	var recs []*Record
	for i := 0; i < 500; i++ {
		raw := fmt.Sprintf(`{"eventTime":"2024-05-01T10:%02d:%02dZ","k":"k%d","n":%d,"i":%d}`, i%7, i%13, i%5, i%11, i)
		if i%17 == 0 {
			raw = fmt.Sprintf(`{"k":"k%d","i":%d}`, i%5, i) // no eventTime, no n
		}
		rec, err := DecodeRecord([]byte(raw), "t")
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	for _, c := range []struct {
		q    string
		keep int
	}{
		{`fields i | sort k desc, n | limit 37`, 0},
		{`fields i | limit 50`, 0},
		{`fields i | limit any 9`, 0},
		{`fields i | sort n | limit 20 | dedup k`, 0},
		{`fields i | sort n desc`, 25},
		{`fields i`, 40},
		{`filter n > 3 | fields i | sort @timestamp asc | limit 3 | limit 2`, 0},
		{`fields i | limit 1000`, 0},
	} {
		q, err := Parse(c.q)
		if err != nil {
			t.Fatal(err)
		}
		run := func(bounded bool) *Result {
			e := NewEvaluator(q, EvalOptions{KeepRows: c.keep})
			if !bounded {
				if e.top == nil {
					t.Fatalf("%s: no bounded buffer planned", c.q)
				}
				e.top = nil
			}
			for _, r := range recs {
				if err := e.Add(r); err != nil {
					t.Fatal(err)
				}
			}
			res, err := e.Result()
			if err != nil {
				t.Fatal(err)
			}
			if !bounded {
				res.Cap(c.keep)
			}
			return res
		}
		got, want := run(true), run(false)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s (keep %d):\nbounded %v (total %d)\nfull    %v (total %d)", c.q, c.keep, got.Rows, got.Total, want.Rows, want.Total)
		}
	}
}

func TestEvaluator_Done(t *testing.T) {
	q, err := Parse(`filter i >= 2 | limit any 2`)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEvaluator(q, EvalOptions{})
	for i := 0; i < 4; i++ {
		rec, _ := DecodeRecord([]byte(fmt.Sprintf(`{"i":%d}`, i)), "t")
		if e.Done() {
			t.Fatalf("done after %d records, want after 4", i)
		}
		if err := e.Add(rec); err != nil {
			t.Fatal(err)
		}
	}
	if !e.Done() {
		t.Fatal("not done after 2 rows of limit any 2")
	}
}
