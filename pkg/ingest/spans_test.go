package ingest

import "testing"

func TestSpanRows_BlocksAndPool(t *testing.T) {
	for _, rows := range []int{0, 1, spanBlockRows - 1, spanBlockRows, spanBlockRows + 1, 5*spanBlockRows + 3} {
		pool := &spanPool{limit: 1 << 30}
		s := newSpanRows(pool)
		nLeaves := len(tree().leaves)
		for i := 0; i < rows; i++ {
			r := s.add(i)
			if len(r) != nLeaves {
				t.Fatalf("rows=%d: row %d has %d spans, want %d", rows, i, len(r), nLeaves)
			}
			for k := range r {
				r[k] = span{int32(i), int32(k)}
			}
		}
		wantBlocks := (rows + spanBlockRows - 1) / spanBlockRows
		if len(s.blocks) != wantBlocks || s.size() != wantBlocks*spanBlockRows*nLeaves*spanBytes {
			t.Fatalf("rows=%d: %d blocks (%d bytes), want %d", rows, len(s.blocks), s.size(), wantBlocks)
		}
		for i := 0; i < rows; i++ {
			for k := 0; k < nLeaves; k += 7 {
				if got := s.at(i, k); got != (span{int32(i), int32(k)}) {
					t.Fatalf("rows=%d: at(%d, %d) = %v", rows, i, k, got)
				}
			}
		}
		// A rollback to half keeps the rows before it and frees the rest.
		half := rows / 2
		s.truncate(half)
		if want := (half + spanBlockRows - 1) / spanBlockRows; len(s.blocks) != want || len(pool.free) != wantBlocks-want {
			t.Fatalf("rows=%d: after truncate(%d): %d blocks, %d free; want %d, %d", rows, half, len(s.blocks), len(pool.free), want, wantBlocks-want)
		}
		for i := 0; i < half; i++ {
			if got := s.at(i, 0); got != (span{int32(i), 0}) {
				t.Fatalf("rows=%d: row %d lost by truncate: %v", rows, i, got)
			}
		}
		s.truncate(0)
		if len(s.blocks) != 0 || len(pool.free) != wantBlocks {
			t.Fatalf("rows=%d: after reset %d blocks, %d free", rows, len(s.blocks), len(pool.free))
		}
		// The next rows reuse the freed blocks instead of allocating.
		if wantBlocks > 0 {
			free := pool.free[len(pool.free)-1]
			if r := s.add(0); &r[0] != &free[0] {
				t.Fatalf("rows=%d: add did not take a block from the pool", rows)
			}
		}
	}
}

func TestSpanPool_Limit(t *testing.T) {
	pool := &spanPool{}
	s := newSpanRows(pool)
	pool.limit = 2 * s.blockBytes()
	for i := 0; i < 4*spanBlockRows; i++ {
		s.add(i)
	}
	s.truncate(0)
	if len(pool.free) != 2 {
		t.Fatalf("pool keeps %d blocks, want 2 (its limit)", len(pool.free))
	}
	var none *spanPool // batches outside a worker allocate and drop
	none.put(none.get(s.width))
}

// A rolled-back object's rows, then new rows, read back exactly: the spans
// of rows that reuse a block never show an earlier row's values.
func TestBatch_RollbackReusesSpans(t *testing.T) {
	b := newPooledBatch(&spanPool{limit: 1 << 30})
	dec := newDecoder()
	recs := [][]byte{
		[]byte(`{"eventVersion":"1.08","eventName":"A","eventTime":"2024-03-01T00:00:00Z","eventID":"a"}`),
		[]byte(`{"eventVersion":"1.09","eventName":"B","eventTime":"2024-03-01T00:00:01Z"}`),
	}
	nameSlot := leafByPath("eventName").slot
	idSlot := leafByPath("eventID").slot
	for i := 0; i < 3*spanBlockRows; i++ {
		if i == spanBlockRows+5 {
			m := b.mark()
			for j := 0; j < 2*spanBlockRows; j++ {
				rec := recs[0]
				if _, err := dec.decode(rec); err != nil {
					t.Fatal(err)
				}
				b.add(dec, rec, "k", j)
			}
			b.rollback(m)
		}
		rec := recs[i%2]
		if _, err := dec.decode(rec); err != nil {
			t.Fatal(err)
		}
		b.add(dec, rec, "k", i)
	}
	for i := range b.rows {
		name := string(b.bytes(b.vals.at(i, nameSlot)))
		if want := string("AB"[i%2]); name != want {
			t.Fatalf("row %d: eventName %q, want %q", i, name, want)
		}
		if got := b.vals.at(i, idSlot).ok(); got != (i%2 == 0) {
			t.Fatalf("row %d: eventID present = %v", i, got)
		}
	}
}
