package ingest

import "sync"

// arena holds the record bytes of one batch. It grows by adding chunks,
// never by copying: a contiguous buffer that doubles copies every byte
// again at each doubling and has the runtime clear each new buffer, which
// cost about 5% of an ingest's CPU. Chunks come from a pool and go back to
// it when the batch is reset.
//
// An offset addresses the arena as if it were one buffer. The offset space
// is cut into slots of slotSize bytes; a chunk covers a whole number of
// slots, so slot i (offset >> slotShift) names the chunk holding the
// offset. An allocation never straddles two chunks: what does not fit in
// the last chunk's room starts a new chunk, and the rest of the old one is
// left unused.
type arena struct {
	slots  []arenaSlot
	chunks [][]byte // in allocation order, for release
	end    int      // next free offset (in the last chunk)
	limit  int      // end of the last chunk
}

type arenaSlot struct {
	buf  []byte
	base int // offset of buf[0]
}

const (
	slotShift    = 16
	slotSize     = 1 << slotShift // the first chunk; every chunk is a multiple
	maxPoolChunk = 1 << 20        // chunks double up to this size
)

// chunkPools holds free chunks of slotSize << k bytes, k = 0..4.
var chunkPools [5]sync.Pool

func poolIndex(size int) int {
	for k := range chunkPools {
		if size == slotSize<<k {
			return k
		}
	}
	return -1
}

func getChunk(size int) []byte {
	if k := poolIndex(size); k >= 0 {
		if c, ok := chunkPools[k].Get().(*[]byte); ok {
			return (*c)[:size]
		}
	}
	return make([]byte, size)
}

func putChunk(c []byte) {
	if k := poolIndex(cap(c)); k >= 0 {
		c = c[:cap(c)]
		chunkPools[k].Put(&c)
	}
}

// alloc reserves n contiguous bytes and returns their offset and the bytes
// to fill in.
func (a *arena) alloc(n int) (int32, []byte) {
	if a.limit-a.end < n {
		a.grow(n)
	}
	off := a.end
	a.end += n
	s := &a.slots[off>>slotShift]
	return int32(off), s.buf[off-s.base : off-s.base+n : off-s.base+n]
}

// grow starts a chunk with room for at least n bytes: twice the size of the
// last one, up to maxPoolChunk, or n rounded up to whole slots.
func (a *arena) grow(n int) {
	size := slotSize
	if k := len(a.chunks); k > 0 {
		size = min(2*cap(a.chunks[k-1]), maxPoolChunk)
	}
	if n > size {
		size = (n + slotSize - 1) &^ (slotSize - 1)
	}
	c := getChunk(size)
	base := len(a.slots) << slotShift
	for range size >> slotShift {
		a.slots = append(a.slots, arenaSlot{buf: c, base: base})
	}
	a.chunks = append(a.chunks, c)
	a.end, a.limit = base, base+size
}

var noBytes = []byte{}

// bytes returns the n bytes at off.
func (a *arena) bytes(off, n int32) []byte {
	if n == 0 {
		return noBytes
	}
	s := &a.slots[off>>slotShift]
	i := int(off) - s.base
	return s.buf[i : i+int(n) : i+int(n)]
}

// size is the memory the arena holds.
func (a *arena) size() int {
	n := 0
	for _, c := range a.chunks {
		n += cap(c)
	}
	return n + cap(a.slots)*32
}

// arenaMark is a point to roll an arena back to.
type arenaMark struct{ slots, chunks, end, limit int }

func (a *arena) mark() arenaMark { return arenaMark{len(a.slots), len(a.chunks), a.end, a.limit} }

// rollback frees everything allocated after m.
func (a *arena) rollback(m arenaMark) {
	for i := m.chunks; i < len(a.chunks); i++ {
		putChunk(a.chunks[i])
		a.chunks[i] = nil
	}
	clear(a.slots[m.slots:])
	a.slots, a.chunks = a.slots[:m.slots], a.chunks[:m.chunks]
	a.end, a.limit = m.end, m.limit
}

// reset frees every chunk.
func (a *arena) reset() { a.rollback(arenaMark{}) }
