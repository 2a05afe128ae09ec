package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/ctq-dev/ctq/pkg/query"
)

const translateUsage = `ctq translate PATTERN --engine athena|trino|duckdb [flags]

Prints the SQL WHERE clause (without WHERE) that selects the records PATTERN
matches, over the table 'ctq ddl' creates for the same engine. Comparisons on
typed columns read them directly; paths inside JSON columns use the engine's
JSON functions; rows whose typed columns are inexact (ctqExact = false) are
evaluated from the raw record, as ctq does, unless --typed-only is given.`

func cmdTranslate(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("translate", flag.ContinueOnError)
	var engine string
	var typedOnly bool
	fs.StringVar(&engine, "engine", "", "athena, trino or duckdb (required)")
	fs.BoolVar(&typedOnly, "typed-only", false, "leave out the raw-record evaluation of inexact rows (shorter; may differ from ctq on those rows)")
	pos, err := parseCommandArgs(e, fs, args, translateUsage)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("translate: want exactly one PATTERN argument, got %d", len(pos))
	}
	if engine == "" {
		return usagef("translate: --engine is required (athena, trino or duckdb)")
	}
	d, err := query.ParseSQLDialect(engine)
	if err != nil {
		return usagef("--engine: %s", sanitize(err.Error()))
	}
	p, err := parsePattern(e, pos[0])
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
