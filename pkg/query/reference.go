package query

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
)

// The reference evaluator matches one record, given as its raw JSON bytes,
// the slow and obvious way: decode with encoding/json and walk the tree. It
// is the oracle for the engine's differential tests and the fallback for
// records that do not fit the lake schema. Semantics (filter-patterns.md §1.4,
// §9, and LANGUAGE.md "Choices where CloudWatch is undocumented"):
//
//   - A comparison is true only when the selector reaches a scalar (string,
//     number, boolean). A missing path, null, an object or an array makes
//     every comparison false, != included. IS NULL is true only for JSON
//     null; IS TRUE / IS FALSE only for JSON booleans; NOT EXISTS only when
//     the selector reaches nothing (a null member exists).
//   - Wildcard selectors ([*], .*) are existential: true when any selected
//     value satisfies the comparison, for != too. .* is one level deep.
//     NOT EXISTS with a wildcard is true when nothing is selected.
//   - Strings compare case-sensitively, with prefix/suffix/contains
//     wildcards. A lone * is true for any string, number or boolean.
//   - < > <= >= are true only for JSON numbers, compared as float64. = and
//     != with a numeric literal compare numerically with a JSON number and
//     compare the literal's text with a JSON string or boolean.
//   - String literals and regexes see a number as its JSON text and a
//     boolean as "true"/"false".
//   - Term patterns search the raw bytes: substrings (case-sensitive),
//     phrases exactly, regexes unanchored.
//   - Input that is not one JSON value never matches a JSON pattern.

// MatchJSON reports whether the record raw (one CloudTrail record as JSON
// text) matches n. It never panics, whatever raw holds.
func MatchJSON(n Node, raw []byte) bool {
	ev := refEval{raw: raw}
	return ev.eval(n)
}

type refEval struct {
	raw     []byte
	decoded bool
	ok      bool // raw is one valid JSON value
	doc     any
}

func (ev *refEval) root() (any, bool) {
	if !ev.decoded {
		ev.decoded = true
		ev.doc, ev.ok = refDecode(ev.raw)
	}
	return ev.doc, ev.ok
}

// refDecode decodes exactly one JSON value, numbers as json.Number.
func refDecode(raw []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

func (ev *refEval) eval(n Node) bool {
	switch n := n.(type) {
	case *MatchAll:
		return true
	case *And:
		if n == nil {
			return false
		}
		for _, t := range n.Terms {
			if !ev.eval(t) {
				return false
			}
		}
		return true
	case *Or:
		if n == nil {
			return false
		}
		for _, t := range n.Terms {
			if ev.eval(t) {
				return true
			}
		}
		return false
	case *Compare:
		if n == nil {
			return false
		}
		doc, ok := ev.root()
		if !ok {
			return false
		}
		return refCompare(n, doc)
	case *Terms:
		if n == nil {
			return false
		}
		return refTerms(n, ev.raw)
	}
	return false
}

// refSelect returns the values a selector reaches (several with a
// wildcard).
func refSelect(v any, steps []Step, out []any) []any {
	if len(steps) == 0 {
		return append(out, v)
	}
	st, rest := steps[0], steps[1:]
	switch st.Kind {
	case StepField:
		if m, ok := v.(map[string]any); ok {
			if c, ok := m[st.Name]; ok {
				return refSelect(c, rest, out)
			}
		}
	case StepIndex:
		if a, ok := v.([]any); ok && st.Index >= 0 && st.Index < len(a) {
			return refSelect(a[st.Index], rest, out)
		}
	case StepAnyIndex:
		if a, ok := v.([]any); ok {
			for _, c := range a {
				out = refSelect(c, rest, out)
			}
		}
	case StepAnyField:
		if m, ok := v.(map[string]any); ok {
			for _, c := range m {
				out = refSelect(c, rest, out)
			}
		}
	}
	return out
}

func refCompare(c *Compare, doc any) bool {
	vals := refSelect(doc, c.Sel.Steps, nil)
	if c.Op == OpNotExists {
		return len(vals) == 0
	}
	for _, v := range vals {
		if refCompareOne(c, v) {
			return true
		}
	}
	return false
}

// refCompareOne evaluates a comparison on one selected value.
func refCompareOne(c *Compare, v any) bool {
	switch c.Op {
	case OpIsNull:
		return v == nil
	case OpIsTrue:
		b, ok := v.(bool)
		return ok && b
	case OpIsFalse:
		b, ok := v.(bool)
		return ok && !b
	}
	// Every other operator needs a scalar.
	var text string // the scalar's text: the string, the number's JSON text, true/false
	var num float64
	isNum := false
	switch x := v.(type) {
	case string:
		text = x
	case json.Number:
		text = string(x)
		num = refNumber(x)
		isNum = true
	case bool:
		text = strconv.FormatBool(x)
	default: // null, object, array
		return false
	}
	val := c.Val
	switch c.Op {
	case OpLt, OpGt, OpLe, OpGe:
		if !isNum || val.Kind != ValNumber {
			return false
		}
		switch c.Op {
		case OpLt:
			return num < val.Num
		case OpGt:
			return num > val.Num
		case OpLe:
			return num <= val.Num
		default:
			return num >= val.Num
		}
	case OpEq, OpNe:
		eq := refEquals(val, text, num, isNum)
		if c.Op == OpEq {
			return eq
		}
		if val.Kind == ValAny {
			return false // "!= *": present scalars are never "not present"
		}
		return !eq
	}
	return false
}

// refEquals reports whether a scalar (text, and num when isNum) equals the
// comparison value under = semantics.
func refEquals(val Value, text string, num float64, isNum bool) bool {
	switch val.Kind {
	case ValAny:
		return true
	case ValNumber:
		if isNum {
			return num == val.Num
		}
		lit := val.Text
		if lit == "" {
			lit = strconv.FormatFloat(val.Num, 'g', -1, 64)
		}
		return text == lit
	case ValRegex:
		re := val.Re
		if re == nil {
			compiled, err := compileRegexAt(val.Text, val.Text, 0)
			if err != nil {
				return false
			}
			re = compiled
		}
		return re.MatchString(text)
	case ValString:
		return refWildcard(val, text)
	}
	return false
}

// refWildcard matches a string value with its prefix/suffix/contains
// wildcards.
func refWildcard(val Value, text string) bool {
	switch {
	case val.Prefix && val.Suffix:
		return strings.Contains(text, val.Str)
	case val.Prefix:
		return strings.HasPrefix(text, val.Str)
	case val.Suffix:
		return strings.HasSuffix(text, val.Str)
	}
	return text == val.Str
}

// refNumber converts a JSON number's text; out-of-range values become ±Inf.
func refNumber(n json.Number) float64 {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f // ±Inf or 0 for underflow
		}
		return math.NaN()
	}
	return f
}

// refTerms evaluates a term pattern over raw text.
func refTerms(t *Terms, raw []byte) bool {
	for _, m := range t.Must {
		if !refTermIn(m, raw) {
			return false
		}
	}
	for _, m := range t.Exclude {
		if refTermIn(m, raw) {
			return false
		}
	}
	if len(t.Must) == 0 && len(t.Exclude) == 0 && len(t.Any) > 0 {
		for _, m := range t.Any {
			if refTermIn(m, raw) {
				return true
			}
		}
		return false
	}
	return true
}

func refTermIn(t Term, raw []byte) bool {
	if t.Re != nil {
		return t.Re.Match(raw)
	}
	return bytes.Contains(raw, []byte(t.Text))
}
