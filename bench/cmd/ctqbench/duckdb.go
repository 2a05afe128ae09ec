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
	"strings"
	"time"

	_ "github.com/marcboeker/go-duckdb" // registers the "duckdb" database/sql driver

	"github.com/ctq-dev/ctq/bench/internal/measure"
)

// childFlag, as the first argument, runs the harness binary as the DuckDB
// child process (see duckdbChild).
const childFlag = "-duckdb-child"

// maxObjectSize bounds one JSON document (one uncompressed log object) for
// read_json; generated objects hold up to 4000 records, a few MB.
const maxObjectSize = 256 << 20

// conversionSQL is the DuckDB statement that converts the archive's log
// objects to one Parquet file, one row per CloudTrail record.
//
// typed: read_json infers a struct schema for Records, so the output has
// typed nested columns (the closest to what ctq writes). union_by_name makes
// it infer each file's schema and merge them: with one sampled schema for
// all files, the 1M-event archive fails ("unknown key backupJobId").
// json: Records is read as JSON[], so each row is one JSON value; robust
// against any schema drift, but the output is a single JSON column.
func conversionSQL(mode, archiveDir, out string) string {
	glob := filepath.Join(archiveDir, "AWSLogs", "**", "*.json.gz")
	switch mode {
	case "json":
		return fmt.Sprintf(`COPY (SELECT unnest(Records) AS r FROM read_json(%s, format='auto', compression='gzip', columns={'Records': 'JSON[]'}, maximum_object_size=%d)) TO %s (FORMAT parquet)`,
			sqlString(glob), maxObjectSize, sqlString(out))
	default:
		return fmt.Sprintf(`COPY (SELECT unnest(Records, recursive := false) AS r FROM read_json(%s, format='auto', compression='gzip', union_by_name=true, maximum_object_size=%d)) TO %s (FORMAT parquet)`,
			sqlString(glob), maxObjectSize, sqlString(out))
	}
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// childResult is what the child prints on stdout as JSON.
type childResult struct {
	SQL         string  `json:"sql"`
	Rows        int64   `json:"rows"` // rows COPY reported
	SQLSeconds  float64 `json:"sqlSeconds"`
	Threads     string  `json:"threads"`
	MemoryLimit string  `json:"memoryLimit"`
}

// duckdbChild runs the conversion in this process with DuckDB's default
// settings (threads = number of cores) and prints a childResult.
func duckdbChild(args []string) error {
	fs := flag.NewFlagSet(childFlag, flag.ContinueOnError)
	archiveDir := fs.String("archive", "", "archive directory")
	out := fs.String("out", "", "output Parquet file")
	tmp := fs.String("tmp", "", "DuckDB temp_directory")
	mode := fs.String("mode", "typed", "SQL form")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *archiveDir == "" || *out == "" || *tmp == "" {
		return errors.New("-archive, -out and -tmp are required")
	}
	db, err := openDuckDB()
	if err != nil {
		return err
	}
	defer db.Close()
	res := childResult{SQL: conversionSQL(*mode, *archiveDir, *out)}
	if _, err := db.Exec("SET temp_directory = " + sqlString(*tmp)); err != nil {
		return fmt.Errorf("set temp_directory: %w", err)
	}
	if err := db.QueryRow("SELECT current_setting('threads')::VARCHAR, current_setting('memory_limit')").Scan(&res.Threads, &res.MemoryLimit); err != nil {
		return fmt.Errorf("read settings: %w", err)
	}
	t0 := time.Now()
	r, err := db.Exec(res.SQL)
	if err != nil {
		return fmt.Errorf("conversion: %w\nSQL: %s", err, res.SQL)
	}
	res.SQLSeconds = time.Since(t0).Seconds()
	if res.Rows, err = r.RowsAffected(); err != nil {
		return fmt.Errorf("rows of COPY: %w", err)
	}
	if err := os.RemoveAll(*tmp); err != nil {
		return fmt.Errorf("remove temp_directory: %w", err)
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

type duckRun struct {
	measure.Usage
	mode     string
	child    childResult
	out      string
	outBytes int64
}

// runDuckDB re-executes this binary in child mode and measures it.
func runDuckDB(ctx context.Context, archiveDir, work, mode string) (*duckRun, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	out := filepath.Join(work, "duckdb-"+mode+".parquet")
	tmp := filepath.Join(work, "duckdb.tmp")
	for _, p := range []string{out, tmp} {
		if err := os.RemoveAll(p); err != nil {
			return nil, fmt.Errorf("remove old DuckDB output: %w", err)
		}
	}
	cmd := exec.CommandContext(ctx, self, childFlag, "-archive", archiveDir, "-out", out, "-tmp", tmp, "-mode", mode)
	u, stdout, err := measure.Run(cmd)
	if err != nil {
		return nil, fmt.Errorf("DuckDB conversion failed: %w", err)
	}
	r := &duckRun{Usage: u, mode: mode, out: out}
	if err := json.Unmarshal(stdout, &r.child); err != nil {
		return nil, fmt.Errorf("parse DuckDB child output: %w; output: %.500q", err, stdout)
	}
	fi, err := os.Stat(out)
	if err != nil {
		return nil, fmt.Errorf("DuckDB output: %w", err)
	}
	r.outBytes = fi.Size()
	return r, nil
}

func (r *duckRun) result(a archiveInfo) toolResult {
	t := newToolResult("duckdb-"+r.mode, r.Usage, r.child.Rows, a, r.outBytes)
	t.OutputFiles = 1
	t.Threads = r.child.Threads
	t.SQL = r.child.SQL
	t.SQLSeconds = r.child.SQLSeconds
	return t
}

func openDuckDB() (*sql.DB, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("open DuckDB: %w", err)
	}
	return db, nil
}
