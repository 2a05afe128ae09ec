package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/insights"
	"github.com/ctq-dev/ctq/pkg/interop"
	"github.com/ctq-dev/ctq/pkg/query"
	"github.com/ctq-dev/ctq/pkg/termtext"
)

const translateLong = `Prints the SQL that asks the same question of the table 'ctq ddl' creates
for the same engine.

A filter PATTERN becomes the WHERE clause (without WHERE) that selects the
records it matches. Comparisons on typed columns read them directly; paths
inside JSON columns use the engine's JSON functions; rows whose typed columns
are inexact (ctqExact = false) are evaluated from the raw record, as ctq
does, unless --typed-only is given.

A Logs Insights QUERY (as 'ctq insights' takes it) becomes one SELECT
statement over --table whose rows are ctq's rows, in ctq's order. Parts
that SQL cannot reproduce faithfully are not translated: the command fails
and names each of them with a caret (exit code 2).

Which one the text is (--language auto): a query when its first word is a
command (fields, filter, where, stats, sort, limit, dedup, display, parse,
unnest) followed by more than an operator, or when it has a '|' between
stages and parses as a query; otherwise a pattern, a lone { ... } included.
--language pattern or --language insights decides instead.

--since, --until, --accounts and --regions add the same bounds as for
'ctq query' and 'ctq insights', on eventTime and on the account, region and
day partitions (so that the engine reads only those partitions).`

func init() { addCommand(75, "translate", newTranslateCmd) }

// translateFlags are the flags of ctq translate.
type translateFlags struct {
	engine, language, table string
	typedOnly               bool
	win                     windowFlags
	parts                   partitionFlags
}

func newTranslateCmd(e *env) *cobra.Command {
	var f translateFlags
	c := &cobra.Command{
		Use:     "translate PATTERN|QUERY --engine athena|trino|duckdb",
		Short:   "turn a filter pattern or an Insights query into SQL for Athena, Trino or DuckDB",
		Long:    translateLong,
		GroupID: "interop",
		Args:    exactArgs(1, "PATTERN or QUERY (quote it)"),
		RunE: func(_ *cobra.Command, args []string) error {
			return runTranslate(e, &f, args[0])
		},
	}
	c.Flags().StringVar(&f.engine, "engine", "", "athena, trino or duckdb (required)")
	c.Flags().BoolVar(&f.typedOnly, "typed-only", false, "leave out the raw-record evaluation of inexact rows (shorter; may differ from ctq on those rows)")
	c.Flags().StringVar(&f.language, "language", "auto", "what the text is: auto, pattern or insights")
	c.Flags().StringVar(&f.table, "table", interop.DefaultTable, "the lake's table in an Insights query's FROM (as given to 'ctq ddl --table')")
	f.win.register(c, "events")
	f.parts.register(c, nil, e)
	_ = c.RegisterFlagCompletionFunc("engine", cobra.FixedCompletions(engines, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("language", cobra.FixedCompletions([]string{"auto", "pattern", "insights"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func runTranslate(e *env, f *translateFlags, text string) error {
	if f.engine == "" {
		return usagef("translate: --engine is required (athena, trino or duckdb)")
	}
	d, err := query.ParseSQLDialect(f.engine)
	if err != nil {
		return usagef("--engine: %s", termtext.Escape(err.Error()))
	}
	since, until, err := f.win.resolve(time.Now())
	if err != nil {
		return err
	}
	if err := f.parts.validate(); err != nil {
		return err
	}
	bounds := interop.Bounds(interop.Engine(d.String()), since, until, f.parts.accounts, f.parts.regions)
	var isQuery bool
	switch strings.ToLower(f.language) {
	case "auto":
		isQuery = insights.LooksLikeQuery(text)
	case "insights":
		isQuery = true
	case "pattern":
	default:
		return usagef("--language: unknown language %q: want auto, pattern or insights", termtext.Escape(f.language))
	}
	var out string
	if isQuery {
		out, err = translateQuery(e, f, d, text, bounds)
	} else {
		out, err = translatePattern(e, f, d, text, bounds)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(e.stdout, out)
	return err
}

// translatePattern is the WHERE clause of a filter pattern, within the
// bounds (a condition, or "").
func translatePattern(e *env, f *translateFlags, d query.SQLDialect, text, bounds string) (string, error) {
	p, err := parsePattern(e, text)
	if err != nil {
		return "", err
	}
	where, err := p.SQL(query.SQLOptions{Dialect: d, TypedOnly: f.typedOnly})
	if err != nil {
		var se *query.SyntaxError
		if errors.As(err, &se) {
			return "", usagef("cannot translate the pattern:\n%s", se.Caret())
		}
		return "", err
	}
	if bounds != "" {
		where = bounds + " AND (" + where + ")"
	}
	return where, nil
}

// translateQuery is the SELECT statement of an Insights query, over the
// records within the bounds.
func translateQuery(e *env, f *translateFlags, d query.SQLDialect, text, bounds string) (string, error) {
	table, err := interop.QuoteTable(interop.Engine(d.String()), f.table)
	if err != nil {
		return "", usagef("--table: %s", termtext.Escape(err.Error()))
	}
	q, err := parseInsights(e, text)
	if err != nil {
		return "", err
	}
	stmt, err := insights.Translate(q, insights.TranslateOptions{Dialect: d, Table: table, TypedOnly: f.typedOnly, Where: bounds})
	if err != nil {
		var te *insights.TranslateError
		if errors.As(err, &te) {
			return "", usagef("cannot translate the query to %s SQL:\n%s", d, te.Caret())
		}
		return "", err
	}
	return stmt, nil
}
