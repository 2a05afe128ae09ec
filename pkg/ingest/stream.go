package ingest

import (
	"errors"
	"fmt"
	"io"
)

// Stream-reader states over {"Records":[ ... ]}.
const (
	stStart    = iota // before the outer '{'
	stKey             // expecting a member key or '}' of the outer object
	stRecords         // inside the Records array, expecting a record or ']'
	stAfterKey        // after a member value, expecting ',' or '}'
	stTrailer         // after the outer '}', expecting only whitespace
	stDone
)

const (
	// initialBuffer holds many ordinary records (CloudTrail caps them at
	// 256 KiB) so most records decode in one pass.
	initialBuffer = 1 << 20
	// shrinkAbove: after a record larger than this, the buffer returns to
	// initialBuffer so one huge record does not pin memory for the object.
	shrinkAbove = 4 << 20
)

// RecordError is a fault in a source object's byte stream.
type RecordError struct {
	Offset int64  // byte offset in the decompressed stream
	Record int    // index of the record being read (0-based)
	Msg    string // what was wrong
	Err    error  // underlying error, if any
	Fatal  bool   // true when no further record of the object can be read
}

func (e *RecordError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("offset %d (record %d): %s: %v", e.Offset, e.Record, e.Msg, e.Err)
	}
	return fmt.Sprintf("offset %d (record %d): %s", e.Offset, e.Record, e.Msg)
}

func (e *RecordError) Unwrap() error { return e.Err }

// streamReader reads the records of one {"Records":[...]} object from a
// decompressed stream, keeping at most one record (plus read-ahead) in memory.
type streamReader struct {
	r          io.Reader
	buf        []byte
	start, end int   // unread bytes are buf[start:end]
	base       int64 // stream offset of buf[0]
	eof        bool
	readErr    error
	state      int
	index      int // index of the next record
	maxRecord  int
	sawRecords bool
	needSep    bool
	dec        *decoder
}

func newStreamReader(r io.Reader, dec *decoder, maxRecord int) *streamReader {
	sr := &streamReader{}
	sr.reset(r, dec, maxRecord)
	return sr
}

// reset prepares the reader for a new object, keeping its buffer (returned to
// the initial size if a huge record grew it).
func (sr *streamReader) reset(r io.Reader, dec *decoder, maxRecord int) {
	buf := sr.buf
	if len(buf) != initialBuffer {
		buf = make([]byte, initialBuffer)
	}
	*sr = streamReader{r: r, buf: buf, dec: dec, maxRecord: maxRecord}
}

// fill reads more input, compacting or growing the buffer as needed. It
// returns false at end of input or on a read error (kept in readErr).
func (sr *streamReader) fill() bool {
	if sr.eof {
		return false
	}
	if sr.start > 0 && (sr.end == len(sr.buf) || sr.start > len(sr.buf)/2) {
		n := copy(sr.buf, sr.buf[sr.start:sr.end])
		sr.base += int64(sr.start)
		sr.start, sr.end = 0, n
	}
	if sr.end == len(sr.buf) {
		nb := make([]byte, 2*len(sr.buf))
		copy(nb, sr.buf[:sr.end])
		sr.buf = nb
	}
	// Fill the free space completely: a record that did not fit is re-parsed
	// only after the buffer doubled, which keeps decoding linear.
	got := false
	for sr.end < len(sr.buf) {
		n, err := sr.r.Read(sr.buf[sr.end:])
		sr.end += n
		got = got || n > 0
		if err != nil {
			sr.eof = true
			if !errors.Is(err, io.EOF) {
				sr.readErr = err
			}
			return got
		}
	}
	return got
}

func (sr *streamReader) offset() int64 { return sr.base + int64(sr.start) }

func (sr *streamReader) fault(pos int64, msg string, err error) *RecordError {
	sr.state = stDone
	return &RecordError{Offset: pos, Record: sr.index, Msg: msg, Err: err, Fatal: true}
}

// endFault describes running out of input inside a value.
func (sr *streamReader) endFault(what string) *RecordError {
	if sr.readErr != nil {
		return sr.fault(sr.base+int64(sr.end), "read failed "+what, sr.readErr)
	}
	return sr.fault(sr.base+int64(sr.end), "unexpected end of data "+what+" (truncated object)", nil)
}

// peekByte returns the next non-space byte, reading as needed.
func (sr *streamReader) peekByte() (byte, bool) {
	for {
		for sr.start < sr.end && isSpace(sr.buf[sr.start]) {
			sr.start++
		}
		if sr.start < sr.end {
			return sr.buf[sr.start], true
		}
		if !sr.fill() {
			return 0, false
		}
	}
}

// scan runs fn over the unread bytes, reading more while it reports
// errIncomplete, and consumes what it consumed.
func (sr *streamReader) scan(limit int, fn func([]byte) (int, error)) error {
	for {
		n, err := fn(sr.buf[sr.start:sr.end])
		if err == nil {
			sr.start += n
			return nil
		}
		if !errors.Is(err, errIncomplete) {
			return err
		}
		if sr.end-sr.start > limit {
			return errTooLarge
		}
		if !sr.fill() {
			if sr.eof && sr.readErr == nil {
				// A value that ends exactly at end of input (a bare number)
				// is complete; anything else is truncated.
				n, err := fn(append(sr.buf[sr.start:sr.end:sr.end], ' '))
				if err == nil && n <= sr.end-sr.start {
					sr.start += n
					return nil
				}
			}
			return errIncomplete
		}
	}
}

var errTooLarge = errors.New("value too large")

// Next returns the next record's bytes (valid until the next call) with its
// decoded fields in sr.dec.d, io.EOF at the clean end of the object, or a
// *RecordError. Non-fatal errors (an oversized or non-object element) skip
// that element; the caller may call Next again.
func (sr *streamReader) Next() ([]byte, error) {
	for {
		switch sr.state {
		case stDone:
			return nil, io.EOF
		case stStart:
			c, ok := sr.peekByte()
			if !ok {
				if sr.readErr != nil {
					return nil, sr.fault(sr.offset(), "read failed", sr.readErr)
				}
				return nil, sr.fault(sr.offset(), "empty object: no JSON data", nil)
			}
			if c != '{' {
				return nil, sr.fault(sr.offset(), fmt.Sprintf(`not a CloudTrail log file: expected '{' of {"Records":[...]}, found %s`, describe(c)), nil)
			}
			sr.start++
			sr.state = stKey
		case stKey:
			if err := sr.outerMember(); err != nil {
				return nil, err
			}
		case stAfterKey:
			c, ok := sr.peekByte()
			if !ok {
				return nil, sr.endFault("in the outer object")
			}
			sr.start++
			switch c {
			case ',':
				sr.state = stKey
			case '}':
				sr.state = stTrailer
			default:
				return nil, sr.fault(sr.offset()-1, fmt.Sprintf("expected ',' or '}' after the Records array, found %s", describe(c)), nil)
			}
		case stTrailer:
			c, ok := sr.peekByte()
			if ok {
				return nil, sr.fault(sr.offset(), fmt.Sprintf("unexpected data after the end of the log object: %s", describe(c)), nil)
			}
			if sr.readErr != nil {
				return nil, sr.fault(sr.offset(), "read failed after the log object", sr.readErr)
			}
			sr.state = stDone
			if !sr.sawRecords {
				return nil, &RecordError{Offset: sr.offset(), Msg: `no "Records" array in the log object`, Fatal: true}
			}
		case stRecords:
			rec, err := sr.record()
			if rec != nil || err != nil {
				return rec, err
			}
		}
	}
}

// outerMember reads one member key of the outer object.
func (sr *streamReader) outerMember() error {
	c, ok := sr.peekByte()
	if !ok {
		return sr.endFault("in the outer object")
	}
	if c == '}' {
		sr.start++
		sr.state = stTrailer
		return nil
	}
	var key []byte
	keyPos := sr.offset()
	err := sr.scan(1<<16, func(b []byte) (int, error) {
		s := scanner{b: b}
		k0, k1, _, err := s.str()
		if err != nil {
			return 0, err
		}
		if err := s.expect(':', "':' after object key"); err != nil {
			return 0, err
		}
		key = append(key[:0], b[k0:k1]...)
		return s.i, nil
	})
	if err != nil {
		return sr.scanFault(err, keyPos, "in the outer object")
	}
	if string(key) != "Records" {
		// Not part of CloudTrail's format: validate and skip it.
		pos := sr.offset()
		if err := sr.scan(sr.maxRecord, func(b []byte) (int, error) {
			s := scanner{b: b}
			err := s.skipValue(1)
			return s.i, err
		}); err != nil {
			return sr.scanFault(err, pos, fmt.Sprintf("in member %q of the log object", key))
		}
		sr.state = stAfterKey
		return nil
	}
	if sr.sawRecords {
		return sr.fault(keyPos, `duplicate "Records" member`, nil)
	}
	c, ok = sr.peekByte()
	if !ok {
		return sr.endFault("before the Records array")
	}
	if c != '[' {
		return sr.fault(sr.offset(), fmt.Sprintf(`"Records" is not an array: found %s`, describe(c)), nil)
	}
	sr.start++
	sr.sawRecords = true
	sr.state = stRecords
	if c, ok := sr.peekByte(); ok && c == ']' {
		sr.start++
		sr.state = stAfterKey
	}
	return nil
}

func (sr *streamReader) scanFault(err error, pos int64, where string) error {
	var se *syntaxError
	switch {
	case errors.As(err, &se):
		return sr.fault(pos+int64(se.pos), "invalid JSON "+where+": "+se.msg, nil)
	case errors.Is(err, errTooLarge):
		return sr.fault(pos, fmt.Sprintf("value %s exceeds %d bytes", where, sr.maxRecord), nil)
	default:
		return sr.endFault(where)
	}
}

// record reads one element of the Records array. It returns (nil, nil) when
// it consumed the closing ']' instead.
func (sr *streamReader) record() ([]byte, error) {
	sr.maybeShrink()
	c, ok := sr.peekByte()
	if !ok {
		return nil, sr.endFault("inside the Records array")
	}
	if sr.index > 0 || sr.needSep {
		// Expect the separator before every element but the first.
		sr.start++
		switch c {
		case ']':
			sr.state = stAfterKey
			return nil, nil
		case ',':
		default:
			return nil, sr.fault(sr.offset()-1, fmt.Sprintf("expected ',' or ']' after record %d, found %s", sr.index-1, describe(c)), nil)
		}
		if c, ok = sr.peekByte(); !ok {
			return nil, sr.endFault("inside the Records array")
		}
	}
	sr.needSep = true
	pos := sr.offset()
	idx := sr.index
	sr.index++
	if c != '{' {
		// A record that is not an object: skip it, report it, go on.
		err := sr.scan(sr.maxRecord, func(b []byte) (int, error) {
			s := scanner{b: b}
			err := s.skipValue(1)
			return s.i, err
		})
		if err != nil {
			return nil, sr.scanFault(err, pos, fmt.Sprintf("in record %d", idx))
		}
		return nil, &RecordError{Offset: pos, Record: idx, Msg: fmt.Sprintf("record is not a JSON object (starts with %s); skipped", describe(c))}
	}
	recStart := sr.start
	err := sr.scan(sr.maxRecord, func(b []byte) (int, error) {
		recStart = sr.start
		return sr.dec.decode(b)
	})
	switch {
	case errors.Is(err, errTooLarge):
		if err := sr.skipHuge(); err != nil {
			return nil, err
		}
		size := sr.offset() - pos
		return nil, &RecordError{Offset: pos, Record: idx, Msg: fmt.Sprintf("record of %d bytes exceeds the %d-byte limit; skipped", size, sr.maxRecord)}
	case err != nil:
		sr.index = idx
		return nil, sr.scanFault(err, pos, fmt.Sprintf("in record %d", idx))
	}
	if size := sr.start - recStart; size > sr.maxRecord {
		return nil, &RecordError{Offset: pos, Record: idx, Msg: fmt.Sprintf("record of %d bytes exceeds the %d-byte limit; skipped", size, sr.maxRecord)}
	}
	rec := sr.buf[recStart:sr.start]
	for len(rec) > 0 && isSpace(rec[0]) {
		rec = rec[1:]
	}
	return rec, nil
}

// maybeShrink returns an oversized buffer to its initial size once the
// unread data fits again.
func (sr *streamReader) maybeShrink() {
	if len(sr.buf) > shrinkAbove && sr.end-sr.start < initialBuffer/2 {
		nb := make([]byte, initialBuffer)
		n := copy(nb, sr.buf[sr.start:sr.end])
		sr.base += int64(sr.start)
		sr.buf, sr.start, sr.end = nb, 0, n
	}
}

// skipHuge consumes an over-long record without keeping it, tracking only
// strings and nesting, so memory stays bounded.
func (sr *streamReader) skipHuge() error {
	depth, inStr, esc := 0, false, false
	for {
		for sr.start < sr.end {
			c := sr.buf[sr.start]
			sr.start++
			switch {
			case inStr:
				switch {
				case esc:
					esc = false
				case c == '\\':
					esc = true
				case c == '"':
					inStr = false
				}
			case c == '"':
				inStr = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth == 0 {
					return nil
				}
			}
		}
		// Everything buffered is consumed: drop it before reading on.
		sr.base += int64(sr.end)
		sr.start, sr.end = 0, 0
		if len(sr.buf) > initialBuffer {
			sr.buf = make([]byte, initialBuffer)
		}
		if !sr.fill() {
			return sr.endFault("inside an oversized record")
		}
	}
}
