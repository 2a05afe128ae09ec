package query

import (
	"math/bits"
	"sync"
)

// bufPool recycles the large byte buffers of full column scans (the raw
// record column and its page buffers): a scan of the raw column otherwise
// allocates, zeroes and collects several MiB per file. Buffers are kept in
// size classes four to a doubling, so a buffer is at most a quarter larger
// than asked for: with power-of-two classes a 5 MiB chunk held 8 MiB, and
// what the pool holds between collections counts as live heap, which the
// GC target multiplies. It implements Arrow's memory.Allocator for the
// page readers the engine creates and closes itself; buffers handed to Arrow
// code that may keep references are never pooled.
type bufPool struct {
	classes [bufClasses]sync.Pool
}

const (
	bufMinShift = 12 // the smallest class, 4 KiB
	bufMaxShift = 31 // the largest, 2 GiB
	bufSteps    = 4  // classes per doubling
	bufClasses  = 1 + (bufMaxShift-bufMinShift)*bufSteps
)

var scanBuffers = &bufPool{}

// bufClass returns the smallest class whose buffers hold size bytes, and
// false when size is beyond the largest class.
func bufClass(size int) (int, bool) {
	if size <= 1<<bufMinShift {
		return 0, true
	}
	k := bits.Len(uint(size - 1)) // 1<<(k-1) < size <= 1<<k
	if k > bufMaxShift {
		return 0, false
	}
	base := 1 << (k - 1)
	step := base / bufSteps
	j := (size - base + step - 1) / step // 1..bufSteps
	return 1 + (k-1-bufMinShift)*bufSteps + j - 1, true
}

// bufClassSize is the capacity of the buffers of class c.
func bufClassSize(c int) int {
	if c == 0 {
		return 1 << bufMinShift
	}
	base := 1 << (bufMinShift + (c-1)/bufSteps)
	return base + ((c-1)%bufSteps+1)*(base/bufSteps)
}

// Allocate returns a buffer of length size, not zeroed.
func (p *bufPool) Allocate(size int) []byte {
	c, ok := bufClass(size)
	if !ok {
		return make([]byte, size)
	}
	if b, _ := p.classes[c].Get().(*[]byte); b != nil {
		return (*b)[:size]
	}
	return make([]byte, size, bufClassSize(c))
}

// Reallocate grows b to length size, keeping its contents.
func (p *bufPool) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		return b[:size]
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

// Free returns b to its size class; b must not be used afterwards.
func (p *bufPool) Free(b []byte) {
	cl, ok := bufClass(cap(b))
	if !ok || bufClassSize(cl) != cap(b) {
		return // not one of ours
	}
	b = b[:0]
	p.classes[cl].Put(&b)
}
