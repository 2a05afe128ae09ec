package insights

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ctq-dev/ctq/pkg/termtext"
)

// Result is the output of a query: named columns and typed rows.
type Result struct {
	// Columns are the output column names: an alias, or the item's text
	// such as count(*) or bin(5m).
	Columns []string
	// Rows hold one Value per column; a streamed result (Config.Stream)
	// leaves them nil: Len and Each read its rows.
	Rows [][]Value
	// Total is the number of result rows before Cap.
	Total int
	// Warnings are problems that did not stop the query.
	Warnings []string
	// ScanAggregated reports that the lake scan computed the first stats
	// (Run's fast path) rather than the reference evaluator alone.
	ScanAggregated bool
	// stream, when set, makes row i of a streamed result in dst (one
	// Value per column, null on entry); streamLen rows.
	stream    func(i int, dst []Value)
	streamLen int
}

// Len returns the number of rows.
func (r *Result) Len() int {
	if r.stream != nil {
		return r.streamLen
	}
	return len(r.Rows)
}

// Each calls fn with each row in order, stopping at the first error; vals
// is valid only during the call and must not be modified.
func (r *Result) Each(fn func(vals []Value) error) error {
	if r.stream == nil {
		for _, vals := range r.Rows {
			if err := fn(vals); err != nil {
				return err
			}
		}
		return nil
	}
	vals := make([]Value, len(r.Columns))
	for i := range r.streamLen {
		clear(vals)
		r.stream(i, vals)
		if err := fn(vals); err != nil {
			return err
		}
	}
	return nil
}

// DefaultMaxRows is the row cap of a query without limit (spec §2).
const DefaultMaxRows = 10_000

// Cap keeps at most maxRows rows (0: all) and reports whether rows were
// dropped; Total keeps the number before the cap.
func (r *Result) Cap(maxRows int) bool {
	if maxRows <= 0 || r.Len() <= maxRows {
		return false
	}
	if r.stream != nil {
		r.streamLen = maxRows
	} else {
		r.Rows = r.Rows[:maxRows]
	}
	return true
}

// jsonTimeLayout is RFC 3339 in UTC with milliseconds.
const jsonTimeLayout = "2006-01-02T15:04:05.000Z07:00"

func rfc3339(ms int64) string { return time.UnixMilli(ms).UTC().Format(jsonTimeLayout) }

// WriteJSON writes one JSON object per row and line (JSON Lines). Keys are
// the column names in column order; numbers are JSON numbers (null when not
// finite), timestamps RFC 3339 UTC strings, maps and lists JSON values,
// nulls null.
func WriteJSON(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w)
	keys := make([][]byte, len(r.Columns))
	for i, c := range r.Columns {
		keys[i], _ = json.Marshal(c)
	}
	var line []byte
	err := r.Each(func(vals []Value) error {
		line = append(line[:0], '{')
		for i, v := range vals {
			if i > 0 {
				line = append(line, ',')
			}
			line = append(line, keys[i]...)
			line = append(line, ':')
			line = appendJSONValue(line, v)
		}
		line = append(line, '}', '\n')
		_, err := bw.Write(line)
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

func appendJSONValue(dst []byte, v Value) []byte {
	switch v.Kind {
	case KindNumber:
		if math.IsNaN(v.Num) || math.IsInf(v.Num, 0) {
			return append(dst, "null"...)
		}
		if v.Num == math.Trunc(v.Num) && math.Abs(v.Num) < 1e15 && !math.Signbit(v.Num) {
			return strconv.AppendInt(dst, int64(v.Num), 10) // counts
		}
		return append(dst, formatNumber(v.Num)...) // digits, not 1e+06, below 1e21
	case KindBool:
		return strconv.AppendBool(dst, v.Num != 0)
	case KindTime:
		dst = time.UnixMilli(v.Ms).UTC().AppendFormat(append(dst, '"'), jsonTimeLayout)
		return append(dst, '"')
	case KindString:
		return appendJSONString(dst, v.Str)
	case KindMap, KindList:
		return append(dst, compactJSON(v.Obj)...)
	}
	return append(dst, "null"...)
}

// appendJSONString appends s as encoding/json writes it: printable ASCII
// other than the characters it escapes goes as it is, anything else
// through encoding/json.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	return append(append(append(dst, '"'), s...), '"')
}

// WriteCSV writes a header line of column names and one line per row.
// Timestamps are RFC 3339 UTC, nulls empty, maps and lists compact JSON.
func WriteCSV(w io.Writer, r *Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(r.Columns); err != nil {
		return err
	}
	rec := make([]string, len(r.Columns))
	err := r.Each(func(vals []Value) error {
		for i, v := range vals {
			if v.Kind == KindTime {
				rec[i] = rfc3339(v.Ms)
			} else {
				rec[i] = v.Text()
			}
		}
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// TableOptions shape WriteTable.
type TableOptions struct {
	// Bars adds a bar chart column beside a time series: when the first
	// column holds timestamps (stats … by bin(…)) and the last column
	// numbers, each row gets a bar proportional to its number.
	Bars bool
	// BarWidth is the width of the longest bar (default 30).
	BarWidth int
}

// WriteTable writes an aligned text table: a header, then one line per
// row; numbers right-aligned, timestamps as YYYY-MM-DD HH:MM:SS.mmm UTC,
// nulls empty. Control characters in values are escaped (\n, \x1b), so
// values from logs cannot drive a terminal.
func WriteTable(w io.Writer, r *Result, opts TableOptions) error {
	if r.stream != nil {
		// Widths need every row: make them.
		m := *r
		m.stream, m.Rows = nil, make([][]Value, 0, r.Len())
		_ = r.Each(func(vals []Value) error {
			m.Rows = append(m.Rows, slices.Clone(vals))
			return nil
		})
		r = &m
	}
	cells := make([][]string, len(r.Rows))
	widths := make([]int, len(r.Columns))
	right := make([]bool, len(r.Columns))
	for i, c := range r.Columns {
		widths[i] = utf8.RuneCountInString(termtext.Escape(c))
		right[i] = true
	}
	for ri, vals := range r.Rows {
		cells[ri] = make([]string, len(vals))
		for i, v := range vals {
			s := termtext.Escape(v.Text())
			cells[ri][i] = s
			widths[i] = max(widths[i], utf8.RuneCountInString(s))
			if v.Kind != KindNumber && v.Kind != KindNull {
				right[i] = false
			}
		}
	}
	bars := opts.Bars && barsApply(r)
	width := opts.BarWidth
	if width <= 0 {
		width = 30
	}
	var maxN float64
	if bars {
		for _, vals := range r.Rows {
			maxN = max(maxN, vals[len(vals)-1].Num)
		}
	}
	bw := bufio.NewWriter(w)
	line := func(vals []string, bar string) {
		var b strings.Builder
		for i, s := range vals {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(s))
			if right[i] {
				b.WriteString(pad + s)
			} else if i < len(vals)-1 || bar != "" {
				b.WriteString(s + pad)
			} else {
				b.WriteString(s)
			}
		}
		if bar != "" {
			b.WriteString("  " + bar)
		}
		bw.WriteString(strings.TrimRight(b.String(), " ") + "\n")
	}
	header := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		header[i] = termtext.Escape(c)
	}
	line(header, "")
	for ri, vals := range r.Rows {
		bar := ""
		if bars && maxN > 0 {
			n := vals[len(vals)-1].Num
			bar = strings.Repeat("█", int(math.Round(n/maxN*float64(width))))
		}
		line(cells[ri], bar)
	}
	return bw.Flush()
}

// barsApply reports a time series: timestamps in the first column and
// non-negative numbers in the last.
func barsApply(r *Result) bool {
	if len(r.Columns) < 2 || len(r.Rows) == 0 {
		return false
	}
	for _, vals := range r.Rows {
		if vals[0].Kind != KindTime {
			return false
		}
		last := vals[len(vals)-1]
		if last.Kind != KindNumber || last.Num < 0 || math.IsNaN(last.Num) || math.IsInf(last.Num, 0) {
			return false
		}
	}
	return true
}
