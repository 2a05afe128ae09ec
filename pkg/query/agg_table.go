package query

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
)

// The group table of an aggregation, laid out for many groups: group keys
// interned in one byte arena behind an open-addressing index, aggregate
// values in one []int64 per item, and count_distinct as a set of (group,
// value) pairs over values interned once per table. Nothing in it holds a
// pointer per group, so a table of a million groups costs the collector a
// few slices, and merging two tables is one pass over the smaller.

// AggTable is the merged result of an aggregation: one entry per distinct
// key tuple. It is not safe for concurrent use; its accessors must not be
// called before Aggregate has returned it.
type AggTable struct {
	spec   *AggSpec
	groups byteIndex // encoded key tuples (appendAggKey)
	vals   [][]int64 // per item, per group; min/max hold aggNoTime until set
	values byteIndex // values of count_distinct items
	pairs  []pairSet // per count_distinct item: group<<32 | value
}

// Sentinels of a min or max time no row set.
const (
	aggNoMinTime = math.MaxInt64
	aggNoMaxTime = math.MinInt64
)

// aggSeed hashes the keys of every table, so that tables merge without
// rehashing.
var aggSeed = maphash.MakeSeed()

// aggHash is the hash of a key or value: the low 32 bits of maphash, which
// place it in tables of up to 2^32 slots.
func aggHash(b []byte) uint32 { return uint32(maphash.Bytes(aggSeed, b)) }

func newAggTable(spec *AggSpec) *AggTable {
	t := &AggTable{spec: spec, vals: make([][]int64, len(spec.Items)), pairs: make([]pairSet, len(spec.Items))}
	t.groups.init()
	t.values.init()
	return t
}

// Len returns the number of groups.
func (t *AggTable) Len() int { return t.groups.len() }

// Key returns key k of group g (0 <= g < Len()): Null, or Str (a
// substring of the table's arena) for a column or JSON member, or Ms for
// an eventTime bucket.
func (t *AggTable) Key(g, k int) AggValue {
	s := t.groups.str(int32(g))
	for i := 0; ; i++ {
		var v AggValue
		switch s[0] {
		case aggKeyNull:
			v, s = AggValue{Null: true}, s[1:]
		case aggKeyTime:
			var ms uint64
			for j := 1; j < 9; j++ {
				ms = ms<<8 | uint64(s[j])
			}
			v, s = AggValue{Ms: int64(ms)}, s[9:]
		default:
			n, j := 0, 1
			for shift := 0; ; shift += 7 {
				b := s[j]
				j++
				n |= int(b&0x7f) << shift
				if b < 0x80 {
					break
				}
			}
			v, s = AggValue{Str: s[j : j+n]}, s[j+n:]
		}
		if i == k {
			return v
		}
	}
}

// Value returns item i of group g: the count, or the time in epoch ms.
// ok is false for a time item no row of the group had.
func (t *AggTable) Value(g, i int) (v int64, ok bool) {
	v = t.vals[i][g]
	switch t.spec.Items[i].Op {
	case AggMinTime:
		return v, v != aggNoMinTime
	case AggMaxTime:
		return v, v != aggNoMaxTime
	}
	return v, true
}

// Find returns the group of the key values keys (one per AggSpec key; Ms
// for eventTime keys, Str for the others), or false.
func (t *AggTable) Find(keys []AggValue) (int, bool) {
	var b []byte
	for i, v := range keys {
		b = appendAggKey(b, v, t.spec.Keys[i].Column == "")
	}
	g, ok := t.groups.find(b, aggHash(b))
	return int(g), ok
}

// ForEachDistinct calls fn with every (group, value) pair of the
// count_distinct item i, in no particular order. v is a substring of the
// table's arena.
func (t *AggTable) ForEachDistinct(i int, fn func(g int, v string)) {
	for _, p := range t.pairs[i].slots {
		if p == 0 {
			continue
		}
		p--
		e := int(uint32(p))
		fn(int(p>>32), t.values.str(int32(e)))
	}
}

// DropIndex frees what only Find and ForEachDistinct use (the key index
// and the count_distinct values and pairs); Len, Key and Value still work.
// Find and ForEachDistinct must not be called afterwards.
func (t *AggTable) DropIndex() {
	t.groups.slots, t.groups.hashes = nil, nil
	t.values = byteIndex{}
	t.pairs = nil
}

// Encoded key values: a tag byte, then for a string its uvarint length and
// bytes, for a time 8 bytes big-endian. No encoding extends another, so
// the encodings of a tuple concatenate unambiguously.
const (
	aggKeyNull = 0
	aggKeyStr  = 1
	aggKeyTime = 2
)

func appendAggKey(dst []byte, v AggValue, isTime bool) []byte {
	switch {
	case v.Null:
		return append(dst, aggKeyNull)
	case isTime:
		return binary.BigEndian.AppendUint64(append(dst, aggKeyTime), uint64(v.Ms))
	}
	return append(binary.AppendUvarint(append(dst, aggKeyStr), uint64(len(v.Str))), v.Str...)
}

// appendAggKeyBytes is appendAggKey of a non-null string given as bytes.
func appendAggKeyBytes(dst, s []byte) []byte {
	return append(binary.AppendUvarint(append(dst, aggKeyStr), uint64(len(s))), s...)
}

// group returns the group of the encoded key tuple key, adding it; beyond
// MaxGroups groups it fails with ErrAggGroups.
func (t *AggTable) group(key []byte, h uint32) (int32, error) {
	g, added, err := t.groups.intern(key, h)
	if err != nil || !added {
		return g, err
	}
	if t.groups.len() > t.spec.MaxGroups {
		return 0, fmt.Errorf("%w: more than %d groups", ErrAggGroups, t.spec.MaxGroups)
	}
	for i, it := range t.spec.Items {
		var v int64
		switch it.Op {
		case AggMinTime:
			v = aggNoMinTime
		case AggMaxTime:
			v = aggNoMaxTime
		}
		t.vals[i] = append(reserve(t.vals[i], 1), v)
	}
	return g, nil
}

// addTime folds the time ms into the min or max item i of group g.
func (t *AggTable) addTime(g int32, i int, ms int64) {
	p := &t.vals[i][g]
	if (t.spec.Items[i].Op == AggMinTime && ms < *p) || (t.spec.Items[i].Op == AggMaxTime && ms > *p) {
		*p = ms
	}
}

// addDistinct adds the interned value v to the count_distinct item i of
// group g.
func (t *AggTable) addDistinct(g int32, i int, v int32) {
	if t.pairs[i].add(uint64(g)<<32 | uint64(uint32(v))) {
		t.vals[i][g]++
	}
}

// value interns a count_distinct value.
func (t *AggTable) value(s []byte) (int32, error) {
	v, _, err := t.values.intern(s, aggHash(s))
	return v, err
}

// merge folds o's groups into t; o must not be used afterwards.
func (t *AggTable) merge(o *AggTable) error {
	gmap := make([]int32, o.groups.len())
	for g := range gmap {
		ng, err := t.group(o.groups.entry(int32(g)), o.groups.hashes[g])
		if err != nil {
			return err
		}
		gmap[g] = ng
		for i, it := range t.spec.Items {
			switch it.Op {
			case AggCount, AggCountColumn:
				t.vals[i][ng] += o.vals[i][g]
			case AggMinTime, AggMaxTime:
				t.addTime(ng, i, o.vals[i][g])
			}
		}
	}
	var vmap []int32 // o's value -> t's, +1; 0 not yet mapped
	for i, it := range t.spec.Items {
		if it.Op != AggCountDistinct {
			continue
		}
		if vmap == nil {
			vmap = make([]int32, o.values.len())
		}
		for _, p := range o.pairs[i].slots {
			if p == 0 {
				continue
			}
			p--
			ov := int32(uint32(p))
			if vmap[ov] == 0 {
				v, _, err := t.values.intern(o.values.entry(ov), o.values.hashes[ov])
				if err != nil {
					return err
				}
				vmap[ov] = v + 1
			}
			t.addDistinct(gmap[p>>32], i, vmap[ov]-1)
		}
		o.pairs[i] = pairSet{}
	}
	return nil
}

// freeze readies the table for Key, Find and ForEachDistinct; it takes
// no more groups or values afterwards.
func (t *AggTable) freeze() {
	t.groups.freeze()
	t.values.freeze()
}

// byteIndex interns byte strings: entry i's bytes are arena[offs[i]:
// offs[i+1]]; slots is an open-addressing (linear probing) table of
// entry+1, 0 for empty, whose length is a power of two. Once frozen, the
// arena is the string frozen, and entries are its substrings.
type byteIndex struct {
	arena  []byte
	frozen string
	offs   []uint32
	hashes []uint32
	slots  []int32
}

// freeze turns the arena into a string; the index takes no more entries.
func (x *byteIndex) freeze() {
	if x.arena != nil {
		x.frozen, x.arena = string(x.arena), nil
	}
}

// str returns entry e of a frozen index.
func (x *byteIndex) str(e int32) string { return x.frozen[x.offs[e]:x.offs[e+1]] }

// equal reports whether entry e is b.
func (x *byteIndex) equal(e int32, b []byte) bool {
	if x.arena == nil {
		return x.str(e) == string(b)
	}
	return bytes.Equal(x.entry(e), b)
}

func (x *byteIndex) init() { x.offs = []uint32{0} }

func (x *byteIndex) len() int { return len(x.offs) - 1 }

func (x *byteIndex) entry(e int32) []byte { return x.arena[x.offs[e]:x.offs[e+1]] }

// find returns the entry of b (whose hash is h), or false.
func (x *byteIndex) find(b []byte, h uint32) (int32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	mask := uint32(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return 0, false
		}
		if x.hashes[s-1] == h && x.equal(s-1, b) {
			return s - 1, true
		}
	}
}

// intern returns the entry of b (whose hash is h), adding it. It fails
// beyond 4 GiB of entries or 2^31-1 of them.
func (x *byteIndex) intern(b []byte, h uint32) (e int32, added bool, err error) {
	if (x.len()+1)*4 > len(x.slots)*3 {
		if len(x.slots) >= 1<<31 {
			return 0, false, fmt.Errorf("aggregate: more than %d distinct keys or values", x.len())
		}
		x.grow()
	}
	mask := uint32(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			if len(x.arena)+len(b) > math.MaxUint32 {
				return 0, false, fmt.Errorf("aggregate: keys or values of more than 4 GiB")
			}
			e = int32(x.len())
			x.arena = append(reserve(x.arena, len(b)), b...)
			x.offs = append(reserve(x.offs, 1), uint32(len(x.arena)))
			x.hashes = append(reserve(x.hashes, 1), h)
			x.slots[i] = e + 1
			return e, true, nil
		}
		if x.hashes[s-1] == h && bytes.Equal(x.entry(s-1), b) {
			return s - 1, false, nil
		}
	}
}

func (x *byteIndex) grow() {
	n := max(64, 2*len(x.slots))
	x.slots = make([]int32, n)
	mask := uint32(n - 1)
	for e, h := range x.hashes {
		i := h & mask
		for x.slots[i] != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = int32(e) + 1
	}
}

// reserve returns s with room for n more elements, doubling its
// capacity when it grows: append grows large slices by a quarter, which
// copies a table's arrays about five times over as it fills.
func reserve[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	return append(make([]T, 0, max(2*cap(s), len(s)+n, 64)), s...)
}

// pairSet is a set of uint64 below MaxUint64: an open-addressing table of
// value+1, 0 for empty.
type pairSet struct {
	slots []uint64
	n     int
}

// add adds p and reports whether it was new.
func (s *pairSet) add(p uint64) bool {
	if (s.n+1)*4 > len(s.slots)*3 {
		old := s.slots
		s.slots = make([]uint64, max(64, 2*len(old)))
		s.n = 0
		for _, q := range old {
			if q != 0 {
				s.insert(q)
			}
		}
	}
	return s.insert(p + 1)
}

func (s *pairSet) insert(q uint64) bool {
	mask := uint64(len(s.slots) - 1)
	h := q * 0x9e3779b97f4a7c15
	for i := (h ^ h>>29) & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = q
			s.n++
			return true
		case q:
			return false
		}
	}
}
