package schema

import (
	"slices"
	"strings"
	"testing"
)

// The declaration's own invariants, which every consumer relies on.
func TestRecord_Invariants(t *testing.T) {
	seen := map[string]bool{}
	Walk(Record, func(path string, f *Field) {
		if seen[path] {
			t.Errorf("%s declared twice", path)
		}
		seen[path] = true
		if f.NotStored && strings.Contains(path, ".") {
			t.Errorf("%s: NotStored is for top-level fields only", path)
		}
		if strings.HasPrefix(path, "ctq") {
			t.Errorf("%s: the ctq prefix is reserved for ctq's own columns", path)
		}
		if (f.Kind == Group || f.Kind == List) != (len(f.Fields) > 0) {
			t.Errorf("%s: kind %v with %d members", path, f.Kind, len(f.Fields))
		}
		if (f.Unique || f.Bloom || f.NoBounds) && f.Kind != String {
			t.Errorf("%s: string storage hints on a %v field", path, f.Kind)
		}
	})
	for _, c := range CtqColumns {
		if !strings.HasPrefix(c, "ctq") {
			t.Errorf("ctq column %s lacks the ctq prefix", c)
		}
	}
}

func TestManifestColumns(t *testing.T) {
	for _, p := range slices.Concat(RangeColumns, ValueSetColumns) {
		f := Lookup(p)
		if f == nil || f.Kind != String || f.NotStored || f.Unique {
			t.Errorf("manifest column %s is not a stored, dictionary-encoded string column: %+v", p, f)
		}
	}
	if f := Lookup(TimeColumn); f == nil || f.Kind != Time {
		t.Errorf("time column %s: %+v", TimeColumn, f)
	}
	if f := Lookup(IDColumn); f == nil || f.Kind != String || !f.Bloom {
		t.Errorf("id column %s: %+v", IDColumn, f)
	}
}

func TestLookup(t *testing.T) {
	for _, c := range []struct {
		path   string
		kind   Kind
		found  bool
		stored bool
	}{
		{"eventName", String, true, true},
		{"userIdentity.sessionContext.sessionIssuer.arn", String, true, true},
		{"userIdentity.sessionContext.webIdFederationData.attributes", JSON, true, true},
		{"resources.ARN", String, true, true},
		{"readOnly", Bool, true, true},
		{"eventContext", JSON, true, false},
		{"eventname", 0, false, false},
		{"userIdentity.nope", 0, false, false},
		{"", 0, false, false},
	} {
		f := Lookup(c.path)
		if (f != nil) != c.found || f != nil && f.Kind != c.kind || Stored(c.path) != c.stored {
			t.Errorf("Lookup(%q) = %+v, Stored = %v; want found %v, kind %v, stored %v", c.path, f, Stored(c.path), c.found, c.kind, c.stored)
		}
	}
}
