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
}

func newTopN(n int, anyOrder bool, s *Sort, ev *env) *topN {
	t := &topN{n: n, anyOrder: anyOrder, sort: s, env: ev}
	t.h.less = t.before
	return t
}

// keys computes a row's order keys once.
func (t *topN) keys(r *row) {
	if t.sort == nil {
		r.order = []Value{t.env.timestamp(r)}
		return
	}
	r.order = make([]Value, len(t.sort.Keys))
	for i, k := range t.sort.Keys {
		r.order[i] = t.env.eval(k.Expr, r)
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
	t.keys(r)
	if !t.full() {
		heap.Push(&t.h, r)
		return
	}
	if t.before(r, t.h.rows[0]) {
		t.h.rows[0] = r
		heap.Fix(&t.h, 0)
	}
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
