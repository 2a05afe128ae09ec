package pqread

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"sync"
)

// Coalesce says how a File fetches several byte ranges at once (Fetch,
// OpenPages). On a remote store a request costs more than a few KiB of
// transfer, so ranges close enough are fetched as one request: the bytes
// between them are read and dropped. Two ranges merge when the gap between
// them is at most Gap bytes, or, farther apart, while the gaps of the
// merged range stay within 1/GapFraction of the bytes its ranges need (so
// the bytes dropped stay a bounded share of the bytes used). A merged
// range grows to at most MaxRange bytes (a single longer range is fetched
// alone), and at most Parallel requests run at once.
type Coalesce struct {
	Gap         int64 // merge ranges at most this far apart; 0: only touching ones
	GapFraction int64 // merge farther while gaps <= needed bytes / GapFraction; <= 0: never
	MaxRange    int64 // bound of a merged range; <= 0: no bound
	Parallel    int   // requests at once; <= 1: one after another
}

// DefaultCoalesce is the setting for a remote lake: gaps of 16 KiB, or of
// up to 1/16 of the bytes a merged range needs, cost far less than a
// round trip (tens of milliseconds: about 1 MiB of transfer); 8 MiB bound
// what one merged request holds.
var DefaultCoalesce = Coalesce{Gap: 16 << 10, GapFraction: 16, MaxRange: 8 << 20, Parallel: 8}

// Range is the byte range [Off, End) of a file.
type Range struct {
	Off, End int64
}

// Fetched holds byte ranges of a file fetched together (Fetch). Readers
// opened on them (OpenChunk's pre, from Bytes) alias its buffers: it must
// outlive them, and Release returns the buffers.
type Fetched struct {
	spans []span
	pool  Pool
	bytes int64
}

// span is a fetched byte range of the file.
type span struct {
	off  int64
	data []byte
}

// Requests returns the number of requests the ranges took.
func (fe *Fetched) Requests() int { return len(fe.spans) }

// Bytes returns the number of bytes fetched, gaps included.
func (fe *Fetched) Bytes() int64 { return fe.bytes }

// Slice returns the file bytes [off, end) when one fetched range holds
// them, nil otherwise. The slice aliases the Fetched's buffers.
func (fe *Fetched) Slice(off, end int64) []byte {
	if fe == nil {
		return nil
	}
	for _, s := range fe.spans {
		if off >= s.off && end <= s.off+int64(len(s.data)) {
			return s.data[off-s.off : end-s.off : end-s.off]
		}
	}
	return nil
}

// Release returns the buffers to the pool; nothing read from the Fetched
// may be used afterwards.
func (fe *Fetched) Release() {
	if fe == nil {
		return
	}
	for _, s := range fe.spans {
		fe.pool.Free(s.data)
	}
	fe.spans = nil
}

// plan merges ranges (in any order, empty ones dropped) into the ranges
// to request, in file order.
func (cfg Coalesce) plan(rs []Range) []Range {
	rs = slices.DeleteFunc(slices.Clone(rs), func(r Range) bool { return r.End <= r.Off })
	slices.SortFunc(rs, func(a, b Range) int { return cmp.Compare(a.Off, b.Off) })
	var out []Range
	var need, gaps int64 // of out's last range
	for _, r := range rs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			end := max(last.End, r.End)
			gap := max(r.Off-last.End, 0)
			near := gap <= cfg.Gap || (cfg.GapFraction > 0 && (gaps+gap)*cfg.GapFraction <= need+r.End-r.Off)
			if near && (cfg.MaxRange <= 0 || end-last.Off <= cfg.MaxRange) {
				need += max(r.End-max(r.Off, last.End), 0)
				gaps += gap
				last.End = end
				continue
			}
		}
		out = append(out, r)
		need, gaps = r.End-r.Off, 0
	}
	return out
}

// Fetch reads the ranges through the file's ReaderAt, merged and in
// parallel as cfg says, into buffers from pool (nil: the heap). Every
// range must lie inside the file.
func (f *File) Fetch(rs []Range, cfg Coalesce, pool Pool) (*Fetched, error) {
	if pool == nil {
		pool = heapPool{}
	}
	for _, r := range rs {
		if r.Off < 0 || r.End > f.size {
			return nil, fmt.Errorf("%s: range [%d, %d) outside a %d-byte file", f.Name, r.Off, r.End, f.size)
		}
	}
	fe := &Fetched{pool: pool}
	for _, r := range cfg.plan(rs) {
		fe.spans = append(fe.spans, span{off: r.Off, data: pool.Allocate(int(r.End - r.Off))})
		fe.bytes += r.End - r.Off
	}
	read := func(s *span) error {
		if _, err := f.ra.ReadAt(s.data, s.off); err != nil && err != io.EOF {
			return fmt.Errorf("%s: read [%d, %d): %w", f.Name, s.off, s.off+int64(len(s.data)), err)
		}
		return nil
	}
	var err error
	if cfg.Parallel <= 1 || len(fe.spans) == 1 {
		for i := range fe.spans {
			if err = read(&fe.spans[i]); err != nil {
				break
			}
		}
	} else {
		errs := make([]error, len(fe.spans))
		sem := make(chan struct{}, cfg.Parallel)
		var wg sync.WaitGroup
		for i := range fe.spans {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				errs[i] = read(&fe.spans[i])
			})
		}
		wg.Wait()
		for _, e := range errs {
			if e != nil {
				err = e
				break
			}
		}
	}
	if err != nil {
		fe.Release()
		return nil, err
	}
	return fe, nil
}
