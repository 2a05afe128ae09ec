package ingest

import (
	"time"
)

// span locates bytes in a buffer. n < 0 means absent. For boolean leaves, off
// holds 0 or 1 and n is 0.
type span struct{ off, n int32 }

var absent = span{0, -1}

func (s span) ok() bool { return s.n >= 0 }

// resource is one element of the resources array: ARN, accountId, type.
type resource [3]span

// nullSet marks schema nodes whose JSON value was null, by node id.
type nullSet [2]uint64

func (n *nullSet) set(node int)      { n[node>>6] |= 1 << (node & 63) }
func (n *nullSet) has(node int) bool { return n[node>>6]&(1<<(node&63)) != 0 }
func (n *nullSet) empty() bool       { return n[0]|n[1] == 0 }

// decoded is one record's fields as spans into the record bytes followed by
// the decoder's scratch bytes (offsets >= len(record) point into scratch).
type decoded struct {
	vals    []span // by leaf slot
	groups  uint32 // presence bits by group index
	nulls   nullSet
	time    int64 // eventTime, microseconds since the epoch (UTC)
	hasTime bool
	res     []resource
	hasRes  bool
	extra   span // {"unknown":...} object text, in scratch
	exact   bool
}

// decoder parses CloudTrail records. It is not safe for concurrent use; each
// worker owns one.
type decoder struct {
	s       scanner
	scratch []byte
	recLen  int
	d       decoded
	key     []byte
}

func newDecoder() *decoder {
	return &decoder{d: decoded{vals: make([]span, len(tree().leaves))}}
}

// decode parses one record object at the start of b (after optional
// whitespace) and returns the number of bytes consumed. It returns
// errIncomplete when b ends inside the record, or a *syntaxError.
func (dc *decoder) decode(b []byte) (int, error) {
	dc.s = scanner{b: b}
	dc.scratch = dc.scratch[:0]
	d := &dc.d
	for i := range d.vals {
		d.vals[i] = absent
	}
	d.groups, d.nulls, d.time, d.hasTime = 0, nullSet{}, 0, false
	d.res, d.hasRes, d.extra, d.exact = d.res[:0], false, absent, true

	s := &dc.s
	s.ws()
	start := s.i
	if err := s.expect('{', "'{' starting a record"); err != nil {
		return 0, err
	}
	// The record length is unknown until the end; scratch offsets are
	// rebased in finish once it is.
	var extraParts [][2]int // member spans of unknown top-level fields
	c, err := s.peek()
	if err != nil {
		return 0, err
	}
	if c == '}' {
		s.i++
	} else {
		for {
			s.ws()
			memberStart := s.i
			f, err := dc.member(tree().top)
			if err != nil {
				return 0, err
			}
			if f == nil { // unknown member: keep its text for ctqExtra
				if err := s.skipValue(1); err != nil {
					return 0, err
				}
				extraParts = append(extraParts, [2]int{memberStart, s.i})
			} else if err := dc.value(f, 1); err != nil {
				return 0, err
			}
			c, err := s.peek()
			if err != nil {
				return 0, err
			}
			s.i++
			if c == '}' {
				break
			}
			if c != ',' {
				return 0, synErr(s.i-1, "expected ',' or '}' in record, found %s", describe(c))
			}
		}
	}
	dc.recLen = s.i - start
	dc.rebase(start)
	if len(extraParts) > 0 {
		off := len(dc.scratch)
		dc.scratch = append(dc.scratch, '{')
		for i, p := range extraParts {
			if i > 0 {
				dc.scratch = append(dc.scratch, ',')
			}
			dc.scratch = append(dc.scratch, b[p[0]:p[1]]...)
		}
		dc.scratch = append(dc.scratch, '}')
		d.extra = span{int32(dc.recLen + off), int32(len(dc.scratch) - off)}
	}
	return s.i, nil
}

// rebase converts spans recorded during parsing (record-relative offsets are
// relative to b[0], scratch offsets are tagged negative) into the final
// layout: record bytes at 0, scratch after them.
func (dc *decoder) rebase(start int) {
	fix := func(sp *span) {
		if sp.n < 0 {
			return
		}
		if sp.off < 0 { // scratch
			sp.off = int32(dc.recLen) + (-sp.off - 1)
		} else {
			sp.off -= int32(start)
		}
	}
	for i, f := range tree().leaves {
		if f.kind != kBool {
			fix(&dc.d.vals[i])
		}
	}
	for i := range dc.d.res {
		for k := range dc.d.res[i] {
			fix(&dc.d.res[i][k])
		}
	}
}

// member parses `"key":` and returns the field it names in parent, or nil.
func (dc *decoder) member(parent *field) (*field, error) {
	s := &dc.s
	k0, k1, esc, err := s.str()
	if err != nil {
		return nil, err
	}
	key := s.b[k0:k1]
	if esc {
		dc.key = unescape(dc.key[:0], key)
		key = dc.key
	}
	if err := s.expect(':', "':' after object key"); err != nil {
		return nil, err
	}
	return parent.child(key), nil
}

// stringSpan scans a string value and returns its span; escaped strings are
// decoded into scratch and returned with a negative (scratch-tagged) offset.
func (dc *decoder) stringSpan() (span, error) {
	s := &dc.s
	k0, k1, esc, err := s.str()
	if err != nil {
		return absent, err
	}
	if !esc {
		return span{int32(k0), int32(k1 - k0)}, nil
	}
	off := len(dc.scratch)
	dc.scratch = unescape(dc.scratch, s.b[k0:k1])
	return span{int32(-off - 1), int32(len(dc.scratch) - off)}, nil
}

// value parses the value of a known field.
func (dc *decoder) value(f *field, depth int) error {
	s := &dc.s
	d := &dc.d
	c, err := s.peek()
	if err != nil {
		return err
	}
	if c == 'n' {
		if err := s.literal("null"); err != nil {
			return err
		}
		if d.nulls.has(f.node) || dc.isSet(f) {
			d.exact = false // duplicate member
		}
		d.nulls.set(f.node)
		return nil
	}
	if dc.isSet(f) || d.nulls.has(f.node) {
		d.exact = false // duplicate member: the last one wins in the typed columns
	}
	switch f.kind {
	case kString:
		if c != '"' {
			d.exact = false
			return s.skipValue(depth)
		}
		sp, err := dc.stringSpan()
		if err != nil {
			return err
		}
		d.vals[f.slot] = sp
	case kJSON:
		start := s.i
		if err := s.skipValue(depth); err != nil {
			return err
		}
		d.vals[f.slot] = span{int32(start), int32(s.i - start)}
	case kBool:
		switch c {
		case 't':
			if err := s.literal("true"); err != nil {
				return err
			}
			d.vals[f.slot] = span{1, 0}
		case 'f':
			if err := s.literal("false"); err != nil {
				return err
			}
			d.vals[f.slot] = span{0, 0}
		default:
			d.exact = false
			return s.skipValue(depth)
		}
	case kTime:
		if c != '"' {
			d.exact = false
			return s.skipValue(depth)
		}
		k0, k1, esc, err := s.str()
		if err != nil {
			return err
		}
		t, canonical, ok := parseEventTime(s.b[k0:k1])
		if esc || !canonical {
			d.exact = false
		}
		d.time, d.hasTime = t, ok
	case kGroup:
		if c != '{' {
			d.exact = false
			return s.skipValue(depth)
		}
		d.groups |= 1 << f.group
		return dc.object(f, depth+1)
	case kResources:
		if c != '[' {
			d.exact = false
			return s.skipValue(depth)
		}
		d.hasRes = true
		d.res = d.res[:0]
		return dc.resources(depth + 1)
	}
	return nil
}

// isSet reports whether a field already received a value in this record.
func (dc *decoder) isSet(f *field) bool {
	d := &dc.d
	switch f.kind {
	case kGroup:
		return d.groups&(1<<f.group) != 0
	case kTime:
		return d.hasTime
	case kResources:
		return d.hasRes
	default:
		return d.vals[f.slot].ok()
	}
}

// object parses the members of a known group. Unknown members are validated
// and skipped: the raw record keeps them.
func (dc *decoder) object(f *field, depth int) error {
	s := &dc.s
	if depth > maxDepth {
		return synErr(s.i, "nesting deeper than %d levels", maxDepth)
	}
	s.i++ // '{'
	c, err := s.peek()
	if err != nil {
		return err
	}
	if c == '}' {
		s.i++
		return nil
	}
	for {
		s.ws()
		child, err := dc.member(f)
		if err != nil {
			return err
		}
		if child == nil {
			err = s.skipValue(depth)
		} else {
			err = dc.value(child, depth)
		}
		if err != nil {
			return err
		}
		c, err := s.peek()
		if err != nil {
			return err
		}
		s.i++
		if c == '}' {
			return nil
		}
		if c != ',' {
			return synErr(s.i-1, "expected ',' or '}' in object, found %s", describe(c))
		}
	}
}

// resources parses the resources array.
func (dc *decoder) resources(depth int) error {
	s := &dc.s
	d := &dc.d
	s.i++ // '['
	c, err := s.peek()
	if err != nil {
		return err
	}
	if c == ']' {
		s.i++
		return nil
	}
	for {
		c, err := s.peek()
		if err != nil {
			return err
		}
		if c != '{' {
			// Keep the list length: a non-object element becomes an element
			// with no members, and the row is marked inexact.
			d.exact = false
			if err := s.skipValue(depth); err != nil {
				return err
			}
			d.res = append(d.res, resource{absent, absent, absent})
		} else if err := dc.resource(depth + 1); err != nil {
			return err
		}
		c, err = s.peek()
		if err != nil {
			return err
		}
		s.i++
		if c == ']' {
			return nil
		}
		if c != ',' {
			return synErr(s.i-1, "expected ',' or ']' in resources, found %s", describe(c))
		}
	}
}

func (dc *decoder) resource(depth int) error {
	s := &dc.s
	d := &dc.d
	r := resource{absent, absent, absent}
	s.i++ // '{'
	c, err := s.peek()
	if err != nil {
		return err
	}
	if c == '}' {
		s.i++
		d.res = append(d.res, r)
		return nil
	}
	for {
		s.ws()
		k0, k1, esc, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':', "':' after object key"); err != nil {
			return err
		}
		idx := -1
		if !esc {
			for i, m := range resourceMembers() {
				if string(s.b[k0:k1]) == m {
					idx = i
				}
			}
		} else {
			d.exact = false
		}
		c, err := s.peek()
		if err != nil {
			return err
		}
		switch {
		case idx >= 0 && c == '"':
			if r[idx].ok() {
				d.exact = false
			}
			if r[idx], err = dc.stringSpan(); err != nil {
				return err
			}
		default:
			if idx >= 0 {
				d.exact = false // null or a non-string value
			}
			if err := s.skipValue(depth); err != nil {
				return err
			}
		}
		c, err = s.peek()
		if err != nil {
			return err
		}
		s.i++
		if c == '}' {
			d.res = append(d.res, r)
			return nil
		}
		if c != ',' {
			return synErr(s.i-1, "expected ',' or '}' in object, found %s", describe(c))
		}
	}
}

// parseEventTime parses CloudTrail's timestamp. canonical reports the exact
// form CloudTrail writes, "2006-01-02T15:04:05Z"; other RFC 3339 forms parse
// but are not canonical.
func parseEventTime(b []byte) (micros int64, canonical, ok bool) {
	if len(b) == 20 && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' && b[19] == 'Z' {
		num := func(i, n int) (int, bool) {
			v := 0
			for k := i; k < i+n; k++ {
				c := b[k]
				if c < '0' || c > '9' {
					return 0, false
				}
				v = v*10 + int(c-'0')
			}
			return v, true
		}
		y, ok1 := num(0, 4)
		mo, ok2 := num(5, 2)
		d, ok3 := num(8, 2)
		h, ok4 := num(11, 2)
		mi, ok5 := num(14, 2)
		se, ok6 := num(17, 2)
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && se < 61 {
			t := time.Date(y, time.Month(mo), d, h, mi, se, 0, time.UTC)
			if t.Day() == d { // rejects 2024-02-31
				return t.UnixMicro(), true, true
			}
		}
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return 0, false, false
	}
	return t.UTC().UnixMicro(), false, true
}
