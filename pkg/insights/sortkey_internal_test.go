package insights

import (
	"bytes"
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestAppendSortKey checks that comparing encoded keys (single values and
// pairs) gives sortCompare's order, over values of every kind with the
// digit and non-digit runs that make §4.7 order differ from byte order.
func TestAppendSortKey(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"", "0", "01", "1", "9", "10", "007", "a", "ab", "b", "A", "-", ".", " ", "~", "é", "10.0.0.1", "arn:aws:iam::1",
		strings.Repeat("1", 254), strings.Repeat("2", 255), strings.Repeat("1", 300)}
	value := func() Value {
		switch rng.IntN(8) {
		case 0:
			return Null
		case 1:
			return Time(rng.Int64N(1e6) - 5e5)
		case 2:
			return Number(float64(rng.IntN(200)-100) / 4)
		case 3:
			return Bool(rng.IntN(2) == 0)
		}
		s := ""
		for i := rng.IntN(4); i >= 0; i-- {
			s += pieces[rng.IntN(len(pieces))]
		}
		return String(s)
	}
	sign := func(c int) int { return min(max(c, -1), 1) }
	for range 20000 {
		a, b, c, d := value(), value(), value(), value()
		ka, okA := appendSortKey(nil, a)
		kb, okB := appendSortKey(nil, b)
		if !okA || !okB {
			t.Fatalf("cannot encode %#v or %#v", a, b)
		}
		if got, want := sign(bytes.Compare(ka, kb)), sign(sortCompare(a, b, false)); got != want {
			t.Fatalf("%#v vs %#v: keys compare %d, sortCompare %d", a, b, got, want)
		}
		kac, _ := appendSortKey(ka, c)
		kbd, _ := appendSortKey(kb, d)
		want := sign(sortCompare(a, b, false))
		if want == 0 {
			want = sign(sortCompare(c, d, false))
		}
		if got := sign(bytes.Compare(kac, kbd)); got != want {
			t.Fatalf("(%#v, %#v) vs (%#v, %#v): keys compare %d, sortCompare %d", a, c, b, d, got, want)
		}
	}
	if _, ok := appendSortKey(nil, String("a\x00b")); ok {
		t.Error("a text with a NUL byte was encoded")
	}
}

// TestSortHalves checks the two-halves sort against slices.Sort on sizes
// below and above the size it splits at, odd ones included.
func TestSortHalves(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 1000, 1<<15 - 1, 1 << 15, 100_001} {
		s := make([]int, n)
		for i := range s {
			s[i] = rng.IntN(1 << 30)
		}
		want := slices.Clone(s)
		slices.Sort(want)
		if got := sortHalves(s, cmp.Compare[int]); !slices.Equal(got, want) {
			t.Errorf("%d elements: not sorted", n)
		}
	}
}
