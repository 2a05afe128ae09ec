package query

import (
	"math/bits"
	"sync"
)

// bufPool recycles the large byte buffers of full column scans (the raw
// record column and its page buffers): a scan of the raw column otherwise
// allocates, zeroes and collects several MiB per file. Buffers are kept in
// power-of-two size classes. It implements Arrow's memory.Allocator for the
// page readers the engine creates and closes itself; buffers handed to Arrow
// code that may keep references are never pooled.
type bufPool struct {
	classes [bufClasses]sync.Pool
}

const (
	bufMinShift = 12 // 4 KiB
	bufClasses  = 20 // up to 2 GiB
)

var scanBuffers = &bufPool{}

func bufClass(size int) (int, bool) {
	if size <= 1<<bufMinShift {
		return 0, true
	}
	c := bits.Len(uint(size-1)) - bufMinShift
	return c, c < bufClasses
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
	return make([]byte, size, 1<<(c+bufMinShift))
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
	c := cap(b)
	if c < 1<<bufMinShift || c&(c-1) != 0 {
		return // not one of ours
	}
	cl := bits.Len(uint(c)) - 1 - bufMinShift
	if cl >= bufClasses {
		return
	}
	b = b[:0]
	p.classes[cl].Put(&b)
}
