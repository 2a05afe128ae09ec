package insights

import (
	"container/heap"
	"slices"
)

// topN keeps the first n rows of a known order while rows stream in: a
// heap whose root is the worst row kept, so memory stays O(n) whatever the
// number of rows. The order is a sort's keys, or @timestamp descending,
// with input order breaking ties as the stable sorts of Result do; with
// anyOrder the first n rows added are kept.
type topN struct {
	n        int
	anyOrder bool
	capOnly  bool // no limit: the buffer is the row cap, so Result.Total counts every row added
	sort     *Sort
	env      *env
	h        rowHeap
	// tie, when set, orders rows whose keys are equal instead of seq.
	tie func(a, b *row) int
}

func newTopN(n int, anyOrder bool, s *Sort, ev *env) *topN {
	t := &topN{n: n, anyOrder: anyOrder, sort: s, env: ev}
	t.h.less = t.before
	return t
}

// keys computes a row's order keys once, into r.order's storage.
func (t *topN) keys(r *row) {
	r.order = r.order[:0]
	if t.sort == nil {
		r.order = append(r.order, t.env.timestamp(r))
		return
	}
	for _, k := range t.sort.Keys {
		r.order = append(r.order, t.env.eval(k.Expr, r))
	}
}

// before reports whether a comes before b in the result order.
func (t *topN) before(a, b *row) bool {
	if t.sort == nil {
		if c := sortCompare(a.order[0], b.order[0], true); c != 0 {
			return c < 0
		}
	} else {
		for i, k := range t.sort.Keys {
			if c := sortCompare(a.order[i], b.order[i], k.Desc); c != 0 {
				return c < 0
			}
		}
	}
	if t.tie != nil {
		return t.tie(a, b) < 0
	}
	return a.seq < b.seq
}

func (t *topN) full() bool { return len(t.h.rows) >= t.n }

func (t *topN) add(r *row) {
	if t.anyOrder {
		if !t.full() {
			t.h.rows = append(t.h.rows, r)
		}
		return
	}
	if t.admits(r) {
		t.push(r)
	}
}

// admits computes r's order keys and reports whether the buffer would
// keep r: it is not full, or r comes before its worst row. A caller may
// test a scratch row and push a copy of it (with its order keys).
func (t *topN) admits(r *row) bool {
	if t.n <= 0 {
		return false
	}
	t.keys(r)
	return !t.full() || t.before(r, t.h.rows[0])
}

// push keeps r, which admits accepted, dropping the worst row when full.
func (t *topN) push(r *row) {
	if !t.full() {
		heap.Push(&t.h, r)
		return
	}
	t.h.rows[0] = r
	heap.Fix(&t.h, 0)
}

// rows returns the kept rows in result order.
func (t *topN) rows() []*row {
	out := slices.Clone(t.h.rows)
	if !t.anyOrder {
		slices.SortFunc(out, func(a, b *row) int {
			if t.before(a, b) {
				return -1
			}
			if t.before(b, a) {
				return 1
			}
			return 0
		})
	}
	return out
}

// rowHeap is a max-heap in result order: the root is the worst row kept.
type rowHeap struct {
	rows []*row
	less func(a, b *row) bool
}

func (h *rowHeap) Len() int           { return len(h.rows) }
func (h *rowHeap) Less(i, j int) bool { return h.less(h.rows[j], h.rows[i]) }
func (h *rowHeap) Swap(i, j int)      { h.rows[i], h.rows[j] = h.rows[j], h.rows[i] }
func (h *rowHeap) Push(x any)         { h.rows = append(h.rows, x.(*row)) }
func (h *rowHeap) Pop() any {
	r := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return r
}
