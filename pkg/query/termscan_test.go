package query

import (
	"bytes"
	"math/rand"
	"testing"
)

func TestTermMatcher_AgreesWithContains(t *testing.T) {
	cases := []struct{ hay, term string }{
		{`{"errorCode":"AccessDenied"}`, "AccessDenied"},
		{`AccessDenied`, "AccessDenied"},
		{`xAccessDenie`, "AccessDenied"},
		{`ccessDenied`, "AccessDenied"},
		{`AAAAccessDeniedD`, "AccessDenied"},
		{`DDDD`, "AccessDenied"},
		{`"eventName":"GetObject"`, "GetObject"},
		{`Get Object`, "GetObject"},
		{`zz`, "z"},
		{``, "ab"},
		{`ab`, "ab"},
		{`b`, "ab"},
		{`{"a":"ÄÖ"}`, "ÄÖ"},
		{`{"x":"\u0041"}`, `\u0041`},
	}
	for _, c := range cases {
		m := newTermMatcher(Term{Text: c.term})
		if got, want := m.in([]byte(c.hay)), bytes.Contains([]byte(c.hay), []byte(c.term)); got != want {
			t.Errorf("%q in %q = %v, want %v (anchor %d)", c.term, c.hay, got, want, m.anchor)
		}
	}
	// Random haystacks over a small alphabet, so terms occur, nearly
	// occur and overlap often.
	r := rand.New(rand.NewSource(1))
	const alpha = `AcDe"s:`
	word := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[r.Intn(len(alpha))]
		}
		return b
	}
	for i := 0; i < 20000; i++ {
		hay, term := word(r.Intn(40)), word(1+r.Intn(5))
		m := newTermMatcher(Term{Text: string(term)})
		if got, want := m.in(hay), bytes.Contains(hay, term); got != want {
			t.Fatalf("%q in %q = %v, want %v (anchor %d)", term, hay, got, want, m.anchor)
		}
	}
}

func TestTermSet_Semantics(t *testing.T) {
	rec := []byte(`{"eventName":"GetObject","errorCode":"AccessDenied"}`)
	for _, c := range []struct {
		terms Terms
		want  bool
	}{
		{Terms{Must: []Term{{Text: "GetObject"}, {Text: "AccessDenied"}}}, true},
		{Terms{Must: []Term{{Text: "GetObject"}}, Exclude: []Term{{Text: "AccessDenied"}}}, false},
		{Terms{Exclude: []Term{{Text: "PutObject"}}}, true},
		{Terms{Any: []Term{{Text: "PutObject"}, {Text: "GetObject"}}}, true},
		{Terms{Any: []Term{{Text: "PutObject"}, {Text: "DeleteObject"}}}, false},
		{Terms{}, true},
	} {
		if got := compileTerms(&c.terms).match(rec); got != c.want {
			t.Errorf("%+v: %v, want %v", c.terms, got, c.want)
		}
	}
}

func FuzzTermMatcher(f *testing.F) {
	f.Add([]byte(`{"errorCode":"AccessDenied"}`), "AccessDenied")
	f.Add([]byte("aaa"), "aa")
	f.Fuzz(func(t *testing.T, hay []byte, term string) {
		m := newTermMatcher(Term{Text: term})
		if got, want := m.in(hay), bytes.Contains(hay, []byte(term)); got != want {
			t.Fatalf("%q in %q = %v, want %v", term, hay, got, want)
		}
	})
}

// TestTermMatcher_MarkRows checks the whole-buffer scan against a search of
// each value, on random columns where occurrences often straddle two
// values (which must mark neither) and rows are null or empty.
func TestTermMatcher_MarkRows(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	const alpha = `ab/\u`
	for iter := 0; iter < 3000; iter++ {
		rows := 1 + r.Intn(20)
		c := &byteColumn{offs: []uint32{0}, valid: make([]bool, rows)}
		for i := 0; i < rows; i++ {
			c.valid[i] = r.Intn(5) != 0
			if c.valid[i] {
				for k := r.Intn(8); k > 0; k-- {
					c.data = append(c.data, alpha[r.Intn(len(alpha))])
				}
			}
			c.offs = append(c.offs, uint32(len(c.data)))
		}
		term := make([]byte, 1+r.Intn(3))
		for i := range term {
			term[i] = alpha[r.Intn(len(alpha))]
		}
		m := newTermMatcher(Term{Text: string(term)})
		got := newBitmap(rows)
		m.markRows(c, got)
		for i := 0; i < rows; i++ {
			if want := bytes.Contains(c.Value(i), term); got.get(i) != want {
				t.Fatalf("term %q, rows %q: row %d marked %v, want %v", term, c.data, i, got.get(i), want)
			}
		}
	}
}
