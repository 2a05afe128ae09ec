package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/insights"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/query"
	"github.com/ctq-dev/ctq/pkg/termtext"
)

const insightsLong = `Runs a CloudWatch Logs Insights query over the lake's CloudTrail records:
fields, filter, stats (count, count_distinct, min, max, sum, avg, ...,
by fields and bin(PERIOD)), sort, limit, dedup and display, and { ... } stages
with filter-pattern semantics. AWS's CloudTrail sample queries run unchanged:

  ctq insights 'filter ispresent(errorCode) | stats count(*) as errors by userIdentity.arn, errorCode | sort errors desc | limit 20' --since 7d
  ctq insights 'stats count(*) by eventSource, eventName, awsRegion'
  ctq insights '{ $.eventName = "ConsoleLogin" } | stats count(*) by bin(1d), userIdentity.arn'

Output: a table on a terminal (numbers right-aligned, a bar beside a
'stats ... by bin(...)' series), JSON Lines when piped (one object per row,
keys are the column names), or CSV with a header. A query without limit
returns at most --max-rows rows and says on stderr how many there were.
docs/LANGUAGE.md has the language.`

func init() { addCommand(32, "insights", newInsightsCmd) }

// insightsFlags are the flags of insights and top: a lake scan and a table
// of rows.
type insightsFlags struct {
	scanFlags
	out       outputFlags
	maxRows   int
	maxGroups int
}

func (f *insightsFlags) register(c *cobra.Command, e *env) {
	f.scanFlags.register(c, e)
	f.out.register(c, "", "table", "json", "csv")
	c.Flags().IntVar(&f.maxGroups, "max-groups", insights.DefaultMaxGroups, "groups one stats command may make before the query stops with an error (memory stays bounded)")
}

func newInsightsCmd(e *env) *cobra.Command {
	var f insightsFlags
	c := &cobra.Command{
		Use:     "insights QUERY",
		Short:   "run a CloudWatch Logs Insights query (fields, filter, stats ... by, sort, limit)",
		Long:    insightsLong,
		GroupID: "read",
		Args:    exactArgs(1, "QUERY (quote it)"),
		RunE: func(c *cobra.Command, args []string) error {
			q, err := parseInsights(e, args[0])
			if err != nil {
				return err
			}
			return runInsights(c.Context(), e, &f, q)
		},
	}
	f.register(c, e)
	c.Flags().IntVar(&f.maxRows, "max-rows", insights.DefaultMaxRows, "rows printed of a query without limit (0: all); a notice on stderr says how many there were")
	return c
}

// parseInsights parses a query and reports syntax errors with a caret.
func parseInsights(e *env, text string) (*insights.Query, error) {
	q, err := insights.Parse(text)
	if err != nil {
		var se *insights.SyntaxError
		if errors.As(err, &se) {
			return nil, usagef("malformed query:\n%s", se.Caret())
		}
		return nil, usagef("malformed query: %v", err)
	}
	for _, w := range q.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", termtext.Escape(w.Msg))
	}
	return q, nil
}

// runInsights runs q over the lake the flags select and prints the rows.
func runInsights(ctx context.Context, e *env, f *insightsFlags, q *insights.Query) error {
	output, err := f.out.format(e)
	if err != nil {
		return err
	}
	if f.maxRows < 0 {
		return usagef("--max-rows %d: must be 0 (no cap) or more", f.maxRows)
	}
	if f.maxGroups < 1 {
		return usagef("--max-groups %d: must be at least 1", f.maxGroups)
	}
	if e.getenv("GOMEMLIMIT") == "" {
		// A high-cardinality stats keeps each worker's group table live
		// (about 130 MiB for 670k groups with a distinct count) while the
		// scan makes garbage at the same pace; a lower soft limit than the
		// default collects that garbage sooner (measured: peak RSS 280 ->
		// 225 MiB, CPU unchanged); small aggregations never reach it.
		debug.SetMemoryLimit(200 << 20)
	}
	opts, lake, snap, err := f.openScan(ctx, e)
	if err != nil {
		return err
	}
	bar := newProgress(e, f.out.quiet, -1, false, fmt.Sprintf("scanning %d files", len(snap.Files)))
	res, err := insights.Run(ctx, insights.Config{
		Lake: lake, Snapshot: snap, Since: opts.Since, Until: opts.Until,
		Accounts: opts.Accounts, Regions: opts.Regions, Sources: opts.Sources,
		MaxRows: f.maxRows, MaxGroups: f.maxGroups, Workers: opts.Workers, Stream: true,
	}, q)
	bar.done()
	if err != nil {
		if errors.Is(err, insights.ErrTooManyGroups) {
			return fmt.Errorf("%w (--max-groups %d; each group takes 100-300 bytes when the scan computes the stats, up to about 1 KiB otherwise)", err, f.maxGroups)
		}
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", termtext.Escape(w))
	}
	switch output {
	case "json":
		err = insights.WriteJSON(e.stdout, res)
	case "csv":
		err = writeCSV(e, res)
	default:
		err = insights.WriteTable(e.stdout, res, insights.TableOptions{Bars: true})
	}
	if err != nil {
		return err
	}
	if res.Total > res.Len() {
		fmt.Fprintf(e.stderr, "showing the first %d of %d rows; --max-rows N changes the cap, --max-rows 0 prints all, or end the query with '| limit N'\n", res.Len(), res.Total)
	}
	return nil
}

// writeCSV writes res as CSV; on a terminal, control characters in values
// are escaped as query's CSV output does (off a terminal values stay exact).
func writeCSV(e *env, res *insights.Result) error {
	if !isTerminal(e.stdout) {
		return insights.WriteCSV(e.stdout, res)
	}
	var b bytes.Buffer
	if err := insights.WriteCSV(&b, res); err != nil {
		return err
	}
	_, err := fmt.Fprint(e.stdout, termtext.EscapeLines(b.String()))
	return err
}

// openScan resolves the scan flags' options and opens the lake and its
// snapshot (limited to verified sources with --verified-only).
func (s *scanFlags) openScan(ctx context.Context, e *env) (query.Options, *partition.Lake, *partition.Snapshot, error) {
	opts, err := s.options()
	if err != nil {
		return opts, nil, nil, err
	}
	lake, err := s.lf.open(ctx, e)
	if err != nil {
		return opts, nil, nil, err
	}
	snap, err := s.snapshot(ctx, e, lake, &opts)
	return opts, lake, snap, err
}

// writeJSONLines writes one JSON object per value and line.
func writeJSONLines[T any](e *env, vals []T) error {
	enc := json.NewEncoder(e.stdout)
	for _, v := range vals {
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	return nil
}

// csvCell renders a CSV value: exact, or escaped when stdout is a
// terminal.
func csvCell(e *env) func(string) string {
	if isTerminal(e.stdout) {
		return termtext.Escape
	}
	return func(s string) string { return s }
}
