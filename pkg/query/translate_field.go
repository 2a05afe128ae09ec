package query

import "fmt"

// The pieces of the SQL translation that other translators share: where a
// field's value is in the lake, how to read a value inside JSON text, and
// the dialect's spelling of literals, substring and regex searches. The
// pattern translation (translate.go) is built from them, so every
// translation reads the lake the same way.

// SQLColumnType is the type of a typed leaf column.
type SQLColumnType uint8

const (
	SQLVarchar   SQLColumnType = iota + 1 // VARCHAR
	SQLBoolean                            // BOOLEAN
	SQLTimestamp                          // TIMESTAMP (eventTime)
)

// SQLField is where the lake holds the value a selector reads. Exactly one
// of Column and JSON is set.
type SQLField struct {
	// Column is the quoted reference of a typed leaf column, such as
	// "userIdentity"."arn".
	Column string
	// Type is Column's type: SQLVarchar, SQLBoolean or SQLTimestamp.
	Type SQLColumnType
	// Text is Column's value as the record's JSON text has it: the column
	// itself for strings, 'true'/'false' for booleans, and eventTime
	// formatted as CloudTrail writes it.
	Text string
	// JSON reads a value that lies inside JSON text: below a JSON column
	// (requestParameters, ...), in ctqExtra (a top-level member the schema
	// does not know), or in ctqRaw (array elements, objects).
	JSON *SQLJSON
}

// SQLJSON holds the SQL expressions that read one value inside JSON text.
// Each is NULL-safe in the sense noted; the JSON text itself may be NULL.
type SQLJSON struct {
	Str       string // a scalar's text (strings unquoted, numbers as the engine prints them); NULL for null, objects, arrays and absent values
	Text      string // like Str, but an object's or array's JSON text too
	Scalar    string // the value is a string, number or boolean
	IsString  string // the value is a string
	IsNum     string // the value is a number
	IsBool    string // the value is a boolean
	IsTrue    string // the value is true
	IsFalse   string // the value is false
	IsNull    string // the value is JSON null
	Absent    string // nothing is at the path (or the JSON text is NULL)
	Container string // the value is an object or an array
}

// Field returns where the lake holds the value at sel, for the table `ctq
// ddl` creates. Selectors with wildcard steps select several values and are
// an error, as are member names a JSON path cannot spell.
func (d SQLDialect) Field(sel Selector) (SQLField, error) {
	g := &sqlGen{d: d}
	t := classify(sel)
	var src string
	var steps []Step
	switch t.kind {
	case tTyped:
		f := SQLField{Column: g.ident(t.col), Type: SQLVarchar}
		f.Text = f.Column
		switch {
		case typedCols().bools[t.col]:
			f.Type, f.Text = SQLBoolean, fmt.Sprintf("CAST(%s AS VARCHAR)", f.Column)
		case t.col == colTime:
			f.Type, f.Text = SQLTimestamp, g.timeText(f.Column)
		}
		return f, nil
	case tJSON:
		src, steps = g.ident(t.col), t.rest.Steps
	case tExtra:
		src, steps = g.ident(colExtra), sel.Steps
	default:
		src, steps = g.ident(colRaw), sel.Steps
	}
	for _, st := range steps {
		if st.Kind == StepAnyIndex || st.Kind == StepAnyField {
			return SQLField{}, fmt.Errorf("selector %s: a wildcard selects several values", sel)
		}
	}
	p, err := g.jsonPath(&Compare{Sel: sel}, steps)
	if err != nil {
		return SQLField{}, err
	}
	j := d.JSONValue(src, sqlString(p))
	return SQLField{JSON: &j}, nil
}

// JSONValue returns the expressions that read the value at path (a SQL
// string literal holding a JSON path) in the JSON text src.
func (d SQLDialect) JSONValue(src, path string) SQLJSON {
	var j SQLJSON
	if d == DialectDuckDB {
		typ := fmt.Sprintf("json_type(%s, %s)", src, path)
		j.Str = fmt.Sprintf("json_extract_string(%s, %s)", src, path)
		j.Scalar = typ + " NOT IN ('NULL', 'OBJECT', 'ARRAY')"
		j.IsString = typ + " = 'VARCHAR'"
		j.IsNum = typ + " IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE')"
		j.IsBool = typ + " = 'BOOLEAN'"
		j.IsNull = typ + " = 'NULL'"
		j.Absent = typ + " IS NULL"
		j.IsTrue = fmt.Sprintf("(%s = 'BOOLEAN' AND %s = 'true')", typ, j.Str)
		j.IsFalse = fmt.Sprintf("(%s = 'BOOLEAN' AND %s = 'false')", typ, j.Str)
		j.Container = typ + " IN ('OBJECT', 'ARRAY')"
		j.Text = j.Str // json_extract_string gives an object's JSON text
		return j
	}
	// json_extract_scalar is NULL for null, objects, arrays and missing
	// paths; json_format shows which JSON value is there.
	ext := fmt.Sprintf("json_extract(%s, %s)", src, path)
	jtext := fmt.Sprintf("json_format(%s)", ext)
	j.Str = fmt.Sprintf("json_extract_scalar(%s, %s)", src, path)
	j.Scalar = j.Str + " IS NOT NULL"
	j.IsString = fmt.Sprintf("substr(%s, 1, 1) = '\"'", jtext)
	j.IsNum = fmt.Sprintf("regexp_like(%s, '^-?[0-9]')", jtext)
	j.IsBool = jtext + " IN ('true', 'false')"
	j.IsNull = jtext + " = 'null'"
	j.Absent = ext + " IS NULL"
	j.IsTrue = jtext + " = 'true'"
	j.IsFalse = jtext + " = 'false'"
	j.Container = fmt.Sprintf("substr(%s, 1, 1) IN ('{', '[')", jtext)
	j.Text = fmt.Sprintf("coalesce(%s, CASE WHEN %s THEN %s END)", j.Str, j.Container, jtext)
	return j
}

// timeText formats a TIMESTAMP as CloudTrail writes eventTime.
func (g *sqlGen) timeText(ref string) string {
	if g.duck() {
		return fmt.Sprintf("strftime(make_timestamp(epoch_us(%s)), '%%Y-%%m-%%dT%%H:%%M:%%SZ')", ref)
	}
	return fmt.Sprintf("date_format(%s, '%%Y-%%m-%%dT%%H:%%i:%%sZ')", ref)
}

// Ident renders a dotted column path, each part quoted: "userIdentity"."arn".
func (d SQLDialect) Ident(path string) string { return (&sqlGen{d: d}).ident(path) }

// SQLString renders a SQL string literal.
func SQLString(s string) string { return sqlString(s) }

// SQLNumber renders a number as a SQL DOUBLE literal.
func SQLNumber(f float64) string { return numberSQL(f) }

// Contains is a substring test of the SQL text expression text.
func (d SQLDialect) Contains(text, sub string) string {
	if d == DialectDuckDB {
		return fmt.Sprintf("contains(%s, %s)", text, sqlString(sub))
	}
	return fmt.Sprintf("strpos(%s, %s) > 0", text, sqlString(sub))
}

// RegexpSearch is an unanchored search for the RE2 regex re in text. For
// Athena and Trino, whose regex libraries let ^ and $ match at line
// breaks, ^ and $ become \A and \z.
func (d SQLDialect) RegexpSearch(text, re string) string {
	if d == DialectDuckDB {
		return fmt.Sprintf("regexp_matches(%s, %s)", text, sqlString(re))
	}
	return fmt.Sprintf("regexp_like(%s, %s)", text, sqlString(javaAnchors(re)))
}

// SQLParen wraps a SQL expression in parentheses unless it is one operand
// already.
func SQLParen(s string) string { return paren(s) }
