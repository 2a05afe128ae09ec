package insights

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
)

// TestAppendJSONValue checks the JSON of numbers, times and strings
// against their general forms: formatNumber, RFC 3339 and encoding/json.
func TestAppendJSONValue(t *testing.T) {
	quote := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	for _, c := range []struct {
		v    Value
		want string
	}{
		{Number(0), "0"},
		{Number(math.Copysign(0, -1)), formatNumber(math.Copysign(0, -1))},
		{Number(-42), "-42"},
		{Number(123456789012), "123456789012"},
		{Number(1e15), formatNumber(1e15)},
		{Number(1e21), formatNumber(1e21)},
		{Number(0.5), "0.5"},
		{Number(math.NaN()), "null"},
		{Time(1714557600123), strconv.Quote(rfc3339(1714557600123))},
		{Time(-1), strconv.Quote(rfc3339(-1))},
		{String("10.0.0.1"), `"10.0.0.1"`},
		{String(""), `""`},
		{String(`a"b\c`), quote(`a"b\c`)},
		{String("<script>&"), quote("<script>&")},
		{String("tab\there\x7f"), quote("tab\there\x7f")},
		{String("é\u2028"), quote("é\u2028")},
		{String("bad\xff"), quote("bad\xff")},
		{Null, "null"},
	} {
		if got := string(appendJSONValue(nil, c.v)); got != c.want {
			t.Errorf("%v: %s, want %s", c.v, got, c.want)
		}
	}
}
