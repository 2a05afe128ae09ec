package query

import "testing"

func TestBufPool(t *testing.T) {
	var p bufPool
	for _, tc := range []struct{ size, cap int }{
		{1, 4096}, {4096, 4096}, {4097, 8192}, {5 << 20, 8 << 20}, {8 << 20, 8 << 20},
	} {
		if b := p.Allocate(tc.size); len(b) != tc.size || cap(b) != tc.cap {
			t.Errorf("Allocate(%d): len %d cap %d, want cap %d", tc.size, len(b), cap(b), tc.cap)
		}
	}
	// A buffer the pool did not make is dropped, not handed out again.
	p.Free(make([]byte, 0, 300_000))
	for range 10 {
		if b := p.Allocate(300_000); cap(b) != 512<<10 {
			t.Fatalf("Allocate(300000): cap %d", cap(b))
		}
	}
	b := p.Reallocate(600_000, p.Allocate(300_000))
	if len(b) != 600_000 || cap(b) != 1<<20 {
		t.Fatalf("Reallocate(600000): len %d cap %d", len(b), cap(b))
	}
}
