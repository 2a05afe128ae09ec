package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/bench/internal/measure"
)

// ctqArgs is the command line of `ctq query|explain PATTERN` for q.
func ctqArgs(bin, sub string, q query, lake string, count bool) []string {
	args := []string{bin, sub, q.Pattern, "--lake", lake}
	if count {
		args = append(args, "--count")
	}
	return append(args, q.CtqArgs...)
}

// measurement is one measured run of a tool.
type measurement struct {
	measure.Usage
	count        int64
	innerSeconds float64 // DuckDB: the statement alone, inside the child
}

// runCtqCount runs `ctq query PATTERN --lake LAKE --count ...` and parses
// the count it prints.
func runCtqCount(ctx context.Context, bin, lake string, q query) (measurement, error) {
	args := ctqArgs(bin, "query", q, lake, true)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	u, out, err := measure.Run(cmd)
	if err != nil {
		return measurement{}, fmt.Errorf("ctq (%s): %w", q.ID, err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		return measurement{}, fmt.Errorf("ctq (%s): output %q is not a count", q.ID, out)
	}
	return measurement{Usage: u, count: n}, nil
}

// explainFigures are the pruning figures `ctq explain` prints for a run.
type explainFigures struct {
	RunSeconds         float64 `json:"runSeconds"` // as ctq explain reports its run
	WallSeconds        float64 `json:"wallSeconds"`
	Partitions         int64   `json:"partitions"`
	PartitionsSkipped  int64   `json:"partitionsSkipped"`
	Files              int64   `json:"files"`
	FilesSkipped       int64   `json:"filesSkipped"`
	RowGroups          int64   `json:"rowGroups"`
	RowGroupsSkipped   int64   `json:"rowGroupsSkipped"`
	ColumnChunksRead   int64   `json:"columnChunksRead"`
	RowsEvaluated      int64   `json:"rowsEvaluated"`
	RowsReevaluatedRaw int64   `json:"rowsReevaluatedFromRaw"`
	RowsMatched        int64   `json:"rowsMatched"`
	Pattern            string  `json:"pattern"` // as ctq re-prints it
	Plan               string  `json:"plan"`
}

var (
	reExplainRun   = regexp.MustCompile(`(?m)^run \(([^)]*)\):$`)
	reExplainPair  = regexp.MustCompile(`(?m)^\s+(partitions|files|row groups)\s+(\d+) considered, (\d+) skipped$`)
	reExplainCols  = regexp.MustCompile(`(?m)^\s+column chunks read\s+(\d+)$`)
	reExplainRows  = regexp.MustCompile(`(?m)^\s+rows\s+(\d+) evaluated, (\d+) re-evaluated from raw, (\d+) matched$`)
	reExplainPat   = regexp.MustCompile(`(?m)^pattern: (.*)$`)
	reExplainPlan  = regexp.MustCompile(`(?s)\nplan:\n(.*?)\n\nrun \(`)
	errExplainForm = fmt.Errorf("unexpected ctq explain output")
)

// runExplain runs `ctq explain PATTERN --lake LAKE ...` and parses it.
func runExplain(ctx context.Context, bin, lake string, q query) (*explainFigures, error) {
	args := ctqArgs(bin, "explain", q, lake, false)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	u, out, err := measure.Run(cmd)
	if err != nil {
		return nil, fmt.Errorf("ctq explain (%s): %w", q.ID, err)
	}
	s := string(out)
	ex := &explainFigures{WallSeconds: u.Wall.Seconds()}
	m := reExplainRun.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("ctq explain (%s): %w (no run line):\n%s", q.ID, errExplainForm, s)
	}
	if d, err := time.ParseDuration(m[1]); err == nil {
		ex.RunSeconds = d.Seconds()
	}
	pairs := reExplainPair.FindAllStringSubmatch(s, -1)
	if len(pairs) != 3 {
		return nil, fmt.Errorf("ctq explain (%s): %w (considered/skipped lines):\n%s", q.ID, errExplainForm, s)
	}
	for _, p := range pairs {
		a, _ := strconv.ParseInt(p[2], 10, 64)
		b, _ := strconv.ParseInt(p[3], 10, 64)
		switch p[1] {
		case "partitions":
			ex.Partitions, ex.PartitionsSkipped = a, b
		case "files":
			ex.Files, ex.FilesSkipped = a, b
		case "row groups":
			ex.RowGroups, ex.RowGroupsSkipped = a, b
		}
	}
	m = reExplainCols.FindStringSubmatch(s)
	r := reExplainRows.FindStringSubmatch(s)
	if m == nil || r == nil {
		return nil, fmt.Errorf("ctq explain (%s): %w (columns/rows lines):\n%s", q.ID, errExplainForm, s)
	}
	ex.ColumnChunksRead, _ = strconv.ParseInt(m[1], 10, 64)
	ex.RowsEvaluated, _ = strconv.ParseInt(r[1], 10, 64)
	ex.RowsReevaluatedRaw, _ = strconv.ParseInt(r[2], 10, 64)
	ex.RowsMatched, _ = strconv.ParseInt(r[3], 10, 64)
	if m := reExplainPat.FindStringSubmatch(s); m != nil {
		ex.Pattern = m[1]
	}
	if m := reExplainPlan.FindStringSubmatch(s); m != nil {
		ex.Plan = m[1]
	}
	return ex, nil
}
