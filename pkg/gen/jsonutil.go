package gen

import (
	"strconv"
	"unicode/utf8"
)

const (
	hexLower  = "0123456789abcdef"
	hexUpper  = "0123456789ABCDEF"
	alnum     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperNum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	lowerNum  = "abcdefghijklmnopqrstuvwxyz0123456789"
	base64Set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// appendStr appends s as a quoted JSON string. Quotes, backslashes and
// control characters are escaped (\n, \r, \t, \b, \f short forms, others
// as \u00XX), invalid UTF-8 becomes \ufffd and U+2028/U+2029 are escaped,
// like encoding/json. '<', '>' and '&' are left as they are, like
// CloudTrail's own writer.
func appendStr[T ~string | ~[]byte](b []byte, s T) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexLower[c>>4], hexLower[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexLower[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendKS appends key (a literal such as `,"bucketName":`) and the quoted,
// escaped string v.
func appendKS(b []byte, key, v string) []byte {
	b = append(b, key...)
	return appendStr(b, v)
}

// appendKI appends key and the integer v.
func appendKI(b []byte, key string, v int64) []byte {
	b = append(b, key...)
	return strconv.AppendInt(b, v, 10)
}

// appendKB appends key and the boolean v.
func appendKB(b []byte, key string, v bool) []byte {
	b = append(b, key...)
	return strconv.AppendBool(b, v)
}

func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

func append4(b []byte, n int) []byte {
	return append(b, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date.
func civil(days int64) (y, m, d int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		yy++
	}
	return int(yy), m, d
}

func splitTime(sec int64) (y, mo, d, h, mi, s int) {
	days := sec / 86400
	rem := sec % 86400
	if rem < 0 {
		rem += 86400
		days--
	}
	y, mo, d = civil(days)
	return y, mo, d, int(rem / 3600), int(rem / 60 % 60), int(rem % 60)
}

// appendTime appends sec (Unix seconds) as 2006-01-02T15:04:05Z, unquoted.
func appendTime(b []byte, sec int64) []byte {
	y, mo, d, h, mi, s := splitTime(sec)
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, mo)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	b = append2(b, s)
	return append(b, 'Z')
}

// appendQTime appends sec as a quoted CloudTrail timestamp.
func appendQTime(b []byte, sec int64) []byte {
	b = append(b, '"')
	b = appendTime(b, sec)
	return append(b, '"')
}

var monthAbbr = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// appendJavaDate appends sec formatted like the Java-style dates found in
// responseElements, e.g. "Jun 2, 2024, 10:37:12 PM" (quoted).
func appendJavaDate(b []byte, sec int64) []byte {
	y, mo, d, h, mi, s := splitTime(sec)
	b = append(b, '"')
	b = append(b, monthAbbr[mo-1]...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(d), 10)
	b = append(b, ", "...)
	b = strconv.AppendInt(b, int64(y), 10)
	b = append(b, ", "...)
	ampm := "AM"
	if h >= 12 {
		ampm = "PM"
	}
	h12 := h % 12
	if h12 == 0 {
		h12 = 12
	}
	b = strconv.AppendInt(b, int64(h12), 10)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	b = append2(b, s)
	b = append(b, ' ')
	b = append(b, ampm...)
	return append(b, '"')
}

// appendKeyTime appends sec as yyyymmddThhmmZ (file-name form).
func appendKeyTime(b []byte, sec int64, seconds bool) []byte {
	y, mo, d, h, mi, s := splitTime(sec)
	b = append4(b, y)
	b = append2(b, mo)
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, h)
	b = append2(b, mi)
	if seconds {
		b = append2(b, s)
	}
	return append(b, 'Z')
}

// appendDatePath appends sec as yyyy/mm/dd.
func appendDatePath(b []byte, sec int64) []byte {
	y, mo, d, _, _, _ := splitTime(sec)
	b = append4(b, y)
	b = append(b, '/')
	b = append2(b, mo)
	b = append(b, '/')
	return append2(b, d)
}
