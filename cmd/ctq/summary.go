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

const summaryLong = `Summarises activity per principal (the session or user ARN, or the AWS service
that acted), or per value of any field with --by: events, first and last
time, accounts, regions, top APIs, source IPs, user agents, access keys used
and errors. PATTERN (any form 'ctq query' takes) narrows the events; the
default is every event in --since/--until.

  ctq summary --since 30d
  ctq summary --by userIdentity.accessKeyId --since 24h
  ctq summary 'errorCode=AccessDenied*' --by sourceIPAddress`

func init() { addCommand(37, "summary", newSummaryCmd) }

type summaryFlags struct {
	scanFlags
	out outputFlags
	by  string
}

func newSummaryCmd(e *env) *cobra.Command {
	var f summaryFlags
	c := &cobra.Command{
		Use:     "summary [PATTERN]",
		Short:   "per principal (or --by field): calls, first/last, APIs, regions, IPs, user agents, keys, errors",
		Long:    summaryLong,
		GroupID: "read",
		Args:    optionalPattern,
		RunE: func(c *cobra.Command, args []string) error {
			return runSummary(c.Context(), e, &f, strings.Join(args, ""))
		},
	}
	f.register(c, e)
	f.out.register(c, "", "table", "json", "csv")
	c.Flags().StringVar(&f.by, "by", "", "group by this `FIELD` (e.g. userIdentity.accessKeyId, sourceIPAddress) instead of the principal")
	_ = c.RegisterFlagCompletionFunc("by", completeFields)
	return c
}

// optionalPattern accepts at most one argument, a pattern.
func optionalPattern(c *cobra.Command, args []string) error {
	if len(args) > 1 {
		return usagef("%s: want at most one PATTERN (quote it), got %d arguments; see '%s --help'", c.CommandPath(), len(args), c.CommandPath())
	}
	return nil
}

// checkPattern reports a malformed pattern with a caret (exit 2) before a
// lineage command runs it.
func checkPattern(e *env, pattern string) error {
	if strings.TrimSpace(pattern) == "" {
		return nil
	}
	_, err := parsePattern(e, pattern)
	return err
}

func runSummary(ctx context.Context, e *env, f *summaryFlags, pattern string) error {
	output, err := f.out.format(e)
	if err != nil {
		return err
	}
	if err := checkPattern(e, pattern); err != nil {
		return err
	}
	src, since, until, err := lineageSource(ctx, e, &f.scanFlags)
	if err != nil {
		return err
	}
	bar := newProgress(e, f.out.quiet, -1, false, "summarising")
	gs, err := lineage.Summarize(ctx, src, lineage.SummaryConfig{By: f.by, Pattern: pattern, Since: since, Until: until})
	bar.done()
	if err != nil {
		return err
	}
	switch output {
	case "json":
		return writeJSONLines(e, gs)
	case "csv":
		return writeGroupsCSV(e, gs)
	}
	return lineage.WriteGroups(e.stdout, gs)
}

// writeGroupsCSV writes summaries as CSV: lists are space-separated, counted
// values are value=n.
func writeGroupsCSV(e *env, gs []lineage.Group) error {
	cell := csvCell(e)
	list := func(vs []string) string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = cell(v)
		}
		return strings.Join(out, " ")
	}
	counts := func(cs []lineage.Count) string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = cell(c.Value) + "=" + strconv.Itoa(c.N)
		}
		return strings.Join(out, " ")
	}
	cw := csv.NewWriter(e.stdout)
	_ = cw.Write([]string{"key", "events", "first", "last", "accounts", "regions", "topApis", "sourceIPs", "userAgents", "accessKeyIds", "errors", "errorCodes"})
	for _, g := range gs {
		_ = cw.Write([]string{cell(g.Key), strconv.Itoa(g.Events), csvTime(g.First), csvTime(g.Last),
			list(g.Accounts), list(g.Regions), counts(g.TopAPIs), list(g.SourceIPs), list(g.UserAgents), list(g.Keys),
			strconv.Itoa(g.Errors), counts(g.ErrorCodes)})
	}
	cw.Flush()
	return cw.Error()
}

// csvTime is a time in RFC 3339 UTC, empty when zero.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
