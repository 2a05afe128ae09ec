package query

import (
	"math/rand/v2"
	"testing"
)

// TestBitmap_KeepIndexed: the dictionary form of keep clears exactly the
// rows keep clears, for dense and sparse selections, nulls and a last
// partial word.
func TestBitmap_KeepIndexed(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	table := []bool{true, false, true, false, false}
	for _, c := range []struct {
		name    string
		n       int
		density float64 // share of rows selected before
	}{
		{"dense", 1000, 1},
		{"sparse", 1000, 0.05},
		{"half", 130, 0.5},
		{"one partial word", 17, 1},
		{"empty", 200, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			idx := make([]int32, c.n)
			for i := range idx {
				idx[i] = int32(rng.IntN(len(table)+1)) - 1 // -1: null
			}
			got, want := newBitmap(c.n), newBitmap(c.n)
			for i := 0; i < c.n; i++ {
				if rng.Float64() < c.density {
					got.set(i)
					want.set(i)
				}
			}
			before := got.count()
			got.keepIndexed(idx, table)
			want.keep(func(i int) bool { return idx[i] >= 0 && table[idx[i]] })
			for i := 0; i < c.n; i++ {
				if got.get(i) != want.get(i) {
					t.Fatalf("row %d (index %d): kept %v, want %v", i, idx[i], got.get(i), want.get(i))
				}
			}
			if before > 0 && got.count() == before {
				t.Errorf("nothing cleared of %d rows: the case tests nothing", before)
			}
		})
	}
}
