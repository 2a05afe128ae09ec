package ingest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"

	"github.com/ctq-dev/ctq/pkg/layout"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// worker decodes objects into per-partition batches and writes them out. It
// owns its batches, so workers share nothing but the committer.
type worker struct {
	in        *ingester
	id        int
	seq       int
	dec       *decoder
	batches   map[partition.Key]*batch
	free      []*batch
	sources   []partition.Source
	days      []partition.DayMark
	br        *bufio.Reader
	gz        *gzip.Reader
	sr        streamReader
	fw        fileWriter
	sha       hash.Hash // HashSources: the current object's uncompressed bytes
	shaOK     bool      // sha covers the whole uncompressed stream
	eventDays dayCache  // partition day of recent eventTimes
	// spilled are files written in the middle of an object that grew the
	// batches past the spill limit. They hold records of that object, so
	// they are handed to the committer only with the next flush, after the
	// object completed (see spill).
	spilled []partition.File
	spans   spanPool // free span blocks of this worker's batches
	// objInWindow counts the current object's records in the event-time
	// window; pendingInWindow those of the objects since the last flush
	// (taken back with them by abandon).
	objInWindow, pendingInWindow int64
}

func (in *ingester) newWorker(id int) *worker {
	return &worker{in: in, id: id, dec: newDecoder(), batches: map[partition.Key]*batch{}, br: bufio.NewReaderSize(nil, 64<<10),
		fw: fileWriter{rawPageBytes: in.cfg.RawPageBytes},
		// The blocks of the rows a flush writes are reused by the batches
		// that fill up next; a third of the budget covers a full flush.
		spans: spanPool{limit: in.cfg.MemoryPerWorker / 3}}
}

func (w *worker) loop(ctx context.Context, units <-chan unit, out chan<- flushResult) error {
	for u := range units {
		if ctx.Err() != nil {
			return nil // the committer keeps what was flushed
		}
		failed := false
		for i := range u.objects {
			if ctx.Err() != nil {
				return nil
			}
			if !w.object(ctx, u.objects[i], u.keys[i]) {
				failed = true
			}
			if len(w.spilled) > 0 || w.memory() >= w.in.cfg.MemoryPerWorker {
				if err := w.flush(ctx, out); err != nil {
					return err
				}
			}
		}
		if u.complete && !failed && u.upTo != "" {
			w.days = append(w.days, partition.DayMark{Prefix: u.layout, UpTo: u.upTo})
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return w.flush(ctx, out)
}

// memory is what the worker's batches hold, including reset batches kept
// for reuse: their buffers are memory the budget must cover too.
func (w *worker) memory() int {
	n := 0
	for _, b := range w.batches {
		n += b.size()
	}
	for _, b := range w.free {
		n += b.size()
	}
	return n
}

// flush writes every batch as a file and hands the files, with the objects
// they complete, to the committer.
func (w *worker) flush(ctx context.Context, out chan<- flushResult) error {
	// The batches are written the way a spill writes them; the files then
	// go to the committer with everything spilled before.
	if err := w.spill(ctx); err != nil {
		w.in.discard(context.WithoutCancel(ctx), w.spilled) // never committed
		w.spilled = nil
		return err
	}
	fr := flushResult{files: w.spilled, sources: w.sources, days: w.days}
	w.spilled, w.sources, w.days = nil, nil, nil
	w.pendingInWindow = 0
	if len(fr.files) == 0 && len(fr.sources) == 0 {
		return nil
	}
	select {
	case out <- fr:
		return nil
	case <-ctx.Done():
		w.in.discard(context.WithoutCancel(ctx), fr.files) // never committed
		return ctx.Err()
	}
}

// release empties every batch into the free list.
func (w *worker) release() {
	for pk, b := range w.batches {
		b.reset()
		w.free = append(w.free, b)
		delete(w.batches, pk)
	}
	// Keep reusable buffers up to a quarter of the budget; drop the rest so a burst
	// of partitions does not pin memory for the whole run.
	kept, keep := 0, w.in.cfg.MemoryPerWorker/4
	for i, b := range w.free {
		if kept+b.size() > keep {
			clear(w.free[i:])
			w.free = w.free[:i]
			break
		}
		kept += b.size()
	}
}

// spillFactor x MemoryPerWorker is the batch memory at which a worker
// writes its batches in the middle of an object. Objects are normally
// small and the worker flushes between them, at MemoryPerWorker; only an
// object that alone grows the batches by half the budget spills, so memory
// stays bounded by the budget whatever the size of an object.
const spillFactor = 1.5

// spillCheckBytes is how many record bytes an object adds between checks
// of the batch memory.
const spillCheckBytes = 1 << 20

// spill writes every batch as a staged file kept in w.spilled and empties
// the batches. In the middle of an object, the files hold records of the
// object being decoded, so they must not be committed before it completes: the next flush hands them to
// the committer together with the object (and every object before it whose
// records they hold). If the object then fails and must be retried, abandon
// discards them instead.
func (w *worker) spill(ctx context.Context) error {
	for pk, b := range w.batches {
		if len(b.rows) == 0 {
			continue
		}
		w.seq++
		f, err := w.in.writeFile(ctx, &w.fw, b, pk, dataFileName(w.in.run.ID(), w.id, w.seq))
		if err != nil {
			return err
		}
		w.spilled = append(w.spilled, f)
	}
	w.release()
	return nil
}

// abandon gives up everything since the last flush after an object that
// had spilled failed transiently: the spilled files also hold records of
// the objects completed before it, so those are left for the next run too,
// with the failed one. Nothing is committed, so nothing is lost or doubled.
func (w *worker) abandon(ctx context.Context, info objstore.ObjectInfo) {
	w.in.discard(context.WithoutCancel(ctx), w.spilled)
	w.spilled = nil
	w.release()
	var events int64
	for _, src := range w.sources {
		events += src.Events
	}
	if n := len(w.sources); n > 0 {
		w.in.rep.failed.Add(int64(n))
		w.in.rep.events.Add(-events)
		w.in.rep.inWindow.Add(-w.pendingInWindow)
		w.in.rep.problem(Problem{Key: info.Key, Retry: true, Msg: fmt.Sprintf(
			"its records were partly written with those of %d earlier objects (%d events) when it failed; the next run ingests them all again", n, events)})
	}
	w.sources, w.days = nil, nil
	w.pendingInWindow = 0
}

func (w *worker) batchFor(pk partition.Key) *batch {
	if b, ok := w.batches[pk]; ok {
		return b
	}
	var b *batch
	if n := len(w.free); n > 0 {
		b, w.free = w.free[n-1], w.free[:n-1]
	} else {
		b = newPooledBatch(&w.spans)
	}
	w.batches[pk] = b
	return b
}

// mark is a batch length to roll back to when an object fails transiently.
type mark struct {
	arena     arenaMark
	rows, res int
}

func (b *batch) mark() mark { return mark{b.arena.mark(), len(b.rows), len(b.res)} }

func (b *batch) rollback(m mark) {
	b.arena.rollback(m.arena)
	b.vals.truncate(m.rows)
	b.rows, b.res = b.rows[:m.rows], b.res[:m.res]
}

// sourceError marks a failure to read the source object itself (network,
// throttling after retries), as opposed to a fault in its content.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// countingReader counts bytes and tags read errors as source errors.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &sourceError{err}
	}
	return n, err
}

// byteCounter counts bytes without changing errors: faults of the gzip layer
// (truncation, bad checksums) are content faults, not source read failures.
type byteCounter struct {
	r io.Reader
	n int64
}

func (c *byteCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// object ingests one source object. It returns false when the object failed
// transiently and must be retried by a later run.
func (w *worker) object(ctx context.Context, info objstore.ObjectInfo, k layout.Key) bool {
	in := w.in
	src := partition.Source{Key: k.Layout, URL: in.cfg.Source.String() + "/" + info.Key, Size: info.Size, ETag: info.ETag, Status: partition.StatusOK}
	rc, oinfo, err := in.cfg.Source.Open(ctx, info.Key)
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		if errors.Is(err, objstore.ErrNotExist) {
			in.rep.problem(Problem{Key: info.Key, Msg: "object disappeared after listing; skipped", Warning: true})
			return true
		}
		in.rep.failed.Add(1)
		in.rep.problem(Problem{Key: info.Key, Msg: "cannot read: " + err.Error(), Retry: true})
		return false
	}
	defer rc.Close()
	if oinfo.ETag != "" {
		src.ETag = oinfo.ETag
	}
	cr := &countingReader{r: rc}
	if in.cfg.HashSources {
		if w.sha == nil {
			w.sha = sha256.New()
		}
		w.sha.Reset()
		w.shaOK = false
	}
	events, faults, retry := w.decodeObject(ctx, cr, info, k)
	if in.cfg.HashSources && w.shaOK {
		src.SHA256 = hex.EncodeToString(w.sha.Sum(nil))
	}
	in.rep.bytes.Add(cr.n)
	in.rep.objects.Add(1)
	if retry {
		in.rep.failed.Add(1)
		return false
	}
	src.Events = events
	if faults != "" {
		src.Error = faults
		if events == 0 {
			src.Status = partition.StatusInvalid
			in.rep.invalid.Add(1)
		} else {
			src.Status = partition.StatusPartial
			in.rep.partial.Add(1)
		}
	}
	in.rep.events.Add(events)
	in.rep.inWindow.Add(w.objInWindow)
	w.pendingInWindow += w.objInWindow
	w.sources = append(w.sources, src)
	return true
}

// decodeObject streams one object into the batches. It returns the number of
// records kept, a description of any content fault, and whether the object
// must be retried (a source read failure: its records were rolled back).
func (w *worker) decodeObject(ctx context.Context, cr *countingReader, info objstore.ObjectInfo, k layout.Key) (int64, string, bool) {
	in := w.in
	w.br.Reset(cr)
	var r io.Reader = w.br
	head, err := w.br.Peek(2)
	switch {
	case len(head) == 0 && err != nil && !errors.Is(err, io.EOF):
		return 0, "", w.retry(info, 0, 0, err)
	case len(head) == 0:
		w.shaOK = in.cfg.HashSources // the hash of nothing
		in.rep.problem(Problem{Key: info.Key, Msg: "empty object (0 bytes)"})
		return 0, "empty object", false
	case len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b:
		if w.gz == nil {
			w.gz, err = gzip.NewReader(w.br)
		} else {
			err = w.gz.Reset(w.br)
		}
		if err != nil {
			var se *sourceError
			if errors.As(err, &se) {
				return 0, "", w.retry(info, 0, 0, err)
			}
			msg := "invalid gzip header: " + err.Error()
			in.rep.problem(Problem{Key: info.Key, Msg: msg})
			return 0, msg, false
		}
		r = w.gz
	default:
		// Not gzip. A plain-JSON copy is read as such, with a warning;
		// anything else fails in the stream reader with its offset.
		in.rep.problem(Problem{Key: info.Key, Warning: true, Msg: fmt.Sprintf("object is not gzip-compressed (starts with 0x%02x); read as plain JSON", head[0])})
	}
	dcr := &byteCounter{r: r}
	if in.cfg.HashSources {
		dcr.r = io.TeeReader(r, w.sha)
	}
	sr := &w.sr
	sr.reset(dcr, w.dec, in.cfg.MaxRecordBytes)
	var (
		events      int64
		faults      string
		marks       = map[*batch]mark{}
		deliveryDay = partition.DayOf(k.Day) // for records without an eventTime
		spilled     bool                     // batches were written mid-object
		unchecked   int                      // record bytes added since the last memory check
	)
	// rollback removes this object's records after a transient failure.
	rollback := func() {
		if spilled {
			w.abandon(ctx, info)
			return
		}
		for b, m := range marks {
			b.rollback(m)
		}
	}
	w.objInWindow = 0
	defer func() { in.rep.decompressed.Add(dcr.n) }()
	if in.cfg.HashSources {
		// The hash must cover every uncompressed byte, also those after
		// the last record or after a fault that stopped decoding.
		defer func() {
			_, err := io.Copy(io.Discard, dcr)
			w.shaOK = err == nil && ctx.Err() == nil
		}()
	}
	for {
		rec, err := sr.Next()
		if errors.Is(err, io.EOF) {
			return events, faults, false
		}
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) {
				re = &RecordError{Msg: err.Error(), Fatal: true}
			}
			var se *sourceError
			if errors.As(re.Err, &se) && ctx.Err() == nil {
				rollback()
				return 0, "", w.retry(info, re.Offset, re.Record, se.err)
			}
			if ctx.Err() != nil {
				rollback()
				return 0, "", true
			}
			in.rep.problem(Problem{Key: info.Key, Offset: re.Offset, Record: re.Record, Msg: re.Msg + errSuffix(re.Err)})
			if faults == "" {
				faults = re.Error()
			}
			if re.Fatal {
				return events, faults, false
			}
			continue
		}
		if !utf8.Valid(rec) {
			// The lake stores text columns as UTF-8; a record with invalid
			// bytes is reported with the position of the first one and
			// skipped, and the object is marked partial.
			bad := invalidUTF8At(rec)
			off := sr.offset() - int64(len(rec)) + int64(bad)
			msg := fmt.Sprintf("invalid UTF-8 (byte 0x%02x) in record; record skipped", rec[bad])
			in.rep.problem(Problem{Key: info.Key, Offset: off, Record: sr.index - 1, Msg: msg})
			if faults == "" {
				faults = fmt.Sprintf("offset %d (record %d): %s", off, sr.index-1, msg)
			}
			continue
		}
		pk := partition.Key{Account: k.Account, Region: k.Region, Day: deliveryDay}
		if w.dec.d.hasTime {
			pk.Day = w.eventDays.of(w.dec.d.time)
		}
		b := w.batchFor(pk)
		if _, ok := marks[b]; !ok {
			marks[b] = b.mark()
		}
		if len(rec) > maxCloudTrailRecord {
			in.rep.problem(Problem{Key: info.Key, Offset: sr.offset() - int64(len(rec)), Record: sr.index - 1, Warning: true,
				Msg: fmt.Sprintf("record of %d bytes exceeds CloudTrail's documented 256 KiB maximum; kept", len(rec))})
		}
		b.add(w.dec, rec, k.Layout, sr.index-1)
		events++
		if w.dec.d.hasTime && in.cfg.inEventWindow(w.dec.d.time) {
			w.objInWindow++
		}
		if unchecked += len(rec); unchecked >= spillCheckBytes {
			unchecked = 0
			if float64(w.memory()) >= spillFactor*float64(in.cfg.MemoryPerWorker) {
				if err := w.spill(ctx); err != nil {
					// The object cannot be completed now; like a read
					// failure, it is left for the next run.
					spilled = true
					rollback()
					return 0, "", w.retry(info, sr.offset(), sr.index-1, err)
				}
				spilled = true
				clear(marks) // the batches are empty; later records mark anew
			}
		}
	}
}

// maxCloudTrailRecord is CloudTrail's documented event size cap (256 KB).
const maxCloudTrailRecord = 256 << 10

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

func (w *worker) retry(info objstore.ObjectInfo, off int64, rec int, err error) bool {
	w.in.rep.problem(Problem{Key: info.Key, Offset: off, Record: rec, Retry: true, Msg: "read failed after retries; the next run retries the object: " + err.Error()})
	return true
}

// invalidUTF8At returns the index of the first byte that is not valid UTF-8.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return 0
}
