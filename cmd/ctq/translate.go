package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/query"
)

const translateLong = `Prints the SQL WHERE clause (without WHERE) that selects the records PATTERN
matches, over the table 'ctq ddl' creates for the same engine. Comparisons on
typed columns read them directly; paths inside JSON columns use the engine's
JSON functions; rows whose typed columns are inexact (ctqExact = false) are
evaluated from the raw record, as ctq does, unless --typed-only is given.`

func init() { addCommand(75, "translate", newTranslateCmd) }

func newTranslateCmd(e *env) *cobra.Command {
	var engine string
	var typedOnly bool
	c := &cobra.Command{
		Use:     "translate PATTERN --engine athena|trino|duckdb",
		Short:   "turn a filter pattern into the equivalent SQL WHERE clause for Athena, Trino or DuckDB",
		Long:    translateLong,
		GroupID: "interop",
		Args:    exactArgs(1, "PATTERN (quote it)"),
		RunE: func(_ *cobra.Command, args []string) error {
			return runTranslate(e, engine, typedOnly, args[0])
		},
	}
	c.Flags().StringVar(&engine, "engine", "", "athena, trino or duckdb (required)")
	c.Flags().BoolVar(&typedOnly, "typed-only", false, "leave out the raw-record evaluation of inexact rows (shorter; may differ from ctq on those rows)")
	_ = c.RegisterFlagCompletionFunc("engine", cobra.FixedCompletions(engines, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func runTranslate(e *env, engine string, typedOnly bool, pattern string) error {
	if engine == "" {
		return usagef("translate: --engine is required (athena, trino or duckdb)")
	}
	d, err := query.ParseSQLDialect(engine)
	if err != nil {
		return usagef("--engine: %s", sanitize(err.Error()))
	}
	p, err := parsePattern(e, pattern)
	if err != nil {
		return err
	}
	where, err := p.SQL(query.SQLOptions{Dialect: d, TypedOnly: typedOnly})
	if err != nil {
		var se *query.SyntaxError
		if errors.As(err, &se) {
			return usagef("cannot translate the pattern:\n%s", se.Caret())
		}
		return err
	}
	_, err = fmt.Fprintln(e.stdout, where)
	return err
}
