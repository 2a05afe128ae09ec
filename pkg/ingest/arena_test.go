package ingest

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// The arena must return, for every allocation, exactly the bytes written
// into it, whatever the mix of sizes: small records that fill chunks,
// records that do not fit the room left, records larger than any pooled
// chunk, and empty ones; and after a rollback or reset, the allocations
// that remain must be intact and the freed space reusable.
func TestArena_AllocBytesRollback(t *testing.T) {
	type alloc struct {
		off  int32
		want []byte
	}
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	sizes := func() int {
		switch rng.IntN(20) {
		case 0:
			return 0
		case 1:
			return slotSize - 1 + rng.IntN(3) // around a slot
		case 2:
			return maxPoolChunk + rng.IntN(3*maxPoolChunk) // beyond any pooled chunk
		default:
			return 1 + rng.IntN(4000)
		}
	}
	var a arena
	var live []alloc
	check := func(what string) {
		t.Helper()
		for i, al := range live {
			if got := a.bytes(al.off, int32(len(al.want))); !bytes.Equal(got, al.want) {
				t.Fatalf("%s: allocation %d (offset %d, %d bytes) changed", what, i, al.off, len(al.want))
			}
		}
	}
	add := func(n int) {
		want := fill(n)
		off, dst := a.alloc(n)
		if len(dst) != n || cap(dst) != n {
			t.Fatalf("alloc(%d): len %d cap %d", n, len(dst), cap(dst))
		}
		copy(dst, want)
		live = append(live, alloc{off, want})
	}
	for round := range 3 {
		for range 400 {
			add(sizes())
		}
		check("after allocating")
		// Roll back half of what follows a mark.
		m, keep := a.mark(), len(live)
		for range 200 {
			add(sizes())
		}
		a.rollback(m)
		live = live[:keep]
		check("after a rollback")
		for range 100 {
			add(sizes())
		}
		check("after allocating past a rollback")
		inUse := 0
		for _, al := range live {
			inUse += len(al.want)
		}
		if a.size() < inUse {
			t.Fatalf("size %d below the %d bytes in use", a.size(), inUse)
		}
		if round < 2 {
			a.reset()
			live = live[:0]
			if held := a.size() - cap(a.slots)*32; len(a.slots) != 0 || len(a.chunks) != 0 || held != 0 {
				t.Fatalf("reset left %d slots, %d chunks, %d chunk bytes", len(a.slots), len(a.chunks), held)
			}
		}
	}
	// Offsets are distinct and allocations do not overlap.
	seen := map[int32]bool{}
	for _, al := range live {
		if len(al.want) == 0 {
			continue
		}
		if seen[al.off] {
			t.Fatalf("offset %d handed out twice", al.off)
		}
		seen[al.off] = true
	}
}
