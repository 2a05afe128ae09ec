package compact

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// maxFanIn bounds the number of input files open at once in one merge (each
// holds one page per column, about 1 MiB). Inputs whose time ranges overlap
// more deeply are merged in rounds through intermediate files.
const maxFanIn = 64

// mergeCols are the columns a merge reads.
var mergeCols = []int{colTime, colID, colRaw, colSrc, colSrcIdx}

// maxOverlap returns the largest number of files whose [MinTime, MaxTime]
// ranges share an instant: how many inputs a lazily opening merge holds
// open at once.
func maxOverlap(files []partition.File) int {
	type ev struct {
		t     time.Time
		delta int
	}
	evs := make([]ev, 0, 2*len(files))
	for _, f := range files {
		evs = append(evs, ev{f.MinTime, 1}, ev{f.MaxTime, -1})
	}
	sort.Slice(evs, func(i, j int) bool {
		if !evs[i].t.Equal(evs[j].t) {
			return evs[i].t.Before(evs[j].t)
		}
		return evs[i].delta > evs[j].delta // opens before closes at the same instant
	})
	cur, best := 0, 0
	for _, e := range evs {
		cur += e.delta
		best = max(best, cur)
	}
	return best
}

// cursorHeap orders open inputs by their current row.
type cursorHeap []*cursor

func (h cursorHeap) Len() int { return len(h) }
func (h cursorHeap) Less(i, j int) bool {
	return compareRecords(&h[i].rec, &h[j].rec) < 0
}
func (h cursorHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)   { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

func compareRecords(a, b *record) int {
	if a.time != b.time {
		if a.time < b.time {
			return -1
		}
		return 1
	}
	if c := bytes.Compare(a.id, b.id); c != 0 {
		return c
	}
	return a.ordinal - b.ordinal
}

// sink receives merged records in order.
type sink interface {
	add(r *record) error
}

// mergeInputs streams the rows of inputs (one partition) to out in
// (eventTime, eventID) order, dropping rows whose eventID repeats the
// previous row's (a duplicate has the same eventID and eventTime) or is in
// seen. It opens an input only when the merge reaches its first eventTime.
func (j *job) mergeInputs(ctx context.Context, inputs []partition.File, seen map[string]struct{}, out sink) (rows, dups int64, err error) {
	order := append([]partition.File(nil), inputs...)
	sort.SliceStable(order, func(a, b int) bool { return order[a].MinTime.Before(order[b].MinTime) })
	var (
		h      cursorHeap
		opened []*cursor
		nextIn int
		lastID []byte
		lastT  int64
		haveID bool
	)
	defer func() {
		for _, c := range opened {
			if cerr := c.close(); cerr != nil && err == nil {
				err = cerr
			}
		}
	}()
	open := func() error {
		f := order[nextIn]
		c, err := openInput(ctx, j.lake, f, mergeCols)
		if err != nil {
			return err
		}
		c.rec.ordinal = nextIn
		nextIn++
		opened = append(opened, c)
		switch err := c.next(); {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
		heap.Push(&h, c)
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return rows, dups, err
		}
		// Open every input that may hold a row sorting before the current
		// smallest one.
		for nextIn < len(order) && (h.Len() == 0 || order[nextIn].MinTime.UnixMicro() <= h[0].rec.time) {
			if err := open(); err != nil {
				return rows, dups, err
			}
		}
		if h.Len() == 0 {
			return rows, dups, nil
		}
		c := h[0]
		r := &c.rec
		dup := false
		if r.hasID {
			if haveID && r.time == lastT && bytes.Equal(r.id, lastID) {
				dup = true
			} else if _, ok := seen[string(r.id)]; ok {
				dup = true
			}
			lastID, lastT, haveID = append(lastID[:0], r.id...), r.time, true
		}
		if dup {
			dups++
		} else {
			if err := out.add(r); err != nil {
				return rows, dups, err
			}
			rows++
		}
		switch err := c.next(); {
		case errors.Is(err, io.EOF):
			heap.Pop(&h)
		case err != nil:
			return rows, dups, err
		default:
			heap.Fix(&h, 0)
		}
	}
}

// writer cuts merged records into staged data files of about target bytes.
type writer struct {
	j           *job
	pk          partition.Key
	fb          *ingest.FileBuilder
	rowsPerFile int64 // cut here: the planned number of outputs share the rows evenly
	final       bool  // false: intermediate files of a merge round

	cur   *stagedFile
	files []partition.File
	srcs  map[string]string // interned source keys
}

type stagedFile struct {
	f  partition.File
	fh *objstore.ObjectFile // in place on a local lake, else a scratch file uploaded on Commit
}

func (w *writer) add(r *record) error {
	if w.cur == nil {
		if err := w.start(); err != nil {
			return err
		}
	}
	src, ok := w.srcs[string(r.src)]
	if !ok {
		src = string(r.src)
		w.srcs[src] = src
	}
	if err := w.fb.Add(r.raw, src, int(r.srcIdx)); err != nil {
		return fmt.Errorf("rebuild %s: %w", w.cur.f.Path, err)
	}
	if w.final && w.fb.Rows() >= w.rowsPerFile {
		return w.finish()
	}
	return nil
}

func (w *writer) start() error {
	j := w.j
	j.mu.Lock()
	j.seq++
	name := "part-" + j.run.ID() + "-c" + strconv.Itoa(j.seq) + ".parquet"
	j.mu.Unlock()
	if !w.final {
		name = "merge-" + name
	}
	sf := &stagedFile{f: partition.File{Path: w.pk.Dir() + "/" + name, Staging: j.run.StagingKey(name)}}
	// On a local lake the file is created in place (again with its
	// directory if a concurrent delete of a staged merge file removed it as
	// it emptied it); elsewhere as a scratch file uploaded on Commit.
	fh, err := objstore.CreateObjectFile(j.lake.Bucket(), sf.f.Staging, j.tmpDir)
	if err != nil {
		return fmt.Errorf("create data file: %w", err)
	}
	sf.fh = fh
	w.cur = sf
	w.fb.Begin(fh)
	return nil
}

// finish closes the current file and stages it.
func (w *writer) finish() error {
	sf := w.cur
	if sf == nil {
		return nil
	}
	w.cur = nil
	st, err := w.fb.Close()
	if err != nil {
		sf.fh.Abort()
		return fmt.Errorf("write data file %s: %w", sf.f.Path, err)
	}
	size, err := sf.fh.Commit(w.j.ctx)
	if err != nil {
		return fmt.Errorf("stage data file %s: %w", sf.f.Path, err)
	}
	f := sf.f
	f.Rows, f.Bytes = st.Rows, size
	f.MinTime, f.MaxTime = time.UnixMicro(st.MinTime).UTC(), time.UnixMicro(st.MaxTime).UTC()
	f.Ranges, f.Inexact, f.Values, f.Dups = st.Ranges, st.Inexact, st.Values, st.Dups
	w.files = append(w.files, f)
	return nil
}

// abort removes what the writer staged.
func (w *writer) abort() {
	if w.cur != nil {
		w.cur.fh.Abort()
		w.cur = nil
	}
	w.j.discard(w.files)
	w.files = nil
}
