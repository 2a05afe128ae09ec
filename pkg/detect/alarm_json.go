package detect

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends the alarm as encoding/json marshals it (the same
// bytes, without a trailing newline), without reflection: a pack over a
// large lake emits tens of thousands of alarms, and their encoding ran on
// one core after the scan. Values from logs (event IDs, group values) are
// escaped exactly as encoding/json escapes them. It fails where
// json.Marshal fails (a time outside years 0-9999).
func (a *Alarm) AppendJSON(dst []byte) ([]byte, error) {
	if !jsonTime(a.Period) || !jsonTime(a.PeriodEnd) {
		b, err := json.Marshal(a)
		return append(dst, b...), err
	}
	dst = append(dst, `{"rule":`...)
	dst = appendJSONString(dst, a.Rule)
	dst = append(dst, `,"severity":`...)
	dst = appendJSONString(dst, a.Severity)
	if a.Description != "" {
		dst = append(dst, `,"description":`...)
		dst = appendJSONString(dst, a.Description)
	}
	dst = append(dst, `,"source":`...)
	dst = appendJSONString(dst, a.Source)
	dst = append(dst, `,"period":"`...)
	dst = a.Period.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","periodEnd":"`...)
	dst = a.PeriodEnd.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","periodSeconds":`...)
	dst = strconv.AppendInt(dst, a.PeriodSeconds, 10)
	if len(a.Group) > 0 {
		dst = append(dst, `,"group":{`...)
		keys := make([]string, 0, len(a.Group))
		for k := range a.Group {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSONString(dst, a.Group[k])
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `,"sum":`...)
	dst = strconv.AppendInt(dst, a.Sum, 10)
	if a.CountDistinct != "" {
		dst = append(dst, `,"countDistinct":`...)
		dst = appendJSONString(dst, a.CountDistinct)
	}
	dst = append(dst, `,"threshold":`...)
	dst = appendJSONString(dst, a.Threshold.String())
	dst = append(dst, `,"evaluationPeriods":`...)
	dst = strconv.AppendInt(dst, int64(a.EvaluationPeriods), 10)
	dst = append(dst, `,"eventIDs":`...)
	if a.EventIDs == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, id := range a.EventIDs {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, id)
		}
		dst = append(dst, ']')
	}
	if a.EventIDsTruncated {
		dst = append(dst, `,"eventIDsTruncated":true`...)
	}
	return append(dst, '}'), nil
}

// jsonTime reports whether time.Time's MarshalJSON accepts t (and writes
// it as RFC 3339 with nanoseconds).
func jsonTime(t time.Time) bool {
	y := t.Year()
	return y >= 0 && y <= 9999
}

// appendJSONString appends s quoted as encoding/json quotes it: printable
// ASCII as is but for the quote, the backslash and HTML's <, > and &,
// escaped as encoding/json escapes them; control characters and non-ASCII
// through encoding/json itself.
func appendJSONString(dst []byte, s string) []byte {
	start := len(dst)
	dst = append(dst, '"')
	plain := 0
	for plain < len(s) && jsonPlain[s[plain]] {
		plain++
	}
	dst = append(dst, s[:plain]...)
	for i := plain; i < len(s); i++ {
		c := s[i]
		switch esc := jsonEscape[c]; {
		case esc == "":
			dst = append(dst, c)
		case esc == "-":
			b, _ := json.Marshal(s) // a string always marshals
			return append(dst[:start], b...)
		default:
			dst = append(dst, esc...)
		}
	}
	return append(dst, '"')
}

// jsonPlain tells the bytes encoding/json writes as they are in a string.
var jsonPlain = func() (t [256]bool) {
	for c := range 256 {
		t[c] = jsonEscape[c] == ""
	}
	return t
}()

// jsonEscape holds, per byte, what encoding/json writes for it within an
// ASCII string: "" the byte itself, "-" a case left to encoding/json
// (control characters, bytes of non-ASCII characters).
var jsonEscape = func() (t [256]string) {
	for c := range 256 {
		if c < 0x20 || c >= utf8.RuneSelf {
			t[c] = "-"
		}
	}
	t['"'], t['\\'] = `\"`, `\\`
	t['<'], t['>'], t['&'] = `\u003c`, `\u003e`, `\u0026`
	return t
}()
