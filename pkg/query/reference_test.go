package query

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const realEventsDir = "../../../shared/testdata/cloudtrail-real"

// loadRealRecords returns the raw bytes of every record of the real-event
// files (each record's exact text inside {"Records":[...]}).
func loadRealRecords(t testing.TB) map[string][]json.RawMessage {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(realEventsDir, "*.records.json"))
	if err != nil || len(files) == 0 {
		t.Skipf("no real CloudTrail events in %s", realEventsDir)
	}
	out := map[string][]json.RawMessage{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Records []json.RawMessage }
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = doc.Records
	}
	return out
}

// leaf is one scalar of a record with the selector that reaches it.
type leaf struct {
	sel Selector
	v   any // string, json.Number, bool or nil
}

func collectLeaves(v any, steps []Step, out *[]leaf) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			collectLeaves(x[k], append(steps[:len(steps):len(steps)], Step{Kind: StepField, Name: k}), out)
		}
	case []any:
		for i, c := range x {
			collectLeaves(c, append(steps[:len(steps):len(steps)], Step{Kind: StepIndex, Index: i}), out)
		}
	default:
		*out = append(*out, leaf{sel: Selector{Steps: steps}, v: v})
	}
}

// TestReference_RealEvents checks the evaluator and the printer on every
// scalar of every real event: the printed comparison "sel = value" parses
// and matches its record, and "!=" does not.
func TestReference_RealEvents(t *testing.T) {
	files := loadRealRecords(t)
	records, leaves := 0, 0
	for name, recs := range files {
		for i, raw := range recs {
			records++
			doc, ok := refDecode(raw)
			if !ok {
				t.Fatalf("%s[%d] is not JSON", name, i)
			}
			var ls []leaf
			collectLeaves(doc, nil, &ls)
			for _, l := range ls {
				if len(l.sel.Steps) == 0 {
					continue
				}
				leaves++
				eq, ne := leafComparisons(t, l)
				for _, c := range []struct {
					n    Node
					want bool
				}{{eq, true}, {ne, false}} {
					text := c.n.String()
					p, err := Parse(text, ParseOptions{})
					if err != nil {
						t.Fatalf("%s[%d]: %s does not parse: %v", name, i, text, err)
					}
					if !langEqual(p.Root, c.n) {
						t.Fatalf("%s[%d]: %s parses to %s", name, i, text, langDump(p.Root))
					}
					if got := MatchJSON(p.Root, raw); got != c.want {
						t.Fatalf("%s[%d]: %s = %v, want %v", name, i, text, got, c.want)
					}
				}
			}
			// The record's own text as a phrase, and its eventName.
			phrase := string(raw)
			if len(phrase) > 60 {
				phrase = phrase[10:60]
			}
			p, err := Parse(quoteText(phrase), ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !MatchJSON(p.Root, raw) {
				t.Fatalf("%s[%d]: phrase %s does not match", name, i, p)
			}
			if en, ok := doc.(map[string]any)["eventName"].(string); ok {
				p, err := Parse("eventname="+quoteText(en), ParseOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if !MatchJSON(p.Root, raw) {
					t.Fatalf("%s[%d]: %s does not match", name, i, p)
				}
			}
		}
	}
	if records < 400 || leaves < 10000 {
		t.Errorf("only %d records, %d leaves", records, leaves)
	}
	t.Logf("%d records, %d scalar leaves", records, leaves)
}

// leafComparisons returns a comparison a leaf satisfies and one it fails.
func leafComparisons(t testing.TB, l leaf) (eq, ne Node) {
	switch v := l.v.(type) {
	case nil:
		return &Compare{Sel: l.sel, Op: OpIsNull}, &Compare{Sel: l.sel, Op: OpNotExists}
	case bool:
		if v {
			return &Compare{Sel: l.sel, Op: OpIsTrue}, &Compare{Sel: l.sel, Op: OpIsFalse}
		}
		return &Compare{Sel: l.sel, Op: OpIsFalse}, &Compare{Sel: l.sel, Op: OpIsTrue}
	case json.Number:
		val := Value{Kind: ValNumber, Text: string(v), Num: refNumber(v)}
		return &Compare{Sel: l.sel, Op: OpEq, Val: val}, &Compare{Sel: l.sel, Op: OpNe, Val: val}
	case string:
		val := Value{Kind: ValString, Str: v, Quoted: true}
		return &Compare{Sel: l.sel, Op: OpEq, Val: val}, &Compare{Sel: l.sel, Op: OpNe, Val: val}
	}
	t.Fatalf("unexpected leaf %T", l.v)
	return nil, nil
}

// TestReference_RealEventsCIS runs every CIS pattern over the real events
// and checks each verdict against a direct reading of the record.
func TestReference_RealEventsCIS(t *testing.T) {
	files := loadRealRecords(t)
	hits := map[string]int{}
	for _, recs := range files {
		for _, raw := range recs {
			doc, _ := refDecode(raw)
			// A direct, case-sensitive reading of the record.
			get := func(names ...string) (any, bool) {
				var v any = doc
				for _, n := range names {
					m, ok := v.(map[string]any)
					if !ok {
						return nil, false
					}
					if v, ok = m[n]; !ok {
						return nil, false
					}
				}
				return v, true
			}
			str := func(names ...string) string {
				v, _ := get(names...)
				s, _ := v.(string)
				return s
			}
			_, hasInvokedBy := get("userIdentity", "invokedBy")
			mfa, mfaOK := get("additionalEventData", "MFAUsed")
			mfaStr, isStr := mfa.(string)
			errorCode, _ := get("errorCode")
			ec, _ := errorCode.(string)
			want := map[string]bool{
				"3.3": str("userIdentity", "type") == "Root" && !hasInvokedBy && str("eventType") != "AwsServiceEvent",
				"3.2": str("eventName") == "ConsoleLogin" && mfaOK && isStr && mfaStr != "Yes",
				"3.6": str("eventName") == "ConsoleLogin" && str("errorMessage") == "Failed authentication",
				"3.1": strings.HasSuffix(ec, "UnauthorizedOperation") || strings.HasPrefix(ec, "AccessDenied"),
			}
			for id, pat := range map[string]string{"3.1": cis31, "3.2": cis32, "3.3": cis33, "3.6": cis36} {
				p, err := Parse(pat, ParseOptions{})
				if err != nil {
					t.Fatal(err)
				}
				got := MatchJSON(p.Root, raw)
				if got != want[id] {
					t.Errorf("CIS %s on %s: %v, want %v", id, raw, got, want[id])
				}
				if got {
					hits[id]++
				}
			}
			for _, c := range cisCases {
				p, err := Parse(c.pattern, ParseOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if MatchJSON(p.Root, raw) {
					hits[c.id]++
				}
			}
		}
	}
	for _, id := range []string{"3.1", "3.2", "3.3", "3.6", "v1.2 3.10"} {
		if hits[id] == 0 {
			t.Errorf("CIS %s matched no real event", id)
		}
	}
	t.Logf("real-event hits: %v", hits)
}

// TestReference_KnownFields checks the documented field list against the
// real events: every member of the AWS documentation's examples is known,
// and the unknown members of the other files are the quirks we expect.
func TestReference_KnownFields(t *testing.T) {
	files := loadRealRecords(t)
	unknown := map[string]bool{}
	for name, recs := range files {
		for _, raw := range recs {
			doc, _ := refDecode(raw)
			var ls []leaf
			collectLeaves(doc, nil, &ls)
			for _, l := range ls {
				if len(l.sel.Steps) == 0 || KnownSelector(l.sel) {
					continue
				}
				if name == "awsdocs_examples.records.json" {
					t.Errorf("%s: %s is unknown", name, l.sel)
				}
				unknown[l.sel.Steps[0].Name] = true
			}
		}
	}
	for top := range unknown {
		// Panther's enrichment (p_*), lower-cased copies of fields, typos.
		if !strings.HasPrefix(top, "p_") && top != strings.ToLower(top) && top != "userIdentity" && top != "resources" && top != "useridentity" {
			t.Errorf("unexpected unknown top-level field %q", top)
		}
	}
}

func TestReference_Semantics(t *testing.T) {
	sel := func(names ...string) Selector {
		var s Selector
		for _, n := range names {
			s.Steps = append(s.Steps, Step{Kind: StepField, Name: n})
		}
		return s
	}
	f := func(n Node, raw string, want bool) {
		t.Helper()
		if got := MatchJSON(n, []byte(raw)); got != want {
			t.Errorf("%s on %s = %v, want %v", n, raw, got, want)
		}
	}
	// Hand-built nodes the parser would not build.
	f(&Compare{Sel: sel("a"), Op: OpEq, Val: Value{Kind: ValRegex, Text: "^x"}}, `{"a":"xy"}`, true) // nil Re: compiled on the fly
	f(&Compare{Sel: sel("a"), Op: OpEq, Val: Value{Kind: ValRegex, Text: "("}}, `{"a":"("}`, false)  // invalid: no match
	f(&Compare{Sel: sel("a"), Op: OpEq, Val: Value{Kind: ValNumber, Num: 2}}, `{"a":"2"}`, true)     // no Text: formatted
	f(&Compare{Sel: sel("a"), Op: OpLt, Val: Value{Kind: ValString, Str: "5"}}, `{"a":1}`, false)
	f(&Compare{Sel: Selector{}, Op: OpEq, Val: Value{Kind: ValAny}}, `{"a":1}`, false) // root is an object
	f(&Compare{Sel: Selector{}, Op: OpEq, Val: Value{Kind: ValAny}}, `"x"`, true)
	f(&Compare{Sel: sel("a"), Op: Op(200)}, `{"a":1}`, false)
	f(&Compare{Sel: sel("a"), Op: OpEq, Val: Value{Kind: ValueKind(200)}}, `{"a":1}`, false)
	f(&Compare{Sel: Selector{Steps: []Step{{Kind: StepKind(9)}}}, Op: OpNotExists}, `{"a":1}`, true)
	f(&Compare{Sel: Selector{Steps: []Step{{Kind: StepIndex, Index: -1}}}, Op: OpNotExists}, `[1]`, true)
	f(&And{}, `{}`, true)
	f(&Or{}, `{}`, false)
	f(&MatchAll{}, `not json`, true)
	f((*And)(nil), `{}`, false)
	f((*Compare)(nil), `{}`, false)
	f((*Terms)(nil), `{}`, false)
	f(nil, `{}`, false)
	f(&Terms{}, `x`, true)
	f(&Terms{Must: []Term{{Text: ""}}}, `x`, true)
	f(&Terms{Any: []Term{{Text: "a"}, {Text: "b"}}}, `xbx`, true)
	f(&Terms{Any: []Term{{Text: "a"}, {Text: "b"}}}, `xcx`, false)
	// A JSON pattern mixed with terms (the parser never builds this).
	f(&And{Terms: []Node{&Terms{Must: []Term{{Text: "GetObject"}}}, &Compare{Sel: sel("a"), Op: OpEq, Val: Value{Kind: ValAny}}}}, `{"a":"GetObject"}`, true)
}

// FuzzMatchJSON: MatchJSON never panics, whatever the record bytes; and a
// comparison without wildcards never holds together with its negation.
func FuzzMatchJSON(f *testing.F) {
	for _, r := range specRows {
		f.Add(r.pattern, []byte(r.event))
	}
	for _, c := range choiceCases {
		f.Add(c.pattern, []byte(c.event))
	}
	for _, c := range cisCases {
		f.Add(c.pattern, []byte(c.match[0]))
	}
	f.Add(`{ $.a = 1 }`, []byte("\xff\xfe{\"a\":1}"))
	f.Add(`{ $.a[*] = 1 }`, []byte(strings.Repeat("[", 20000)))
	f.Add(`{ $.a = 1 }`, []byte(`{"a":1e999999}`))
	f.Fuzz(func(t *testing.T, pattern string, raw []byte) {
		p, err := Parse(pattern, ParseOptions{})
		if err != nil {
			return
		}
		got := MatchJSON(p.Root, raw)
		c, ok := p.Root.(*Compare)
		if !ok || countWildcards(c.Sel) > 0 || (c.Op != OpEq && c.Op != OpNe) {
			return
		}
		neg := *c
		if c.Op == OpEq {
			neg.Op = OpNe
		} else {
			neg.Op = OpEq
		}
		if got && MatchJSON(&neg, raw) {
			t.Fatalf("%s and %s both match %q", c, &neg, raw)
		}
	})
}
