package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ctq-dev/ctq/pkg/query"
	"github.com/spf13/cobra"
)

const countLong = `Prints the metric a CloudWatch metric filter with PATTERN would produce: one row
per --period with the number of matching events (Sum), optionally split --by a
field. With --threshold (e.g. '>=1', '>10') a period is in ALARM when the Sum
over the last --evaluation-periods periods meets it, as a CloudWatch alarm on
the metric would be; ctq then exits with code 4.`

func init() { addCommand(30, newCountCmd) }

type countFlags struct {
	scanFlags
	out         outputFlags
	period      time.Duration
	by          string
	threshold   string
	evalPeriods int
}

func newCountCmd(e *env) *cobra.Command {
	var f countFlags
	c := &cobra.Command{
		Use:     "count PATTERN",
		Short:   "the metric a metric filter would produce, per period, with alarm thresholds",
		Long:    countLong,
		GroupID: "read",
		Args:    exactArgs(1, "PATTERN (quote it)"),
		RunE: func(c *cobra.Command, args []string) error {
			return runCount(c.Context(), e, &f, args[0])
		},
	}
	f.register(c, e)
	f.out.register(c, "", "table", "json", "csv")
	durationFlag(c, &f.period, "period", 5*time.Minute, "metric period (whole seconds)")
	c.Flags().StringVar(&f.by, "by", "", "split the metric by this field (e.g. eventName, userIdentity.arn)")
	c.Flags().StringVar(&f.threshold, "threshold", "", "alarm threshold: an operator and a number, e.g. '>=1'")
	c.Flags().IntVar(&f.evalPeriods, "evaluation-periods", 1, "periods summed for the alarm")
	_ = c.RegisterFlagCompletionFunc("by", completeFields)
	return c
}

func runCount(ctx context.Context, e *env, f *countFlags, pattern string) error {
	period, by, threshold, evalPeriods := f.period, f.by, f.threshold, f.evalPeriods
	output, err := f.out.format(e)
	if err != nil {
		return err
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
	pr, err := prepare(ctx, e, &f.scanFlags, pattern, 0, false)
	if err != nil {
		return err
	}
	bar := newProgress(e, f.out.quiet, -1, false, fmt.Sprintf("counting over %d files", len(pr.snap.Files)))
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
	bar.done()
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
	}
	if alarms > 0 {
		return alarmf("%d period(s) in ALARM", alarms)
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
