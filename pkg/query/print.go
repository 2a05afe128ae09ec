package query

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The printer writes the canonical form of a tree: JSON patterns as
// { $.a = "x" && ($.b = 1 || $.c NOT EXISTS) } with single spaces, upper-case
// keywords and parentheses only where && inside || needs them; term patterns
// as the must terms, then -terms, then ?terms. Values keep how they were
// written (qstring or not, the number's text). Parsing the output yields an
// equal tree. Shorthand patterns print in the JSON form.

// String returns the pattern in canonical form (JSON form for shorthand).
func (p *Pattern) String() string {
	if p == nil || p.Root == nil {
		return ""
	}
	return p.Root.String()
}

// String returns `" "`, the pattern that matches everything.
func (*MatchAll) String() string { return `" "` }

// String returns the JSON pattern { a && b ... }.
func (n *And) String() string { return jsonString(n) }

// String returns the JSON pattern { a || b ... }.
func (n *Or) String() string { return jsonString(n) }

// String returns the JSON pattern { $.sel op value }.
func (n *Compare) String() string { return jsonString(n) }

func jsonString(n Node) string {
	var b strings.Builder
	b.WriteString("{ ")
	writeExpr(&b, n, false)
	b.WriteString(" }")
	return b.String()
}

// writeExpr writes a JSON expression without braces. inAnd says the node is
// an operand of &&, where an || needs parentheses.
func writeExpr(b *strings.Builder, n Node, inAnd bool) {
	switch n := n.(type) {
	case *And:
		if n == nil {
			return
		}
		for i, t := range n.Terms {
			if i > 0 {
				b.WriteString(" && ")
			}
			writeExpr(b, t, true)
		}
	case *Or:
		if n == nil {
			return
		}
		if inAnd {
			b.WriteByte('(')
		}
		for i, t := range n.Terms {
			if i > 0 {
				b.WriteString(" || ")
			}
			writeExpr(b, t, false)
		}
		if inAnd {
			b.WriteByte(')')
		}
	case *Compare:
		if n == nil {
			return
		}
		b.WriteString(n.Sel.String())
		b.WriteByte(' ')
		b.WriteString(opText(n.Op))
		switch n.Op {
		case OpIsNull, OpIsTrue, OpIsFalse, OpNotExists:
		default:
			b.WriteByte(' ')
			b.WriteString(n.Val.String())
		}
	case nil:
	default:
		// Not valid inside a JSON pattern (a parser never builds this);
		// printed for diagnostics.
		b.WriteString(n.String())
	}
}

// String returns the operator as written in a pattern: "=", "IS NULL", ...
func (o Op) String() string { return opText(o) }

// String returns the selector: $.a.b[0]['dotted.key'][*].*
func (s Selector) String() string {
	var b strings.Builder
	b.WriteByte('$')
	for i, st := range s.Steps {
		switch st.Kind {
		case StepField:
			if isSelIdent(st.Name) {
				b.WriteByte('.')
				b.WriteString(st.Name)
				continue
			}
			if i == 0 {
				b.WriteByte('.')
			}
			b.WriteString("['")
			for _, r := range st.Name {
				if r == '\'' || r == '\\' {
					b.WriteByte('\\')
				}
				b.WriteRune(r)
			}
			b.WriteString("']")
		case StepIndex:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(st.Index))
			b.WriteByte(']')
		case StepAnyIndex:
			b.WriteString("[*]")
		case StepAnyField:
			b.WriteString(".*")
		default:
			fmt.Fprintf(&b, "[?step %d]", st.Kind)
		}
	}
	return b.String()
}

// String returns the value as written in a pattern: "quoted", unquoted,
// *, a number's text or %regex%.
func (v Value) String() string {
	switch v.Kind {
	case ValAny:
		if v.Quoted {
			return `"*"`
		}
		return "*"
	case ValNumber:
		if isNumLiteral(v.Text) {
			return v.Text
		}
		return strconv.FormatFloat(v.Num, 'g', -1, 64)
	case ValRegex:
		return "%" + v.Text + "%"
	}
	if !v.Quoted {
		if t, ok := unquotedText(v); ok {
			return t
		}
	}
	return quoteValue(v)
}

// unquotedText returns the unquoted spelling of a string value if one reads
// back as the same value.
func unquotedText(v Value) (string, bool) {
	if v.Str != "" {
		if !v.Suffix && v.Str[0] == '*' || !v.Prefix && v.Str[len(v.Str)-1] == '*' {
			return "", false
		}
	}
	for _, r := range v.Str {
		if !isValueRune(r) {
			return "", false
		}
	}
	t := v.Str
	if v.Suffix {
		t = "*" + t
	}
	if v.Prefix {
		t += "*"
	}
	if t == "" || strings.Trim(t, "*") == "" || isNumLiteral(t) {
		return "", false
	}
	return t, true
}

// quoteValue writes a string value in double quotes, escaping stars that
// are literal at the ends.
func quoteValue(v Value) string {
	var b strings.Builder
	b.WriteByte('"')
	if v.Suffix {
		b.WriteByte('*')
	}
	allStars := v.Str != "" && strings.Trim(v.Str, "*") == ""
	last := len(v.Str) - 1
	for i := 0; i < len(v.Str); {
		r, size := utf8.DecodeRuneInString(v.Str[i:])
		if r == '*' && (allStars || i == 0 && !v.Suffix || i == last && !v.Prefix) {
			b.WriteString(`\*`)
		} else {
			writeEscaped(&b, r, size == 1 && r == utf8.RuneError)
		}
		i += size
	}
	if v.Prefix {
		b.WriteByte('*')
	}
	b.WriteByte('"')
	return b.String()
}

// quoteText writes s in double quotes with JSON-style escapes.
func quoteText(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		writeEscaped(&b, r, size == 1 && r == utf8.RuneError)
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

func writeEscaped(b *strings.Builder, r rune, invalid bool) {
	switch {
	case invalid:
		b.WriteString(`\ufffd`)
	case r == '"':
		b.WriteString(`\"`)
	case r == '\\':
		b.WriteString(`\\`)
	case r == '\n':
		b.WriteString(`\n`)
	case r == '\t':
		b.WriteString(`\t`)
	case r == '\r':
		b.WriteString(`\r`)
	case r < 0x20 || r == 0x7f:
		fmt.Fprintf(b, `\u%04x`, r)
	default:
		b.WriteRune(r)
	}
}

// String returns the term pattern: must terms, then -terms, then ?terms.
func (t *Terms) String() string {
	if t == nil {
		return ""
	}
	var parts []string
	for _, m := range t.Must {
		parts = append(parts, m.String())
	}
	for _, m := range t.Exclude {
		parts = append(parts, "-"+m.String())
	}
	for _, m := range t.Any {
		parts = append(parts, "?"+m.String())
	}
	return strings.Join(parts, " ")
}

// String returns one term as written: word, "phrase" or %regex%.
func (t Term) String() string {
	switch {
	case t.Re != nil:
		return "%" + t.Text + "%"
	case t.Quoted:
		return quoteText(t.Text)
	}
	return t.Text
}
