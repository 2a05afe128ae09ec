package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/detect"
	"github.com/ctq-dev/ctq/pkg/query"
	"github.com/ctq-dev/ctq/pkg/termtext"
)

const countLong = `Prints the metric a CloudWatch metric filter with PATTERN would produce: one row
per --period with the number of matching events (Sum), optionally split --by
one or more fields (one series per combination of their values). With --threshold (e.g. '>=1', '>10') a period is in ALARM when the Sum
over the last --evaluation-periods periods meets it, as a CloudWatch alarm on
the metric would be; ctq then exits with code 4.`

func init() { addCommand(30, "count", newCountCmd) }

type countFlags struct {
	scanFlags
	out         outputFlags
	period      time.Duration
	by          []string
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
	c.Flags().StringSliceVar(&f.by, "by", nil, "split the metric by these comma-separated `FIELDS` (e.g. eventName, or userIdentity.arn,sourceIPAddress)")
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
	metric, err := detect.NewMetric(period)
	if err != nil {
		return usagef("--period: %v", err)
	}
	if evalPeriods < 1 {
		return usagef("--evaluation-periods %d: must be at least 1", evalPeriods)
	}
	var alarm *detect.AlarmSpec
	if threshold != "" {
		th, err := detect.ParseThreshold(threshold)
		if err != nil {
			return usagef("--threshold: %v", err)
		}
		alarm = &detect.AlarmSpec{Threshold: th, EvaluationPeriods: evalPeriods}
	}
	pr, err := prepare(ctx, e, &f.scanFlags, pattern, 0, false)
	if err != nil {
		return err
	}
	bar := newProgress(e, f.out.quiet, -1, false, fmt.Sprintf("counting over %d files", len(pr.snap.Files)))
	_, err = pr.run(ctx, func(m query.Match) error {
		group := ""
		if len(by) > 0 {
			group = groupKey(extractFields(m.Raw, by))
		}
		metric.Add(m.Time, group)
		return nil
	})
	bar.done()
	if err != nil {
		return err
	}
	if n := metric.Untimed(); n > 0 {
		fmt.Fprintf(e.stderr, "warning: %d matching record(s) have no eventTime and are in no period\n", n)
	}
	// The series: every period from the first to the last data point (or
	// the --since/--until window), zero-filled, per group.
	pts, err := metric.Series(pr.opts.Since, pr.opts.Until, alarm)
	if err != nil {
		return usagef("%v", err)
	}
	alarms := 0
	for _, pt := range pts {
		if pt.Alarm {
			alarms++
		}
	}
	switch output {
	case "json":
		enc := json.NewEncoder(e.stdout)
		for _, pt := range pts {
			if err := enc.Encode(countPoint(pt, by)); err != nil {
				return err
			}
		}
	case "table", "csv":
		var maxSum int64
		for _, pt := range pts {
			maxSum = max(maxSum, pt.Sum)
		}
		hdr := []string{"period"}
		hdr = append(hdr, by...)
		hdr = append(hdr, "sum")
		if alarm != nil {
			hdr = append(hdr, "state")
		}
		rows := [][]string{hdr}
		bars := output == "table" && isTerminal(e.stdout) && maxSum > 0
		for _, pt := range pts {
			row := []string{pt.Period.Format(time.RFC3339)}
			for _, g := range groupValues(pt.Group, by) {
				if output == "table" {
					g = tableCell(g)
				} else if isTerminal(e.stdout) {
					g = termtext.Escape(g)
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

// groupKey is the metric group of an event's --by values: the value itself
// for one field, a JSON array of them for several (any value, NUL
// included, splits back exactly).
func groupKey(vals []string) string {
	if len(vals) == 1 {
		return vals[0]
	}
	b, _ := json.Marshal(vals)
	return string(b)
}

// groupValues splits a metric group back into the values of the --by
// fields.
func groupValues(group string, by []string) []string {
	switch len(by) {
	case 0:
		return nil
	case 1:
		return []string{group}
	}
	vals := make([]string, len(by))
	_ = json.Unmarshal([]byte(group), &vals) // groupKey wrote it
	return vals
}

// countJSON is a point of count's JSON output: with --by, the value of
// each field under "by", and with one field also "group" (as before
// several fields were possible).
type countJSON struct {
	Period time.Time         `json:"period"`
	Group  string            `json:"group,omitempty"`
	By     map[string]string `json:"by,omitempty"`
	Sum    int64             `json:"sum"`
	Alarm  bool              `json:"alarm,omitempty"`
}

func countPoint(pt detect.Point, by []string) countJSON {
	out := countJSON{Period: pt.Period, Sum: pt.Sum, Alarm: pt.Alarm}
	if len(by) == 1 {
		out.Group = pt.Group
	}
	if len(by) > 0 {
		out.By = map[string]string{}
		for i, v := range groupValues(pt.Group, by) {
			out.By[by[i]] = v
		}
	}
	return out
}
