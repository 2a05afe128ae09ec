package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/marcboeker/go-duckdb" // registers the "duckdb" database/sql driver

	"github.com/ctq-dev/ctq/bench/internal/measure"
)

// childFlag, as the first argument, runs this binary as a DuckDB child
// process: one fresh process per measured query, as each ctq run is.
const childFlag = "-duckdb-child"

// lakeScan is the FROM clause every DuckDB query uses: the lake's Parquet
// files, the same files ctq reads (checkLake makes sure no Parquet file sits
// under _ctq/, which the glob would otherwise include), with the Hive
// partition keys as text.
func lakeScan(lake string) string {
	glob := filepath.ToSlash(filepath.Join(lake, lakeGlob))
	return fmt.Sprintf("read_parquet(%s, hive_partitioning = true, hive_types = {'account': VARCHAR, 'region': VARCHAR, 'day': VARCHAR})", sqlString(glob))
}

// countSQL is the statement measured for one query.
func countSQL(lake, where string) string {
	s := "SELECT count(*) FROM " + lakeScan(lake)
	if where != "" {
		s += " WHERE " + where
	}
	return s
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// childResult is what the child prints on stdout as JSON.
type childResult struct {
	Count      int64    `json:"count"`
	Rows       [][]any  `json:"rows,omitempty"` // -rows mode only
	Columns    []string `json:"columns,omitempty"`
	SQLSeconds float64  `json:"sqlSeconds"` // the statement alone, inside the child
	Threads    string   `json:"threads"`
	Version    string   `json:"version"`
}

// duckdbChild runs one statement in this process and prints a childResult.
// With -rows it prints every row of the result (used to explore the data
// and to pick the suite's parameters); otherwise the statement must return
// one integer, the count.
func duckdbChild(args []string) error {
	fs := flag.NewFlagSet(childFlag, flag.ContinueOnError)
	query := fs.String("sql", "", "statement")
	threads := fs.Int("threads", 0, "DuckDB threads (0: DuckDB's default, the number of cores)")
	rows := fs.Bool("rows", false, "print all rows instead of one count")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *query == "" {
		return errors.New("-sql is required")
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return fmt.Errorf("open DuckDB: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: the SETs below apply to the statement
	if *threads > 0 {
		if _, err := db.Exec(fmt.Sprintf("SET threads = %d", *threads)); err != nil {
			return fmt.Errorf("set threads: %w", err)
		}
	}
	var res childResult
	if err := db.QueryRow("SELECT current_setting('threads')::VARCHAR, version()").Scan(&res.Threads, &res.Version); err != nil {
		return fmt.Errorf("read settings: %w", err)
	}
	t0 := time.Now()
	if *rows {
		r, err := db.Query(*query)
		if err != nil {
			return fmt.Errorf("%w\nSQL: %s", err, *query)
		}
		defer r.Close()
		if res.Columns, err = r.Columns(); err != nil {
			return err
		}
		for r.Next() {
			vals := make([]any, len(res.Columns))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				return err
			}
			for i, v := range vals {
				if t, ok := v.(time.Time); ok {
					vals[i] = t.UTC().Format(time.RFC3339Nano)
				}
			}
			res.Rows = append(res.Rows, vals)
		}
		if err := r.Err(); err != nil {
			return err
		}
		res.Count = int64(len(res.Rows))
	} else if err := db.QueryRow(*query).Scan(&res.Count); err != nil {
		return fmt.Errorf("%w\nSQL: %s", err, *query)
	}
	res.SQLSeconds = time.Since(t0).Seconds()
	return json.NewEncoder(os.Stdout).Encode(res)
}

// duckRun is one measured DuckDB child.
type duckRun struct {
	measure.Usage
	child childResult
}

// runDuckDB re-executes this binary in child mode for one statement.
// Extra child flags (e.g. -rows) follow the statement.
func runDuckDB(ctx context.Context, query string, threads int, extra ...string) (*duckRun, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	cmd := exec.CommandContext(ctx, self, append([]string{childFlag, "-threads", strconv.Itoa(threads), "-sql", query}, extra...)...)
	u, stdout, err := measure.Run(cmd)
	if err != nil {
		return nil, fmt.Errorf("DuckDB: %w", err)
	}
	r := &duckRun{Usage: u}
	if err := json.Unmarshal(stdout, &r.child); err != nil {
		return nil, fmt.Errorf("parse DuckDB child output: %w; output: %.500q", err, stdout)
	}
	return r, nil
}

// duckRows runs a statement in a child and returns its rows (not measured).
func duckRows(ctx context.Context, query string) (*childResult, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	cmd := exec.CommandContext(ctx, self, childFlag, "-rows", "-sql", query)
	_, stdout, err := measure.Run(cmd)
	if err != nil {
		return nil, fmt.Errorf("DuckDB: %w", err)
	}
	var r childResult
	if err := json.Unmarshal(stdout, &r); err != nil {
		return nil, fmt.Errorf("parse DuckDB child output: %w; output: %.500q", err, stdout)
	}
	return &r, nil
}

// lakeGlob selects the lake's partition files, and nothing under _ctq/
// (files being written, or replaced by a compaction and kept for running
// ctq queries), as `ctq ddl --engine duckdb` does.
const lakeGlob = "account=*/region=*/day=*/*.parquet"
