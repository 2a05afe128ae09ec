package query

import (
	"fmt"
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

func TestBitmap_KeepFirst(t *testing.T) {
	for _, tc := range []struct {
		n    int
		set  []int
		k    int
		want []int
	}{
		{200, []int{1, 5, 63, 64, 130, 199}, 3, []int{1, 5, 63}},
		{200, []int{1, 5, 63, 64, 130, 199}, 4, []int{1, 5, 63, 64}},
		{200, []int{1, 5, 63, 64, 130, 199}, 0, nil},
		{200, []int{1, 5, 63, 64, 130, 199}, 6, []int{1, 5, 63, 64, 130, 199}},
		{200, []int{1, 5, 63, 64, 130, 199}, 10, []int{1, 5, 63, 64, 130, 199}},
		{70, nil, 2, nil},
		{128, []int{0, 1, 2, 3, 64, 65, 127}, 5, []int{0, 1, 2, 3, 64}},
	} {
		b := newBitmap(tc.n)
		for _, i := range tc.set {
			b.set(i)
		}
		b.keepFirst(tc.k)
		var got []int
		b.forEach(func(i int) { got = append(got, i) })
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("keepFirst(%d) of %v: %v, want %v", tc.k, tc.set, got, tc.want)
		}
	}
}
