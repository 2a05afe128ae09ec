package query

import (
	"encoding/json"
	"unicode/utf8"
)

// Group keys below a JSON text column (AggKey.Member): the member is
// looked up in the column's text of each selected row only, without
// decoding the rest of the object.

// jsonKeyValue is a JSON member key of one row: a string, or null.
type jsonKeyValue struct {
	str  string
	null bool
}

// extractMember reads key k for the rows of sel. Rows it cannot answer
// exactly (see AggKey) are handed back and cleared from sel.
func (c *aggConsumer) extractMember(b *batch, k AggKey, sel *bitmap) ([]jsonKeyValue, error) {
	col, ok, err := b.bytes(k.Column)
	if err != nil {
		return nil, err
	}
	extra, extraOK, err := b.bytes(colExtra)
	if err != nil {
		return nil, err
	}
	vals := c.keyBuffer(k, b.n)
	err = c.handBack(b, sel, func(r int) bool {
		v, found, exact := jsonKeyValue{null: true}, false, true
		if ok && !col.IsNull(r) {
			v, found, exact = memberValue(col.Value(r), k.Member)
		}
		if !found && extraOK && !extra.IsNull(r) {
			exact = false // a top-level "<column>.<member>" may answer the path
		}
		vals[r] = v
		return exact
	})
	return vals, err
}

// keyBuffer returns the consumer's buffer for key k, n rows long.
func (c *aggConsumer) keyBuffer(k AggKey, n int) []jsonKeyValue {
	for i := range c.spec.Keys {
		if c.spec.Keys[i] == k {
			if cap(c.members[i]) < n {
				c.members[i] = make([]jsonKeyValue, n)
			}
			return c.members[i][:n]
		}
	}
	panic("BUG: key buffer for a key not in the spec")
}

// memberValue looks up member name of the JSON object doc (the last one,
// when the name repeats, as a decoder keeps). found reports the member;
// exact is false when the answer cannot be given as a string or null: the
// member is not a string, or doc is not well-formed.
func memberValue(doc []byte, name string) (v jsonKeyValue, found, exact bool) {
	p := jsonSpace(doc, 0)
	if p >= len(doc) || doc[p] != '{' {
		return jsonKeyValue{null: true}, false, true // not an object: no members
	}
	var val []byte
	p = jsonSpace(doc, p+1)
	if p < len(doc) && doc[p] == '}' {
		return jsonKeyValue{null: true}, false, true
	}
	for {
		if p >= len(doc) || doc[p] != '"' {
			return v, false, false
		}
		end, ok := jsonValueEnd(doc, p)
		if !ok {
			return v, false, false
		}
		key := doc[p:end]
		p = jsonSpace(doc, end)
		if p >= len(doc) || doc[p] != ':' {
			return v, false, false
		}
		p = jsonSpace(doc, p+1)
		vend, ok := jsonValueEnd(doc, p)
		if !ok || vend == p {
			return v, false, false
		}
		if k, ok := jsonStringToken(key); !ok {
			return v, false, false
		} else if k == name {
			val = doc[p:vend]
		}
		p = jsonSpace(doc, vend)
		if p >= len(doc) {
			return v, false, false
		}
		if doc[p] == '}' {
			break
		}
		if doc[p] != ',' {
			return v, false, false
		}
		p = jsonSpace(doc, p+1)
	}
	switch {
	case val == nil:
		return jsonKeyValue{null: true}, false, true
	case string(val) == "null":
		return jsonKeyValue{null: true}, true, true
	case val[0] != '"':
		return v, true, false
	}
	s, ok := jsonStringToken(val)
	return jsonKeyValue{str: s}, true, ok
}

// jsonStringToken decodes a JSON string token; ok is false when it is not one.
func jsonStringToken(tok []byte) (string, bool) {
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return "", false
	}
	plain := true
	for _, c := range tok[1 : len(tok)-1] {
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		return string(tok[1 : len(tok)-1]), true
	}
	var s string
	if err := json.Unmarshal(tok, &s); err != nil {
		return "", false
	}
	return s, true
}

func jsonSpace(doc []byte, p int) int {
	for p < len(doc) && (doc[p] == ' ' || doc[p] == '\t' || doc[p] == '\n' || doc[p] == '\r') {
		p++
	}
	return p
}

// jsonValueEnd returns the end of the JSON value starting at doc[p]. It
// checks only the structure that finding the end needs: brackets nest,
// strings close; the scalars are checked by whoever reads them.
func jsonValueEnd(doc []byte, p int) (int, bool) {
	depth := 0
	for p < len(doc) {
		switch c := doc[p]; c {
		case '"':
			p++
			for p < len(doc) && doc[p] != '"' {
				if doc[p] == '\\' {
					p++
				}
				p++
			}
			if p >= len(doc) {
				return 0, false
			}
			p++
		case '{', '[':
			depth++
			p++
		case '}', ']':
			if depth == 0 {
				return p, true
			}
			depth--
			p++
		case ',', ':', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return p, true
			}
			p++
		default:
			p++
		}
		if depth == 0 && p > 0 && (doc[p-1] == '"' || doc[p-1] == '}' || doc[p-1] == ']') {
			return p, true
		}
	}
	return p, depth == 0
}
