package query

import (
	"math/bits"
	"sync"
)

// bitmap is a selection vector: bit i set means row i is still a candidate.
// Filters only clear bits; the caller owns the bitmap.
type bitmap struct {
	words []uint64
	n     int
}

func newBitmap(n int) *bitmap {
	return &bitmap{words: make([]uint64, (n+63)/64), n: n}
}

var bitmaps sync.Pool

// getBitmap returns a cleared bitmap of n rows from the pool. The caller
// owns it and should hand it back with putBitmap when done.
func getBitmap(n int) *bitmap {
	b, _ := bitmaps.Get().(*bitmap)
	w := (n + 63) / 64
	if b == nil || cap(b.words) < w {
		return newBitmap(n)
	}
	b.words, b.n = b.words[:w], n
	b.clearAll()
	return b
}

// putBitmap returns b to the pool; b must not be used afterwards.
func putBitmap(b *bitmap) {
	if b != nil {
		bitmaps.Put(b)
	}
}

// clearAll clears every bit.
func (b *bitmap) clearAll() { clear(b.words) }

// setAll sets bits 0..n-1.
func (b *bitmap) setAll() {
	for i := range b.words {
		b.words[i] = ^uint64(0)
	}
	if r := b.n % 64; r != 0 {
		b.words[len(b.words)-1] = (1 << r) - 1
	}
}

func (b *bitmap) get(i int) bool     { return b.words[i>>6]&(1<<(i&63)) != 0 }
func (b *bitmap) set(i int)          { b.words[i>>6] |= 1 << (i & 63) }
func (b *bitmap) clear(i int)        { b.words[i>>6] &^= 1 << (i & 63) }
func (b *bitmap) copyFrom(o *bitmap) { copy(b.words, o.words) }

// isZero reports whether no bit is set.
func (b *bitmap) isZero() bool {
	for _, w := range b.words {
		if w != 0 {
			return false
		}
	}
	return true
}

// count returns the number of set bits.
func (b *bitmap) count() int {
	n := 0
	for _, w := range b.words {
		n += bits.OnesCount64(w)
	}
	return n
}

// and keeps only bits also set in o.
func (b *bitmap) and(o *bitmap) {
	for i := range b.words {
		b.words[i] &= o.words[i]
	}
}

// or sets the bits set in o.
func (b *bitmap) or(o *bitmap) {
	for i := range b.words {
		b.words[i] |= o.words[i]
	}
}

// andNot clears the bits set in o.
func (b *bitmap) andNot(o *bitmap) {
	for i := range b.words {
		b.words[i] &^= o.words[i]
	}
}

// anyIn reports whether a bit in [lo, hi) is set.
func (b *bitmap) anyIn(lo, hi int) bool {
	for i := lo; i < hi; {
		w := b.words[i>>6] >> (i & 63)
		if w != 0 {
			return i+bits.TrailingZeros64(w) < hi
		}
		i = (i | 63) + 1
	}
	return false
}

// keepFirst clears every set bit after the first k.
func (b *bitmap) keepFirst(k int) {
	for wi, w := range b.words {
		if n := bits.OnesCount64(w); n <= k {
			k -= n
			continue
		}
		for ; k > 0; k-- {
			w &= w - 1 // drop the lowest set bit
		}
		b.words[wi] &^= w // w: the bits past the k-th
		clear(b.words[wi+1:])
		return
	}
}

// clearRange clears the bits in [lo, hi).
func (b *bitmap) clearRange(lo, hi int) {
	for i := lo; i < hi; i++ {
		if i&63 == 0 && i+64 <= hi {
			b.words[i>>6] = 0
			i += 63
			continue
		}
		b.clear(i)
	}
}

// forEach calls fn for every set bit, in order.
func (b *bitmap) forEach(fn func(i int)) {
	for wi, w := range b.words {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			fn(wi*64 + t)
			w &= w - 1
		}
	}
}

// keep clears every set bit i for which fn(i) is false. It is the per-row
// fallback for predicates without a vectorized form; it visits only
// candidate rows.
func (b *bitmap) keep(fn func(i int) bool) {
	for wi, w := range b.words {
		out := w
		for w != 0 {
			t := bits.TrailingZeros64(w)
			if !fn(wi*64 + t) {
				out &^= 1 << t
			}
			w &= w - 1
		}
		b.words[wi] = out
	}
}

// keepIndexed clears every set bit i whose entry idx[i] is negative (null)
// or indexes a false entry of table: the vectorized form of keep for a
// dictionary-encoded column, whose predicate ran once per dictionary entry.
// idx must have at least n entries and its entries must be < len(table).
func (b *bitmap) keepIndexed(idx []int32, table []bool) {
	idx = idx[:b.n]
	for wi, w := range b.words {
		if w == 0 {
			continue
		}
		base := wi * 64
		if bits.OnesCount64(w) < 16 { // few candidates: visit only them
			for v := w; v != 0; v &= v - 1 {
				t := bits.TrailingZeros64(v)
				if x := idx[base+t]; x < 0 || !table[x] {
					w &^= 1 << t
				}
			}
			b.words[wi] = w
			continue
		}
		var out uint64
		for i, x := range idx[base:min(base+64, b.n)] {
			if x >= 0 && table[x] {
				out |= 1 << i
			}
		}
		b.words[wi] = w & out
	}
}
