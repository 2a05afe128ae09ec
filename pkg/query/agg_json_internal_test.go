package query

import (
	"encoding/json"
	"testing"
)

// TestMemberValue pins the member lookup of JSON member keys against
// encoding/json's reading of the same text.
func TestMemberValue(t *testing.T) {
	tests := []struct {
		doc          string
		v            jsonKeyValue
		found, exact bool
	}{
		{`{"bucketName":"logs"}`, jsonKeyValue{str: "logs"}, true, true},
		{` { "a" : [1,{"bucketName":"x"}], "bucketName" : "b\/c" } `, jsonKeyValue{str: "b/c"}, true, true},
		{`{"bucketName":"a","bucketName":"b"}`, jsonKeyValue{str: "b"}, true, true},
		{`{"bucket\u004eame":"esc"}`, jsonKeyValue{str: "esc"}, true, true},
		{`{"bucketName":null}`, jsonKeyValue{null: true}, true, true},
		{`{"other":"x"}`, jsonKeyValue{null: true}, false, true},
		{`{}`, jsonKeyValue{null: true}, false, true},
		{`["bucketName"]`, jsonKeyValue{null: true}, false, true},
		{`"text"`, jsonKeyValue{null: true}, false, true},
		{`{"bucketName":5}`, jsonKeyValue{}, true, false},
		{`{"bucketName":{"a":"b"}}`, jsonKeyValue{}, true, false},
		{`{"bucketName":"x"`, jsonKeyValue{}, false, false},
		{`{"bucketName":}`, jsonKeyValue{}, false, false},
		{`{"bucketName" "x"}`, jsonKeyValue{}, false, false},
	}
	for _, tt := range tests {
		v, found, exact := memberValue([]byte(tt.doc), "bucketName")
		if exact != tt.exact || (exact && (v != tt.v || found != tt.found)) {
			t.Errorf("%s: got %+v found %v exact %v, want %+v %v %v", tt.doc, v, found, exact, tt.v, tt.found, tt.exact)
		}
	}
}

// FuzzMemberValue checks that an exact answer agrees with encoding/json.
func FuzzMemberValue(f *testing.F) {
	for _, s := range []string{`{"bucketName":"logs"}`, `{"a":{"b":[1,"]"]},"bucketName":"x\"y"}`, `{"bucketName":null}`, `[]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		v, found, exact := memberValue([]byte(doc), "bucketName")
		var doc2 any
		if !exact || json.Unmarshal([]byte(doc), &doc2) != nil {
			return
		}
		m, isObj := doc2.(map[string]any)
		want, has := m["bucketName"]
		if !isObj {
			has = false
		}
		if found != has {
			t.Fatalf("%q: found %v, encoding/json %v", doc, found, has)
		}
		if s, ok := want.(string); has && want != nil && (!ok || v.null || v.str != s) {
			t.Fatalf("%q: %+v, encoding/json %#v", doc, v, want)
		}
		if has && want == nil && !v.null {
			t.Fatalf("%q: %+v, encoding/json null", doc, v)
		}
	})
}
