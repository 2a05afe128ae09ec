package detect_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/detect"
)

func TestMetric_Series(t *testing.T) {
	base := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }
	ge2 := &detect.AlarmSpec{Threshold: detect.Threshold{Op: ">=", Value: 2}, EvaluationPeriods: 2}
	lt1 := &detect.AlarmSpec{Threshold: detect.Threshold{Op: "<", Value: 1}, EvaluationPeriods: 1}
	cases := []struct {
		name         string
		events       []time.Time
		groups       []string // per event; nil: no groups
		since, until time.Time
		alarm        *detect.AlarmSpec
		want         string // "HH:MM group sum [A]" per point
	}{
		{name: "empty", want: ""},
		{name: "zero-filled between data", events: []time.Time{at(1), at(2), at(16)},
			want: "10:00 2, 10:05 0, 10:10 0, 10:15 1"},
		{name: "window", events: []time.Time{at(6)}, since: at(0), until: at(15),
			want: "10:00 0, 10:05 1, 10:10 0"},
		{name: "empty window", since: at(0), want: "10:00 0"},
		{name: "groups", events: []time.Time{at(1), at(6), at(7)}, groups: []string{"b", "a", "b"},
			want: "10:00 a 0, 10:05 a 1, 10:00 b 1, 10:05 b 1"},
		// The first period has no full 2-period window: not evaluated, as in detect.
		{name: "alarm over two periods", events: []time.Time{at(1), at(2), at(6), at(11), at(21)}, alarm: ge2,
			want: "10:00 2, 10:05 1 A, 10:10 1 A, 10:15 0, 10:20 1"},
		{name: "alarm on an empty period", events: []time.Time{at(1), at(11)}, alarm: lt1,
			want: "10:00 1, 10:05 0 A, 10:10 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := detect.NewMetric(5 * time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range c.events {
				g := ""
				if c.groups != nil {
					g = c.groups[i]
				}
				m.Add(e, g)
			}
			m.Add(time.Time{}, "")
			if m.Untimed() != 1 {
				t.Errorf("Untimed = %d, want 1", m.Untimed())
			}
			pts, err := m.Series(c.since, c.until, c.alarm)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pts {
				s := p.Period.Format("15:04")
				if p.Group != "" {
					s += " " + p.Group
				}
				s += fmt.Sprintf(" %d", p.Sum)
				if p.Alarm {
					s += " A"
				}
				got = append(got, s)
			}
			if g := strings.Join(got, ", "); g != c.want {
				t.Errorf("series %s\nwant   %s", g, c.want)
			}
		})
	}
}

func TestNewMetric_BadPeriod(t *testing.T) {
	for _, p := range []time.Duration{0, 500 * time.Millisecond, 1500 * time.Millisecond} {
		if _, err := detect.NewMetric(p); err == nil {
			t.Errorf("NewMetric(%s): no error", p)
		}
	}
	m, _ := detect.NewMetric(time.Second)
	m.Add(time.Unix(0, 0), "")
	if _, err := m.Series(time.Time{}, time.Unix(0, 0).Add(1000000*time.Second), nil); err == nil {
		t.Error("a series over a million periods: no error")
	}
}

// TestEvaluate_SameAlarmsAsMetric checks that detect and count share one
// alarm semantics, and that each rule's summary holds the totals of its
// periods: the alarm periods of Evaluate are the alarm points of the
// metric's series over the same events, the summary's hits are the series'
// sum plus the untimed matches, and its alarm figures sum its alarms.
func TestEvaluate_SameAlarmsAsMetric(t *testing.T) {
	base := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	var recs []map[string]any
	var times []time.Time
	// Bursts and gaps of denied calls; minute offsets.
	for i, min := range []int{0, 1, 2, 7, 13, 14, 31, 32, 33, 34, 61, 90, 91} {
		at := base.Add(time.Duration(min)*time.Minute + time.Duration(i)*time.Second)
		times = append(times, at)
		recs = append(recs, record(fmt.Sprintf("e%02d", i), at, ev{"errorCode": "AccessDenied"}))
	}
	recs = append(recs, record("untimed", base, ev{"errorCode": "AccessDenied", "eventTime": nil}))
	recs = append(recs, record("other", base, ev{}))
	lake, snap := lakeOf(t, recs)
	var rules []*detect.Rule
	specs := []detect.AlarmSpec{
		{Threshold: detect.Threshold{Op: ">=", Value: 1}, EvaluationPeriods: 1},
		{Threshold: detect.Threshold{Op: ">=", Value: 3}, EvaluationPeriods: 2},
		{Threshold: detect.Threshold{Op: ">", Value: 2}, EvaluationPeriods: 4},
		{Threshold: detect.Threshold{Op: "<", Value: 1}, EvaluationPeriods: 3},
	}
	for i, sp := range specs {
		r := &detect.Rule{Name: fmt.Sprintf("r%d", i), Pattern: `{ $.errorCode = "AccessDenied" }`,
			Period: 5 * time.Minute, Threshold: sp.Threshold, EvaluationPeriods: sp.EvaluationPeriods}
		if err := r.Compile(); err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
	}
	results, _, err := detect.Evaluate(context.Background(), lake, snap, rules, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, res := range results {
		m, _ := detect.NewMetric(rules[i].Period)
		for _, at := range times {
			m.Add(at, "")
		}
		pts, err := m.Series(time.Time{}, time.Time{}, &specs[i])
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		var total int64
		for _, p := range pts {
			total += p.Sum
			if p.Alarm {
				want = append(want, p.Period.Format("15:04"))
			}
		}
		var got []string
		var alarmSum int64
		for _, a := range res.Alarms {
			got = append(got, a.Period.Format("15:04"))
			alarmSum += a.Sum
		}
		if strings.Join(got, " ") != strings.Join(want, " ") || len(want) == 0 {
			t.Errorf("%s (%s over %d): detect alarms in %v, count in %v", rules[i].Name, specs[i].Threshold, specs[i].EvaluationPeriods, got, want)
		}
		s := res.Summary()
		if s.Hits != total+1 || s.Untimed != 1 || s.AlarmPeriods != len(res.Alarms) || s.AlarmSum != alarmSum {
			t.Errorf("%s: summary %+v; want %d hits (1 untimed), %d alarm periods summing %d", rules[i].Name, s, total+1, len(res.Alarms), alarmSum)
		}
		if !s.First.Equal(times[0]) || !s.Last.Equal(times[len(times)-1]) {
			t.Errorf("%s: summary first %s last %s; want %s, %s", rules[i].Name, s.First, s.Last, times[0], times[len(times)-1])
		}
		if specs[i].EvaluationPeriods == 1 && specs[i].Threshold.Value == 1 && s.AlarmSum != total {
			t.Errorf("%s: alarm sums add to %d, the periods hold %d", rules[i].Name, s.AlarmSum, total)
		}
	}
}
