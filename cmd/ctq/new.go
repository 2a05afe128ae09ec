package main

import (
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/lineage"
)

const newLong = `Lists the values of FIELD seen in the last --window (ending at --until, default
now) that never occurred in the --baseline before it; with --per, values an
entity (e.g. userIdentity.arn) never had before. Each with its first time,
the eventID of its first event and its count in the window. PATTERN (any form
'ctq query' takes) narrows the events of both windows.

  ctq new sourceIPAddress --per userIdentity.arn --baseline 30d --window 24h
  ctq new eventName --per userIdentity.arn --window 2d
  ctq new userAgent 'eventSource=s3.amazonaws.com'`

func init() { addCommand(38, "new", newNewCmd) }

type newFlags struct {
	lf           lakeFlags
	until        windowFlags
	parts        partitionFlags
	workers      int
	verifiedOnly bool
	out          outputFlags
	per          string
	baseline     time.Duration
	window       time.Duration
}

func newNewCmd(e *env) *cobra.Command {
	var f newFlags
	c := &cobra.Command{
		Use:     "new FIELD [PATTERN]",
		Short:   "values of a field (per entity) in a recent window never seen in a baseline before it",
		Long:    newLong,
		GroupID: "read",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usagef("%s: want FIELD and an optional PATTERN (quote it), got %d arguments; see '%s --help'", c.CommandPath(), len(args), c.CommandPath())
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			return runNew(c.Context(), e, &f, args[0], strings.Join(args[1:], ""))
		},
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return completeFields(c, args, toComplete)
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
	}
	f.lf.register(c)
	f.until.names = [2]string{"since", "until"}
	c.Flags().StringVar(&f.until.until, "until", "", "end of the window: RFC 3339, a date (2024-03-01) or a duration ago (90m, 24h, 7d, 2w) (default now)")
	f.parts.register(c, &f.lf, e)
	c.Flags().IntVar(&f.workers, "workers", 0, "files evaluated in parallel (default: number of CPUs)")
	c.Flags().BoolVar(&f.verifiedOnly, "verified-only", false, "only events from source objects that ingest --verify found valid against the trail's digests")
	f.out.register(c, "", "table", "json", "csv")
	c.Flags().StringVar(&f.per, "per", "", "the entity `FIELD` values belong to (e.g. userIdentity.arn); default: new for the whole lake")
	durationFlag(c, &f.baseline, "baseline", 30*24*time.Hour, "the baseline: this long before the window")
	durationFlag(c, &f.window, "window", 24*time.Hour, "the window searched for new values, ending at --until")
	_ = c.RegisterFlagCompletionFunc("per", completeFields)
	return c
}

func runNew(ctx context.Context, e *env, f *newFlags, field, pattern string) error {
	output, err := f.out.format(e)
	if err != nil {
		return err
	}
	if f.baseline <= 0 || f.window <= 0 {
		return usagef("--baseline %s, --window %s: both must be positive", formatDuration(f.baseline), formatDuration(f.window))
	}
	if err := checkPattern(e, pattern); err != nil {
		return err
	}
	now := time.Now()
	_, until, err := f.until.resolve(now)
	if err != nil {
		return err
	}
	if until.IsZero() {
		until = now
	}
	since := until.Add(-f.window)
	s := scanFlags{lf: f.lf, parts: f.parts, workers: f.workers, verifiedOnly: f.verifiedOnly}
	src, _, _, err := lineageSource(ctx, e, &s)
	if err != nil {
		return err
	}
	bar := newProgress(e, f.out.quiet, -1, false, "comparing with the baseline")
	vs, err := lineage.NewValues(ctx, src, lineage.NewConfig{
		Field: field, Per: f.per, Pattern: pattern,
		BaselineSince: since.Add(-f.baseline), Since: since, Until: until,
	})
	bar.done()
	if err != nil {
		return err
	}
	switch output {
	case "json":
		return writeJSONLines(e, vs)
	case "csv":
		cell := csvCell(e)
		cw := csv.NewWriter(e.stdout)
		_ = cw.Write([]string{"entity", "value", "first", "firstEventID", "count"})
		for _, v := range vs {
			_ = cw.Write([]string{cell(v.Entity), cell(v.Value), csvTime(v.First), cell(v.FirstEventID), strconv.Itoa(v.Count)})
		}
		cw.Flush()
		return cw.Error()
	}
	return lineage.WriteNewValues(e.stdout, vs)
}
