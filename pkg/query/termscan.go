package query

import "bytes"

// termSet is a compiled term pattern for scanning raw records.
type termSet struct {
	must, exclude, any []termMatcher
}

func compileTerms(t *Terms) *termSet {
	ts := &termSet{}
	for _, m := range t.Must {
		ts.must = append(ts.must, newTermMatcher(m))
	}
	for _, x := range t.Exclude {
		ts.exclude = append(ts.exclude, newTermMatcher(x))
	}
	for _, a := range t.Any {
		ts.any = append(ts.any, newTermMatcher(a))
	}
	return ts
}

// match evaluates the pattern over one record's text: every Must term and
// no Exclude term occurs, and, with neither, at least one Any term does.
func (ts *termSet) match(s []byte) bool {
	for i := range ts.must {
		if !ts.must[i].in(s) {
			return false
		}
	}
	for i := range ts.exclude {
		if ts.exclude[i].in(s) {
			return false
		}
	}
	if len(ts.must) == 0 && len(ts.exclude) == 0 && len(ts.any) > 0 {
		for i := range ts.any {
			if ts.any[i].in(s) {
				return true
			}
		}
		return false
	}
	return true
}

// termMatcher finds one term (case-sensitive substring, or a regex) in a
// record. A literal is searched by its rarest byte in CloudTrail JSON text:
// bytes.Index looks for the first byte, and a term such as "AccessDenied"
// starts with one of the most frequent letters of the records ("A" of
// "AWS", "ASIA", "AssumedRole"), so most candidates it stops at fail.
type termMatcher struct {
	term   Term
	text   []byte
	anchor int // index in text of its rarest byte
}

func newTermMatcher(t Term) termMatcher {
	m := termMatcher{term: t, text: []byte(t.Text)}
	for i := range m.text {
		if byteRank[m.text[i]] > byteRank[m.text[m.anchor]] {
			m.anchor = i
		}
	}
	return m
}

func (m *termMatcher) in(s []byte) bool {
	if m.term.Re != nil {
		return m.term.Re.Match(s)
	}
	return m.index(s) >= 0
}

// index returns the position of the first occurrence of the literal in s,
// or -1.
func (m *termMatcher) index(s []byte) int {
	n := len(m.text)
	if n == 0 {
		return 0
	}
	if n == 1 {
		return bytes.IndexByte(s, m.text[0])
	}
	a, c := m.anchor, m.text[m.anchor]
	for i := a; i < len(s); {
		j := bytes.IndexByte(s[i:], c)
		if j < 0 {
			return -1
		}
		p := i + j - a // where the term would start
		if p+n <= len(s) && bytes.Equal(s[p:p+n], m.text) {
			return p
		}
		i += j + 1
	}
	return -1
}

// markRows sets in out the rows of c whose value contains the literal. It
// scans the column's whole buffer once instead of each value in turn: a
// dense selection of short values costs one search call per hit, not one
// per row. An occurrence across two values belongs to neither.
func (m *termMatcher) markRows(c *byteColumn, out *bitmap) {
	n, row := len(m.text), 0
	if n == 0 || m.term.Re != nil { // not a literal search: every row is a candidate
		for i := 0; i < c.Len(); i++ {
			out.set(i)
		}
		return
	}
	for pos := 0; pos < len(c.data); {
		j := m.index(c.data[pos:])
		if j < 0 {
			return
		}
		start := uint32(pos + j)
		for c.offs[row+1] <= start {
			row++
		}
		if start+uint32(n) <= c.offs[row+1] {
			out.set(row)
			// The row is marked: go on from the next one.
			pos = int(c.offs[row+1])
			continue
		}
		pos = int(start) + 1
	}
}

// byteRank orders bytes by their frequency in CloudTrail records (0 is the
// most frequent); bytes not listed are rarer than every listed one. The
// order was counted over real CloudTrail events; a wrong guess costs
// speed, never a match.
var byteRank = func() [256]int {
	const common = "\"e a:stnr1oi,cd02ulm-p3A.I45v698yfbw7g{}S\\TD/CERP_NhMzkxLOXqVKZBFWH[]U"
	var r [256]int
	for i := range r {
		r[i] = len(common)
	}
	for i := 0; i < len(common); i++ {
		r[common[i]] = i
	}
	return r
}()
