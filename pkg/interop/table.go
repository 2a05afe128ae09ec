package interop

import (
	"fmt"
	"strings"
	"time"
)

// QuoteTable validates a table name as DDL does (NAME, SCHEMA.NAME or, for
// Trino and DuckDB, CATALOG.SCHEMA.NAME; empty means DefaultTable) and
// returns it as a query names it: each part in double quotes, lower case
// for Athena and Trino, whose metastores store names that way.
func QuoteTable(e Engine, s string) (string, error) {
	parts, err := parseTable(e, s)
	if err != nil {
		return "", err
	}
	return quote(parts...), nil
}

// Bounds returns a SQL condition over the lake's table that keeps the
// records of a time window (since <= eventTime < until; a zero time is
// unbounded) and of the given accounts and regions (empty: all), for engine
// e; "" when nothing is bounded. It bounds the day partition as well, so
// that the engine reads only those partitions. Accounts and regions must be
// valid ids and names (they are quoted, not checked).
func Bounds(e Engine, since, until time.Time, accounts, regions []string) string {
	var conds []string
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		quoted := make([]string, len(vals))
		for i, v := range vals {
			quoted[i] = sqlString(v)
		}
		conds = append(conds, fmt.Sprintf("%s IN (%s)", quote(col), strings.Join(quoted, ", ")))
	}
	in("account", accounts)
	in("region", regions)
	eventTime := func(op string, t time.Time) string {
		if e == DuckDB {
			return fmt.Sprintf("epoch_us(%s) %s %d", quote("eventTime"), op, t.UnixMicro())
		}
		return fmt.Sprintf("%s %s TIMESTAMP '%s'", quote("eventTime"), op, t.UTC().Format("2006-01-02 15:04:05.000000"))
	}
	if !since.IsZero() {
		conds = append(conds, fmt.Sprintf("%s >= '%s'", quote("day"), since.UTC().Format(time.DateOnly)), eventTime(">=", since))
	}
	if !until.IsZero() {
		conds = append(conds, fmt.Sprintf("%s <= '%s'", quote("day"), until.UTC().Add(-time.Nanosecond).Format(time.DateOnly)), eventTime("<", until))
	}
	return strings.Join(conds, " AND ")
}
