package insights

import (
	"fmt"

	"github.com/ctq-dev/ctq/pkg/query"
)

// Translation of the sort order and of time buckets (see translate.go).

func sqlNumber(f float64) string { return query.SQLNumber(f) }

// sortTerms are the ORDER BY terms that sort v in the order of spec §4.7
// (compare.go): texts first, chunk by chunk with digit runs compared by
// length and then value; then timestamps; then number values (numbers
// and digit strings) numerically, ties by text; missing values last in
// either direction.
func (t *translator) sortTerms(v sqlVal, desc bool) []string {
	dir := " ASC NULLS LAST"
	if desc {
		dir = " DESC NULLS LAST"
	}
	var text, digits string // digits: v is a number value (a number or a string of digits)
	switch v.kind {
	case sNull:
		return nil
	case sNum, sTime, sBool:
		return []string{v.sql + dir} // false sorts before true, as their texts
	case sStr:
		text = v.sql
		digits = t.fullMatch(text, "[0-9]+")
	case sDyn:
		text = v.dyn.text
		digits = fmt.Sprintf("(%s OR (%s AND %s))", v.dyn.isNum, v.dyn.isStr, t.fullMatch(text, "[0-9]+"))
	}
	// digits is NULL for a missing value, FALSE (first) for other texts.
	return []string{
		digits + dir,
		fmt.Sprintf("CASE WHEN %s THEN TRY_CAST(%s AS DOUBLE) END", digits, text) + dir,
		fmt.Sprintf("CASE WHEN NOT %s THEN %s END", digits, t.chunks(text)) + dir,
		text + dir,
	}
}

// chunks splits a text into runs of digits and of other characters, each
// digit run written as '0', its length in ten digits and the digits, so
// that the lists compare element by element as compareText does.
func (t *translator) chunks(text string) string {
	const re = `'[0-9]+|[^0-9]+'`
	if t.duck() {
		return fmt.Sprintf("list_transform(regexp_extract_all(%s, %s), ctq_c -> CASE WHEN regexp_full_match(ctq_c, '[0-9]+') THEN '0' || lpad(CAST(length(ctq_c) AS VARCHAR), 10, '0') || ctq_c ELSE ctq_c END)", text, re)
	}
	return fmt.Sprintf("transform(regexp_extract_all(%s, %s), ctq_c -> IF(regexp_like(ctq_c, '^[0-9]'), '0' || lpad(CAST(length(ctq_c) AS VARCHAR), 10, '0') || ctq_c, ctq_c))", text, re)
}

// msToTimestamp turns epoch milliseconds into a TIMESTAMP (UTC).
func (t *translator) msToTimestamp(ms string) string {
	if t.duck() {
		return fmt.Sprintf("epoch_ms(%s)", ms)
	}
	return fmt.Sprintf("date_add('millisecond', %s, TIMESTAMP '1970-01-01 00:00:00.000')", ms)
}

// floorTime is Duration.Floor over epoch milliseconds: multiples of the
// period from the epoch, weeks from Monday 1970-01-05, months, quarters
// and years counted from 1970-01.
func (t *translator) floorTime(ms string, d Duration) string {
	switch d.Unit {
	case UnitMonth, UnitQuarter, UnitYear:
		return t.monthStart(t.floorMonths(ms, d))
	case UnitWeek:
		p := d.N * unitMs[UnitWeek]
		return fmt.Sprintf("(%s - (((%s - %d) %% %d) + %d) %% %d)", ms, ms, mondayOffsetMs, p, p, p)
	}
	p := d.N * unitMs[d.Unit]
	return fmt.Sprintf("(%s - ((%s %% %d) + %d) %% %d)", ms, ms, p, p, p)
}

// ceilTime is Duration.Ceil: the end of the period, a boundary unchanged.
func (t *translator) ceilTime(ms string, d Duration) string {
	f := t.floorTime(ms, d)
	var next string
	switch d.Unit {
	case UnitMonth, UnitQuarter, UnitYear:
		next = t.monthStart(fmt.Sprintf("(%s + %d)", t.floorMonths(ms, d), d.months()))
	case UnitWeek:
		next = fmt.Sprintf("(%s + %d)", f, d.N*unitMs[UnitWeek])
	default:
		next = fmt.Sprintf("(%s + %d)", f, d.N*unitMs[d.Unit])
	}
	return fmt.Sprintf("CASE WHEN %s = %s THEN %s ELSE %s END", f, ms, ms, next)
}

// floorMonths is the month of ms counted from 1970-01, floored to the
// period.
func (t *translator) floorMonths(ms string, d Duration) string {
	ts := t.msToTimestamp(ms)
	m := fmt.Sprintf("((year(%s) - 1970) * 12 + month(%s) - 1)", ts, ts)
	step := d.months()
	return fmt.Sprintf("(%s - ((%s %% %d) + %d) %% %d)", m, m, step, step, step)
}

// monthStart is the epoch milliseconds of month m counted from 1970-01.
func (t *translator) monthStart(m string) string {
	if t.duck() {
		return fmt.Sprintf("epoch_ms(TIMESTAMP '1970-01-01 00:00:00' + to_months(CAST(%s AS INTEGER)))", m)
	}
	return fmt.Sprintf("date_diff('millisecond', TIMESTAMP '1970-01-01 00:00:00', date_add('month', %s, TIMESTAMP '1970-01-01 00:00:00'))", m)
}
