package insights

import (
	"cmp"
	"encoding/binary"
	"math"
	"strings"
)

// Comparison of two values (spec §4.1), for = != < <= > >= and in.
//
//  1. If one operand has numeric type (number, or boolean as 1/0) and the
//     other is numeric or a string that parses entirely as a decimal, they
//     compare numerically.
//  2. Two booleans compare as booleans.
//  3. A timestamp compares chronologically with a timestamp, an RFC 3339
//     string or a number (epoch milliseconds).
//  4. Otherwise they compare by canonical text; equality is exact
//     (case-sensitive) and ordering follows the sort order of §4.7. A
//     number and a non-numeric string are never ordered.
//
// Maps and lists compare false with anything, as in CloudWatch; the caller
// treats them like a missing operand.

// compareValues compares two non-null scalars. ok is false when they cannot
// be ordered (an ordering comparison is then false); for equality, callers
// use equalValues.
func compareValues(a, b Value) (c int, ok bool) {
	aNumType := a.Kind == KindNumber || a.Kind == KindBool
	bNumType := b.Kind == KindNumber || b.Kind == KindBool
	if a.Kind == KindBool && b.Kind == KindBool {
		return cmp.Compare(a.Num, b.Num), true
	}
	if a.Kind == KindTime || b.Kind == KindTime {
		at, aok := a.asTime()
		bt, bok := b.asTime()
		if aok && bok {
			return cmp.Compare(at, bt), true
		}
		if a.Kind == KindTime && b.Kind == KindTime {
			return 0, false
		}
	}
	if aNumType || bNumType {
		an, aok := a.numeric()
		bn, bok := b.numeric()
		if aok && bok {
			if an != an || bn != bn { // NaN
				return 0, false
			}
			return cmp.Compare(an, bn), true
		}
		at, bt := a.Text(), b.Text()
		if at == bt {
			return 0, true
		}
		return 0, false // a number and a non-numeric string are never ordered
	}
	return orderValues(a, b), true
}

// equalValues reports a = b under the comparison rule.
func equalValues(a, b Value) bool {
	if a.Kind == KindNumber || a.Kind == KindBool || b.Kind == KindNumber || b.Kind == KindBool {
		if a.Kind == KindBool && b.Kind == KindBool {
			return a.Num == b.Num
		}
		an, aok := a.numeric()
		bn, bok := b.numeric()
		if aok && bok && (a.Kind != KindTime && b.Kind != KindTime) {
			return an == bn
		}
	}
	if a.Kind == KindTime || b.Kind == KindTime {
		at, aok := a.asTime()
		bt, bok := b.asTime()
		if aok && bok {
			return at == bt
		}
	}
	return a.Text() == b.Text()
}

// Sort order (spec §4.7), ascending:
//   - values of other kinds sort first, by chunks: runs of digits compare by
//     length, then value; any other pair of chunks by code point; a value
//     that runs out of chunks first sorts first;
//   - then timestamps, chronologically;
//   - then "number values" (JSON numbers, and strings of digits only),
//     numerically, ties broken by text (0, 01, 1);
//   - null sorts last in either direction (handled by sortCompare).

func sortClass(v Value) int {
	switch v.Kind {
	case KindNumber:
		return 2
	case KindTime:
		return 1
	case KindString:
		if isDigits(v.Str) {
			return 2
		}
	}
	return 0
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// orderValues compares two non-null values in §4.7 ascending order.
func orderValues(a, b Value) int {
	ca, cb := sortClass(a), sortClass(b)
	if ca != cb {
		return cmp.Compare(ca, cb)
	}
	switch ca {
	case 1:
		return cmp.Compare(a.Ms, b.Ms)
	case 2:
		an, _ := a.numeric()
		bn, _ := b.numeric()
		if c := cmp.Compare(an, bn); c != 0 {
			return c
		}
		return strings.Compare(a.Text(), b.Text())
	}
	return compareText(a.Text(), b.Text())
}

// sortCompare compares for sorting: null last whatever the direction.
func sortCompare(a, b Value, desc bool) int {
	switch {
	case a.IsNull() && b.IsNull():
		return 0
	case a.IsNull():
		return 1
	case b.IsNull():
		return -1
	}
	c := orderValues(a, b)
	if desc {
		return -c
	}
	return c
}

// compareText compares two texts chunk by chunk (§4.7 rule 2).
func compareText(a, b string) int {
	for {
		if a == "" || b == "" {
			return cmp.Compare(len(a), len(b)) // the shorter (empty) one first
		}
		ca, ra := nextChunk(a)
		cb, rb := nextChunk(b)
		da, db := isDigitByte(ca[0]), isDigitByte(cb[0])
		var c int
		if da && db {
			c = cmp.Compare(len(ca), len(cb))
			if c == 0 {
				c = strings.Compare(ca, cb)
			}
		} else {
			c = strings.Compare(ca, cb)
		}
		if c != 0 {
			return c
		}
		a, b = ra, rb
	}
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// nextChunk splits off the leading run of digits or of non-digits.
func nextChunk(s string) (chunk, rest string) {
	d := isDigitByte(s[0])
	i := 1
	for i < len(s) && isDigitByte(s[i]) == d {
		i++
	}
	return s[:i], s[i:]
}

// appendSortKey appends to dst a byte string whose order (bytes.Compare)
// is sortCompare's ascending order of v, and which no other key's
// encoding extends, so that keys of several values concatenate into a key
// of the tuple. ok is false for values it cannot encode (texts holding a
// NUL byte, NaN); sort those with sortCompare.
//
// The encoding: a class byte (0 text, 1 time, 2 number value, 3 null);
// for times, the milliseconds; for numbers, the float64 in an
// order-preserving form, then the text and NUL; for texts, each chunk of
// non-digits followed by NUL, each chunk of digits as '0', its length (one
// byte below 255, else 255 and four bytes) and the digits, and a final
// NUL.
func appendSortKey(dst []byte, v Value) ([]byte, bool) {
	if v.IsNull() {
		return append(dst, 3), true
	}
	class := sortClass(v)
	dst = append(dst, byte(class))
	switch class {
	case 1:
		return binary.BigEndian.AppendUint64(dst, uint64(v.Ms)^1<<63), true
	case 2:
		f, _ := v.numeric()
		if math.IsNaN(f) {
			return dst, false
		}
		bits := math.Float64bits(f)
		switch {
		case f == 0:
			bits = 1 << 63 // -0 and 0 compare equal
		case bits>>63 == 1:
			bits = ^bits
		default:
			bits |= 1 << 63
		}
		dst = binary.BigEndian.AppendUint64(dst, bits)
		t := v.Text()
		if strings.IndexByte(t, 0) >= 0 {
			return dst, false
		}
		return append(append(dst, t...), 0), true
	}
	t := v.Text()
	if strings.IndexByte(t, 0) >= 0 {
		return dst, false
	}
	for t != "" {
		var c string
		c, t = nextChunk(t)
		if isDigitByte(c[0]) {
			if len(c) < 0xff {
				dst = append(dst, '0', byte(len(c)))
			} else {
				dst = binary.BigEndian.AppendUint32(append(dst, '0', 0xff), uint32(len(c)))
			}
			dst = append(dst, c...)
		} else {
			dst = append(append(dst, c...), 0)
		}
	}
	return append(dst, 0), true
}
