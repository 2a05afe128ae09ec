package insights

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Unit is a period unit of bin, datefloor and dateceil.
type Unit uint8

const (
	UnitMillisecond Unit = iota
	UnitSecond
	UnitMinute
	UnitHour
	UnitDay
	UnitWeek
	UnitMonth
	UnitQuarter
	UnitYear
)

// unitNames are the accepted spellings (case-insensitive); multi-letter
// spellings may add an "s" (hrs, mins).
var unitNames = map[string]Unit{
	"ms": UnitMillisecond, "msec": UnitMillisecond, "millisecond": UnitMillisecond,
	"s": UnitSecond, "sec": UnitSecond, "second": UnitSecond,
	"m": UnitMinute, "min": UnitMinute, "minute": UnitMinute,
	"h": UnitHour, "hr": UnitHour, "hour": UnitHour,
	"d": UnitDay, "day": UnitDay,
	"w": UnitWeek, "week": UnitWeek,
	"mo": UnitMonth, "mon": UnitMonth, "month": UnitMonth,
	"q": UnitQuarter, "qtr": UnitQuarter, "quarter": UnitQuarter,
	"y": UnitYear, "yr": UnitYear, "year": UnitYear,
}

// unitMs is the length of the fixed units in milliseconds.
var unitMs = [...]int64{
	UnitMillisecond: 1, UnitSecond: 1000, UnitMinute: 60_000, UnitHour: 3_600_000,
	UnitDay: 86_400_000, UnitWeek: 7 * 86_400_000,
}

// unitCap is CloudWatch's documented maximum count per unit; ctq runs the
// exact period and warns.
var unitCap = map[Unit]int64{UnitMillisecond: 1000, UnitSecond: 60, UnitMinute: 60, UnitHour: 24}

// Duration is a period: N units.
type Duration struct {
	N    int64
	Unit Unit
}

// maxDurationN keeps N·unit inside int64 milliseconds (about 290 years of
// weeks) and months inside the year range time handles.
const maxDurationN = 100_000

// parseDuration parses "5m", "1hrs", "2MO".
func parseDuration(text string) (Duration, error) {
	i := 0
	for i < len(text) && isDigitByte(text[i]) {
		i++
	}
	n, err := strconv.ParseInt(text[:i], 10, 64)
	if err != nil || i == 0 {
		return Duration{}, fmt.Errorf("invalid period %q", text)
	}
	if n <= 0 || n > maxDurationN {
		return Duration{}, fmt.Errorf("period %q out of range: the count must be 1 to %d", text, maxDurationN)
	}
	name := strings.ToLower(text[i:])
	u, ok := unitNames[name]
	if !ok && len(name) > 2 && strings.HasSuffix(name, "s") {
		u, ok = unitNames[name[:len(name)-1]]
	}
	if !ok {
		return Duration{}, fmt.Errorf("unknown period unit %q in %q (ms, s, m, h, d, w, mo, q, y)", text[i:], text)
	}
	return Duration{N: n, Unit: u}, nil
}

// overCap reports a count above CloudWatch's per-unit cap.
func (d Duration) overCap() bool {
	c, ok := unitCap[d.Unit]
	return ok && d.N > c
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// mondayOffsetMs is 1970-01-05T00:00Z, the first Monday after the epoch:
// weeks start on Monday.
const mondayOffsetMs = 4 * 86_400_000

// Floor returns the start of the period that holds ms (UTC). Fixed units
// align to multiples of the period from the epoch, weeks to Mondays, months,
// quarters and years to calendar boundaries counted from 1970-01.
func (d Duration) Floor(ms int64) int64 {
	switch d.Unit {
	case UnitWeek:
		p := d.N * unitMs[UnitWeek]
		return floorDiv(ms-mondayOffsetMs, p)*p + mondayOffsetMs
	case UnitMonth, UnitQuarter, UnitYear:
		t := time.UnixMilli(ms).UTC()
		months := int64(t.Year()-1970)*12 + int64(t.Month()-1)
		step := d.months()
		m := floorDiv(months, step) * step
		return monthStart(m)
	}
	p := d.N * unitMs[d.Unit]
	return floorDiv(ms, p) * p
}

// Ceil returns the end of the period that holds ms; a boundary stays as it
// is.
func (d Duration) Ceil(ms int64) int64 {
	f := d.Floor(ms)
	if f == ms {
		return ms
	}
	switch d.Unit {
	case UnitMonth, UnitQuarter, UnitYear:
		t := time.UnixMilli(f).UTC()
		months := int64(t.Year()-1970)*12 + int64(t.Month()-1)
		return monthStart(months + d.months())
	case UnitWeek:
		return f + d.N*unitMs[UnitWeek]
	}
	return f + d.N*unitMs[d.Unit]
}

func (d Duration) months() int64 {
	switch d.Unit {
	case UnitQuarter:
		return 3 * d.N
	case UnitYear:
		return 12 * d.N
	}
	return d.N
}

// monthStart is the epoch ms of the first day of month m counted from
// 1970-01 (m may be negative).
func monthStart(m int64) int64 {
	y := floorDiv(m, 12)
	mo := m - y*12
	return time.Date(int(1970+y), time.Month(mo+1), 1, 0, 0, 0, 0, time.UTC).UnixMilli()
}
