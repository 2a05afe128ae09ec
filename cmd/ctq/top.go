package main

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/insights"
)

const topLong = `Prints the most frequent values of one or more fields among the events that
match PATTERN (any form 'ctq query' takes, shorthand included; default every
event): a count by the fields, sorted by the count, the first --limit rows.

  ctq top userIdentity.arn 'errorCode=AccessDenied*' --since 24h
  ctq top eventSource,eventName --limit 20

It is short for
  ctq insights '{ PATTERN } | stats count(*) as events by FIELD, ... | sort events desc | limit N'`

func init() { addCommand(34, "top", newTopCmd) }

func newTopCmd(e *env) *cobra.Command {
	var f insightsFlags
	var limit int
	c := &cobra.Command{
		Use:     "top FIELD[,FIELD...] [PATTERN]",
		Short:   "the most frequent values of fields among the matching events (count, sorted, first 10)",
		Long:    topLong,
		GroupID: "read",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usagef("%s: want FIELD[,FIELD...] and an optional PATTERN (quote it), got %d arguments; see '%s --help'", c.CommandPath(), len(args), c.CommandPath())
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			pattern := ""
			if len(args) == 2 {
				pattern = args[1]
			}
			q, err := topQuery(e, args[0], pattern, limit)
			if err != nil {
				return err
			}
			return runInsights(c.Context(), e, &f, q)
		},
	}
	f.register(c, e)
	c.Flags().IntVar(&limit, "limit", 10, "rows printed: the most frequent values")
	f.maxRows = insights.DefaultMaxRows // the query always has a limit
	return c
}

// topField is a field top groups by: a dotted path of plain names.
var topField = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z_@][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
})

// topQuery builds the query of `ctq top`: the pattern as a filter-pattern
// stage, then the count by the fields, sorted, limited.
func topQuery(e *env, fields, pattern string, limit int) (*insights.Query, error) {
	if limit < 1 {
		return nil, usagef("--limit %d: must be at least 1", limit)
	}
	names := strings.Split(fields, ",")
	for i, n := range names {
		names[i] = strings.TrimSpace(n)
		if !topField().MatchString(names[i]) {
			return nil, usagef("top: field %q is not a field name such as userIdentity.arn", names[i])
		}
	}
	q, err := parseInsights(e, fmt.Sprintf("stats count(*) as events by %s | sort events desc | limit %d", strings.Join(names, ", "), limit))
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(pattern) == "" {
		return q, nil
	}
	p, err := parsePattern(e, pattern)
	if err != nil {
		return nil, err
	}
	q.Commands = append([]insights.Command{&insights.PatternFilter{Pattern: p}}, q.Commands...)
	return q, nil
}
