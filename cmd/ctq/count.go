package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ctq-dev/ctq/pkg/query"
)

const countUsage = `ctq count PATTERN [flags]

Prints the metric a CloudWatch metric filter with PATTERN would produce: one row
per --period with the number of matching events (Sum), optionally split --by a
field. With --threshold (e.g. '>=1', '>10') a period is in ALARM when the Sum
over the last --evaluation-periods periods meets it, as a CloudWatch alarm on
the metric would be; ctq then exits with code 4.`

// exitAlarm is returned when `count --threshold` finds an alarm period.
const exitAlarm = 4

type alarmError struct{ n int }

func (e *alarmError) Error() string { return fmt.Sprintf("%d period(s) in ALARM", e.n) }

func cmdCount(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("count", flag.ContinueOnError)
	var q queryFlags
	q.register(fs)
	var period time.Duration
	var by, threshold string
	var evalPeriods int
	fs.DurationVar(&period, "period", 5*time.Minute, "metric period")
	fs.StringVar(&by, "by", "", "split the metric by this field (e.g. eventName, userIdentity.arn)")
	fs.StringVar(&threshold, "threshold", "", "alarm threshold: an operator and a number, e.g. '>=1'")
	fs.IntVar(&evalPeriods, "evaluation-periods", 1, "periods summed for the alarm")
	pattern, err := parseCommand(e, fs, args, countUsage)
	if err != nil {
		return err
	}
	if q.count || q.limit != 0 || q.fields != "" {
		return usagef("count: --count, --limit and --fields do not apply (count prints sums per period)")
	}
	if period < time.Second || period%time.Second != 0 {
		return usagef("--period %s: must be a whole number of seconds, at least 1s", period)
	}
	if evalPeriods < 1 {
		return usagef("--evaluation-periods %d: must be at least 1", evalPeriods)
	}
	var alarm func(float64) bool
	if threshold != "" {
		if alarm, err = parseThreshold(threshold); err != nil {
			return usagef("--threshold: %v", err)
		}
	}
	pr, err := prepare(ctx, e, &q, pattern, false)
	if err != nil {
		return err
	}
	opts := pr.opts
	type key struct {
		t     int64
		group string
	}
	sums := map[key]int64{}
	groups := map[string]bool{}
	untimed := 0
	_, err = pr.run(ctx, func(m query.Match) error {
		if m.Time.IsZero() {
			untimed++ // a record without a parseable eventTime has no period
			return nil
		}
		k := key{t: m.Time.Truncate(period).Unix()}
		if by != "" {
			k.group = extractFields(m.Raw, []string{by})[0]
		}
		groups[k.group] = true
		sums[k]++
		return nil
	})
	if err != nil {
		return err
	}
	// Build the series: every period from the first to the last data point
	// (or the --since/--until window), zero-filled, per group.
	var lo, hi int64
	first := true
	for k := range sums {
		if first || k.t < lo {
			lo = k.t
		}
		if first || k.t > hi {
			hi = k.t
		}
		first = false
	}
	if !opts.Since.IsZero() {
		lo = opts.Since.Truncate(period).Unix()
		first = false
	}
	if !opts.Until.IsZero() {
		hi = opts.Until.Add(-time.Nanosecond).Truncate(period).Unix()
	}
	if untimed > 0 {
		fmt.Fprintf(e.stderr, "warning: %d matching record(s) have no eventTime and are in no period\n", untimed)
	}
	// maxPoints bounds the zero-filled series (about a year of 1-minute periods).
	const maxPoints = 600000
	if !first && (hi-lo)/int64(period/time.Second) > maxPoints {
		return usagef("the series would have %d periods: use a longer --period or narrow --since/--until", (hi-lo)/int64(period/time.Second))
	}
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	if len(names) == 0 {
		names = []string{""}
	}
	type point struct {
		Period time.Time `json:"period"`
		Group  string    `json:"group,omitempty"`
		Sum    int64     `json:"sum"`
		Alarm  bool      `json:"alarm,omitempty"`
	}
	var pts []point
	alarms := 0
	step := int64(period / time.Second)
	if !first {
		for _, g := range names {
			var window []int64
			for t := lo; t <= hi; t += step {
				s := sums[key{t, g}]
				window = append(window, s)
				if len(window) > evalPeriods {
					window = window[1:]
				}
				pt := point{Period: time.Unix(t, 0).UTC(), Group: g, Sum: s}
				if alarm != nil && len(window) == evalPeriods {
					var tot int64
					for _, v := range window {
						tot += v
					}
					if alarm(float64(tot)) {
						pt.Alarm = true
						alarms++
					}
				}
				pts = append(pts, pt)
			}
		}
	}
	output := q.output
	if output == "" {
		output = "json"
		if isTerminal(e.stdout) {
			output = "table"
		}
	}
	switch output {
	case "json":
		enc := json.NewEncoder(e.stdout)
		for _, pt := range pts {
			if err := enc.Encode(pt); err != nil {
				return err
			}
		}
	case "table", "csv":
		var maxSum int64
		for _, pt := range pts {
			maxSum = max(maxSum, pt.Sum)
		}
		hdr := []string{"period"}
		if by != "" {
			hdr = append(hdr, by)
		}
		hdr = append(hdr, "sum")
		if alarm != nil {
			hdr = append(hdr, "state")
		}
		rows := [][]string{hdr}
		bars := output == "table" && isTerminal(e.stdout) && maxSum > 0
		for _, pt := range pts {
			row := []string{pt.Period.Format(time.RFC3339)}
			if by != "" {
				g := pt.Group
				if output == "table" {
					g = tableCell(g)
				} else if isTerminal(e.stdout) {
					g = sanitize(g)
				}
				row = append(row, g)
			}
			row = append(row, strconv.FormatInt(pt.Sum, 10))
			if alarm != nil {
				state := "OK"
				if pt.Alarm {
					state = "ALARM"
				}
				row = append(row, state)
			}
			if bars {
				row = append(row, strings.Repeat("█", int((pt.Sum*30+maxSum-1)/maxSum)))
			}
			rows = append(rows, row)
		}
		if output == "csv" {
			cw := csv.NewWriter(e.stdout)
			if err := cw.WriteAll(rows); err != nil {
				return err
			}
		} else {
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			for _, r := range rows {
				fmt.Fprintln(tw, strings.Join(r, "\t"))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
	default:
		return usagef("--output %q: want json, table or csv", output)
	}
	if alarms > 0 {
		return &alarmError{n: alarms}
	}
	return nil
}

// parseThreshold parses '>=1', '>10', '<5', '=0'.
func parseThreshold(s string) (func(float64) bool, error) {
	s = strings.TrimSpace(s)
	for _, op := range []string{">=", "<=", ">", "<", "="} {
		if rest, ok := strings.CutPrefix(s, op); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				return nil, fmt.Errorf("%q: want an operator (>=, >, <=, <, =) and a number", s)
			}
			switch op {
			case ">=":
				return func(x float64) bool { return x >= v }, nil
			case "<=":
				return func(x float64) bool { return x <= v }, nil
			case ">":
				return func(x float64) bool { return x > v }, nil
			case "<":
				return func(x float64) bool { return x < v }, nil
			default:
				return func(x float64) bool { return x == v }, nil
			}
		}
	}
	return nil, fmt.Errorf("%q: want an operator (>=, >, <=, <, =) and a number", s)
}
