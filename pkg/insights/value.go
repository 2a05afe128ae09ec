package insights

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a Value.
type Kind uint8

const (
	KindNull   Kind = iota // missing field, JSON null, or a function's "no result"
	KindBool               // JSON boolean or a comparison result
	KindNumber             // float64
	KindString             // text
	KindTime               // a timestamp, epoch milliseconds UTC
	KindMap                // a JSON object (map[string]any)
	KindList               // a JSON array ([]any)
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindBool:
		return "bool"
	case KindNumber:
		return "number"
	case KindString:
		return "string"
	case KindTime:
		return "timestamp"
	case KindMap:
		return "map"
	case KindList:
		return "list"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one typed value of the language: a field of a record, a
// literal, or the result of an expression or aggregate. The zero Value is
// null.
type Value struct {
	Kind Kind
	Num  float64 // KindNumber; KindBool as 1 or 0
	Str  string  // KindString
	Ms   int64   // KindTime: epoch milliseconds
	Obj  any     // KindMap (map[string]any) or KindList ([]any)
}

// Null is the missing value.
var Null = Value{}

// Number returns a number value.
func Number(f float64) Value { return Value{Kind: KindNumber, Num: f} }

// String returns a string value.
func String(s string) Value { return Value{Kind: KindString, Str: s} }

// Bool returns a boolean value.
func Bool(b bool) Value {
	if b {
		return Value{Kind: KindBool, Num: 1}
	}
	return Value{Kind: KindBool}
}

// Time returns a timestamp value of epoch milliseconds.
func Time(ms int64) Value { return Value{Kind: KindTime, Ms: ms} }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.Kind == KindNull }

// Truthy is the value as a condition: null is false, a number is true when
// non-zero, a string when non-empty; timestamps, maps and lists are true.
func (v Value) Truthy() bool {
	switch v.Kind {
	case KindBool, KindNumber:
		return v.Num != 0 && !math.IsNaN(v.Num)
	case KindString:
		return v.Str != ""
	case KindTime, KindMap, KindList:
		return true
	}
	return false
}

// fromJSON converts a decoded JSON value (encoding/json with or without
// UseNumber). JSON null becomes Null.
func fromJSON(x any) Value {
	switch t := x.(type) {
	case nil:
		return Null
	case bool:
		return Bool(t)
	case float64:
		return Number(t)
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil && !isRangeErr(err) {
			return String(string(t))
		}
		return Number(f)
	case string:
		return String(t)
	case map[string]any:
		return Value{Kind: KindMap, Obj: t}
	case []any:
		return Value{Kind: KindList, Obj: t}
	case int:
		return Number(float64(t))
	case int64:
		return Number(float64(t))
	}
	return Null
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// formatNumber prints a number in its shortest round-trip form, without an
// exponent for integers below 1e21 (so account ids print as digits).
func formatNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if a := math.Abs(f); a != 0 && (a >= 1e21 || a < 1e-6) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// TimeLayout is the text form of timestamps in tables and CSV (UTC).
const TimeLayout = "2006-01-02 15:04:05.000"

// formatTime prints epoch milliseconds in TimeLayout.
func formatTime(ms int64) string { return time.UnixMilli(ms).UTC().Format(TimeLayout) }

// Text is the canonical text of v: strings as they are, numbers in their
// shortest form, booleans as true/false, timestamps in TimeLayout, maps and
// lists as compact JSON, null as "".
func (v Value) Text() string {
	switch v.Kind {
	case KindString:
		return v.Str
	case KindNumber:
		return formatNumber(v.Num)
	case KindBool:
		if v.Num != 0 {
			return "true"
		}
		return "false"
	case KindTime:
		return formatTime(v.Ms)
	case KindMap, KindList:
		return compactJSON(v.Obj)
	}
	return ""
}

// compactJSON is the compact JSON text of a decoded map or list (keys
// sorted, HTML characters not escaped).
func compactJSON(x any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// key is a text that identifies v by kind and canonical text, for grouping,
// dedup and distinct counts. Numbers, booleans and numeric strings stay
// distinct from each other.
func (v Value) key() string {
	return string(rune('0'+v.Kind)) + v.Text()
}

// isDecimal reports whether s parses entirely as a decimal number:
// optional sign, digits with an optional fraction, optional exponent.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// numeric returns v as a number when it has numeric type (number, boolean
// as 1/0) or is a string that parses entirely as a decimal.
func (v Value) numeric() (float64, bool) {
	switch v.Kind {
	case KindNumber, KindBool:
		return v.Num, true
	case KindString:
		if isDecimal(v.Str) {
			f, err := strconv.ParseFloat(v.Str, 64)
			if err == nil || isRangeErr(err) {
				return f, true
			}
		}
	}
	return 0, false
}

// arith returns v as an arithmetic operand: numeric values, and timestamps
// as epoch milliseconds.
func (v Value) arith() (float64, bool) {
	if v.Kind == KindTime {
		return float64(v.Ms), true
	}
	return v.numeric()
}

// asTime returns v as epoch milliseconds: a timestamp, a number (epoch ms)
// or an RFC 3339 string.
func (v Value) asTime() (int64, bool) {
	switch v.Kind {
	case KindTime:
		return v.Ms, true
	case KindNumber:
		if math.IsNaN(v.Num) || math.IsInf(v.Num, 0) {
			return 0, false
		}
		return int64(v.Num), true
	case KindString:
		return parseTimestamp(v.Str)
	}
	return 0, false
}

// parseTimestamp parses RFC 3339 text (CloudTrail's eventTime) to epoch
// milliseconds.
func parseTimestamp(s string) (int64, bool) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return 0, false
	}
	return t.UnixMilli(), true
}

// isScalar reports a value that comparisons and string functions accept
// (not null, not a map or list).
func (v Value) isScalar() bool {
	return v.Kind != KindNull && v.Kind != KindMap && v.Kind != KindList
}
