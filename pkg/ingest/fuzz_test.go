package ingest

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzStreamReader feeds arbitrary bytes to the streaming log-object
// parser. Whatever the input, it must not panic, and every record it
// returns must be a JSON object that occurs in the input byte for byte.
func FuzzStreamReader(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventVersion":"1.08","eventName":"GetObject"}]}`))
	f.Add([]byte(`{"Records":[]}`))
	f.Add([]byte(`{"Records":[{"a":"\u00e9\"x"},{"b":[1,2,{"c":null}]}],"x":1}`))
	f.Add([]byte(`{"Records":[{"a":1},`))
	f.Add([]byte(`{"Records":[1,"x",{"eventTime":"2024-01-01T00:00:00Z"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, _ := readAll(t, data, 1<<16)
		for _, r := range recs {
			if !json.Valid(r) || len(r) == 0 || r[0] != '{' {
				t.Fatalf("record %q is not a JSON object", r)
			}
			if !bytes.Contains(data, r) {
				t.Fatalf("record %q does not occur in the input", r)
			}
		}
	})
}

// FuzzStreamReader_ValidObjects builds a log object from two fuzzed
// records: when both are valid JSON objects in valid UTF-8, both must come
// back, byte for byte, with no error.
func FuzzStreamReader_ValidObjects(f *testing.F) {
	f.Add([]byte(`{"eventName":"GetObject","requestParameters":{"key":"a/b"}}`), []byte(`{"x":[true,false,null,-1.5e3]}`))
	f.Add([]byte(`{}`), []byte(`{"a":"\ud83d\ude00"}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		a, b = bytes.TrimSpace(a), bytes.TrimSpace(b)
		for _, r := range [][]byte{a, b} {
			if !json.Valid(r) || len(r) == 0 || r[0] != '{' || !utf8.Valid(r) {
				return
			}
		}
		data := []byte(`{"Records":[` + string(a) + ",\n" + string(b) + `]}`)
		recs, errs := readAll(t, data, 1<<20)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", data, errs[0])
		}
		if len(recs) != 2 || !bytes.Equal(recs[0], a) || !bytes.Equal(recs[1], b) {
			t.Fatalf("%s: got %q", data, recs)
		}
	})
}
