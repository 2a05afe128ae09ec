package detect

import (
	"fmt"
	"sort"
	"time"
)

// A metric is what a CloudWatch metric filter produces: the number of
// matching events per period. An alarm on it is in ALARM in a period when
// the sum over the window of EvaluationPeriods periods ending with it meets
// the threshold. `ctq count` prints a metric's series and `ctq detect`
// evaluates one per rule; both count and alarm with the code of this file.

// MaxSeriesPeriods bounds a zero-filled series (about a year of 1-minute
// periods).
const MaxSeriesPeriods = 600000

// AlarmSpec is an alarm on a metric.
type AlarmSpec struct {
	Threshold         Threshold
	EvaluationPeriods int // must be at least 1
}

// Metric counts matching events per period, optionally split by a group
// value (one series per group, as a metric filter's dimension). The zero
// value is not usable: make one with NewMetric. Not safe for concurrent use.
type Metric struct {
	period  time.Duration
	untimed int64
	counts  map[string]map[int64]int64 // group -> period start (Unix s) -> matches
	// last is the counts of lastGroup, the group of the previous event.
	last      map[int64]int64
	lastGroup string
}

// NewMetric returns an empty metric with this period, which must be a whole
// number of seconds, at least 1s.
func NewMetric(period time.Duration) (*Metric, error) {
	if period < time.Second || period%time.Second != 0 {
		return nil, fmt.Errorf("period %s: must be a whole number of seconds, at least 1s", period)
	}
	return &Metric{period: period, counts: map[string]map[int64]int64{}}, nil
}

// Add counts one event at t in group ("" without groups). An event without
// a time (t zero) is in no period: it is counted by Untimed only.
func (m *Metric) Add(t time.Time, group string) {
	if t.IsZero() {
		m.untimed++
		return
	}
	m.addAt(m.periodOf(t), group)
}

// periodOf returns the start (Unix s) of the period holding t.
func (m *Metric) periodOf(t time.Time) int64 { return t.Truncate(m.period).Unix() }

// addAt counts one event in the period starting at p (Unix s).
func (m *Metric) addAt(p int64, group string) {
	c := m.last
	if c == nil || m.lastGroup != group {
		if c = m.counts[group]; c == nil {
			c = map[int64]int64{}
			m.counts[group] = c
		}
		m.last, m.lastGroup = c, group
	}
	c[p]++
}

// Untimed returns how many events had no time.
func (m *Metric) Untimed() int64 { return m.untimed }

// Point is one period of a metric's series.
type Point struct {
	Period time.Time `json:"period"` // start of the period
	Group  string    `json:"group,omitempty"`
	Sum    int64     `json:"sum"`
	Alarm  bool      `json:"alarm,omitempty"` // the window ending here meets the alarm's threshold
}

// Series returns, per group in group order, every period from the first to
// the last one with data, zero-filled; since and until (when not zero)
// widen or narrow that range to the periods of [since, until). With an
// alarm, each point whose window meets the threshold is marked (see
// windowEvaluated for the first periods of the range). A metric without
// data has no points. It fails if the series would exceed MaxSeriesPeriods.
func (m *Metric) Series(since, until time.Time, alarm *AlarmSpec) ([]Point, error) {
	step := int64(m.period / time.Second)
	lo, hi, ok := seriesRange(m.period, m.counts, since, until)
	if !ok {
		return nil, nil
	}
	if n := (hi - lo) / step; n > MaxSeriesPeriods {
		return nil, fmt.Errorf("the series would have %d periods (at most %d): use a longer period or a narrower window", n, MaxSeriesPeriods)
	}
	groups := make([]string, 0, len(m.counts))
	for g := range m.counts {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	if len(groups) == 0 {
		groups = []string{""}
	}
	var pts []Point
	for _, g := range groups {
		c := m.counts[g]
		for t := lo; t <= hi; t += step {
			pt := Point{Period: time.Unix(t, 0).UTC(), Group: g, Sum: c[t]}
			if alarm != nil && windowEvaluated(t, lo, step, alarm.EvaluationPeriods) {
				pt.Alarm = alarm.Threshold.Met(float64(windowSum(c, nil, t, step, alarm.EvaluationPeriods)))
			}
			pts = append(pts, pt)
		}
	}
	return pts, nil
}

// seriesRange returns the first and last period start (Unix s) of a series:
// since and until when given, else the first and last period with data in
// any of counts. ok is false when neither gives a start.
func seriesRange(period time.Duration, counts map[string]map[int64]int64, since, until time.Time) (lo, hi int64, ok bool) {
	first := true
	for _, c := range counts {
		for t := range c {
			if first || t < lo {
				lo = t
			}
			if first || t > hi {
				hi = t
			}
			first = false
		}
	}
	if !since.IsZero() {
		lo = since.Truncate(period).Unix()
		if first {
			hi = lo
		}
		first = false
	}
	if first {
		return 0, 0, false
	}
	if !until.IsZero() {
		hi = until.Add(-time.Nanosecond).Truncate(period).Unix()
	}
	return lo, hi, true
}

// windowSum returns the sum of counts and prior (may be nil) over the window
// of periods periods ending with the period starting at t.
func windowSum(counts, prior map[int64]int64, t, step int64, periods int) int64 {
	var sum int64
	for k := int64(0); k < int64(periods); k++ {
		sum += counts[t-k*step] + prior[t-k*step]
	}
	return sum
}

// windowEvaluated reports whether the window ending with period t is
// evaluated in a zero-filled series starting at lo: the first periods-1
// periods have no full window within the series, and are not (an empty
// window must not alarm on periods that were never looked at).
func windowEvaluated(t, lo, step int64, periods int) bool {
	return t >= lo+int64(periods-1)*step
}
