package query

import "testing"

func TestBufClass(t *testing.T) {
	for _, tc := range []struct {
		size, want int
	}{
		{1, 4096},
		{4096, 4096},
		{4097, 5120},
		{5120, 5120},
		{5121, 6144},
		{8192, 8192},
		{8193, 10240},
		{5 << 20, 5 << 20},
		{5<<20 + 1, 6 << 20},
		{1 << 31, 1 << 31},
	} {
		c, ok := bufClass(tc.size)
		if !ok {
			t.Fatalf("bufClass(%d): no class", tc.size)
		}
		if got := bufClassSize(c); got != tc.want {
			t.Errorf("bufClass(%d) = class %d of %d bytes, want %d", tc.size, c, got, tc.want)
		}
	}
	if _, ok := bufClass(1<<31 + 1); ok {
		t.Errorf("bufClass(2 GiB + 1) has a class")
	}
	// Every class is the smallest that holds its own size, and holds at
	// most a quarter more than the sizes it serves.
	for c := 0; c < bufClasses; c++ {
		n := bufClassSize(c)
		if got, ok := bufClass(n); !ok || got != c {
			t.Errorf("bufClass(bufClassSize(%d) = %d) = %d, %v", c, n, got, ok)
		}
		if c > 0 {
			prev := bufClassSize(c - 1)
			if got, _ := bufClass(prev + 1); got != c {
				t.Errorf("bufClass(%d) = %d, want %d", prev+1, got, c)
			}
			if 4*n > 5*(prev+1) && n > 1<<bufMinShift {
				t.Errorf("class %d: %d bytes for a request of %d", c, n, prev+1)
			}
		}
	}
}

func TestBufPoolReuse(t *testing.T) {
	var p bufPool
	b := p.Allocate(300_000)
	if len(b) != 300_000 || cap(b) != bufClassSize(mustClass(t, 300_000)) {
		t.Fatalf("Allocate(300000): len %d cap %d", len(b), cap(b))
	}
	// A foreign buffer is not pooled: a later Allocate of its size never
	// returns it.
	foreign := make([]byte, 0, 300_001)
	p.Free(foreign)
	b = p.Reallocate(400_000, b)
	if len(b) != 400_000 || cap(b) < 400_000 {
		t.Fatalf("Reallocate(400000): len %d cap %d", len(b), cap(b))
	}
	p.Free(b)
	for i := 0; i < 10; i++ {
		got := p.Allocate(300_000)
		if cap(got) == 300_001 {
			t.Fatalf("Allocate returned a buffer the pool did not make")
		}
		if cap(got) != bufClassSize(mustClass(t, 300_000)) {
			t.Fatalf("Allocate(300000) cap %d", cap(got))
		}
	}
}

func mustClass(t *testing.T, size int) int {
	t.Helper()
	c, ok := bufClass(size)
	if !ok {
		t.Fatalf("bufClass(%d): no class", size)
	}
	return c
}
