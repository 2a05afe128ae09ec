package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/integrity"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/pqread"
	"github.com/ctq-dev/ctq/pkg/query"
	"github.com/ctq-dev/ctq/pkg/termtext"
)

const queryLong = `Prints the events that match a filter pattern.

PATTERN is a CloudWatch Logs filter pattern over the lake's CloudTrail records:
  JSON patterns   { $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }
  term patterns   "AccessDenied"   ERROR -ARGUMENTS   ?A ?B   %regex%
  shorthand       eventName=GetObject and useridentity.username=example
The empty pattern matches every event. Results stream in eventTime order
(ties by eventID). 'ctq PATTERN' is short for 'ctq query PATTERN'. See the
README's language section for the full reference.`

func init() { addCommand(20, "query", newQueryCmd) }

// scanFlags are the flags of every command that scans the lake: the lake,
// the event-time window, the partitions and the scan's parallelism.
type scanFlags struct {
	lf           lakeFlags
	win          windowFlags
	parts        partitionFlags
	workers      int
	verifiedOnly bool
}

func (s *scanFlags) register(c *cobra.Command, e *env) {
	s.lf.register(c)
	s.win.register(c, "events")
	s.parts.register(c, &s.lf, e)
	c.Flags().IntVar(&s.workers, "workers", 0, "files evaluated in parallel (default: number of CPUs)")
	c.Flags().BoolVar(&s.verifiedOnly, "verified-only", false, "only events from source objects that ingest --verify found valid against the trail's digests")
}

// queryFlags are query's flags.
type queryFlags struct {
	scanFlags
	out    outputFlags
	fields []string
	limit  int
	count  bool
}

func newQueryCmd(e *env) *cobra.Command {
	var q queryFlags
	c := &cobra.Command{
		Use:     "query PATTERN",
		Short:   "print the events that match a filter pattern (also: ctq PATTERN)",
		Long:    queryLong,
		GroupID: "read",
		Args:    exactArgs(1, "PATTERN (quote it)"),
		RunE: func(c *cobra.Command, args []string) error {
			return runQuery(c.Context(), e, &q, args[0])
		},
	}
	q.register(c, e)
	q.out.register(c, "", "table", "json", "csv")
	c.Flags().StringSliceVar(&q.fields, "fields", nil, "comma-separated `FIELDS` for table/csv output (default: "+strings.Join(defaultFields, ",")+")")
	c.Flags().IntVar(&q.limit, "limit", 0, "stop after this many matches (0: no limit)")
	c.Flags().BoolVar(&q.count, "count", false, "print only the number of matches")
	_ = c.RegisterFlagCompletionFunc("fields", completeFields)
	return c
}

var defaultFields = []string{"eventTime", "recipientAccountId", "awsRegion", "eventSource", "eventName", "userIdentity.arn", "sourceIPAddress", "errorCode"}

// parsePattern parses a pattern and reports syntax errors with a caret.
func parsePattern(e *env, pattern string) (*query.Pattern, error) {
	p, err := query.Parse(pattern, query.ParseOptions{})
	if err != nil {
		var se *query.SyntaxError
		if errors.As(err, &se) {
			return nil, usagef("malformed pattern:\n%s", se.Caret())
		}
		return nil, usagef("malformed pattern: %v", err)
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", termtext.Escape(w.Msg))
	}
	for _, w := range query.Lint(p, nil) {
		fmt.Fprintf(e.stderr, "warning: %s\n", termtext.Escape(w.Msg))
	}
	return p, nil
}

// options returns the query options of the scan flags.
func (s *scanFlags) options() (query.Options, error) {
	var o query.Options
	var err error
	if o.Since, o.Until, err = s.win.resolve(time.Now()); err != nil {
		return o, err
	}
	if err := s.parts.validate(); err != nil {
		return o, err
	}
	o.Accounts, o.Regions, o.Workers = s.parts.accounts, s.parts.regions, s.workers
	return o, nil
}

// prepared is a parsed, planned query with its lake snapshot.
type prepared struct {
	pattern *query.Pattern
	opts    query.Options
	plan    *query.Plan
	lake    *partition.Lake
	snap    *partition.Snapshot
}

// The collector settings of query, count and explain. A scan's live heap
// is its workers' buffers (footers, column chunks, raw pages: 3 to 35 MiB,
// the most when both workers read the lake's largest files) and the files
// it scans; the manifest is never held (Plan.Snapshot). The peak is the
// target times the largest live heap a collection happens to see, and a
// larger lake gives more collections the chance to see the rare moments
// of both workers on its largest files: a 200% target and a 48 MiB soft
// limit keep the peak from following the lake. Since dictionaries are
// decoded into reused buffers a scan makes little garbage, and the lower
// limit costs no time (bench/RESULTS.md, "Flat query memory" and the
// fourth run). A query that prints (or groups) matches also holds them and
// the raw record pages they come from; under 48 MiB its collections ran
// back to back (printed selective queries 15-25% slower than under 64).
const (
	queryGCPercent     = 200
	queryMemoryLimit   = 48 << 20 // --count and explain
	recordsMemoryLimit = 64 << 20 // queries that read records
)

// prepare parses the pattern, plans it and opens the lake: the shared front
// half of query, count and explain.
func prepare(ctx context.Context, e *env, q *scanFlags, pattern string, limit int, countOnly bool) (*prepared, error) {
	if e.getenv("GOGC") == "" {
		debug.SetGCPercent(queryGCPercent)
	}
	if e.getenv("GOMEMLIMIT") == "" {
		if countOnly {
			debug.SetMemoryLimit(queryMemoryLimit)
		} else {
			debug.SetMemoryLimit(recordsMemoryLimit)
		}
	}
	p, err := parsePattern(e, pattern)
	if err != nil {
		return nil, err
	}
	opts, err := q.options()
	if err != nil {
		return nil, err
	}
	opts.Limit, opts.CountOnly = limit, countOnly
	lake, err := q.lf.open(ctx, e)
	if err != nil {
		return nil, err
	}
	var snap *partition.Snapshot
	if q.verifiedOnly {
		// The verdicts are in the full snapshot and become the plan's scope.
		if snap, err = q.snapshot(ctx, e, lake, &opts); err != nil {
			return nil, err
		}
	}
	opts.Footers = footerCache(lake)
	plan, err := query.NewPlan(p.Root, opts)
	if err != nil {
		return nil, err
	}
	if snap == nil {
		// Read through the plan's file filter: the query holds the files it
		// may scan, not the lake's manifest.
		if snap, err = checkedSnapshot(ctx, lake, func(ctx context.Context) (*partition.Snapshot, error) {
			return plan.Snapshot(ctx, lake)
		}); err != nil {
			return nil, err
		}
	}
	return &prepared{pattern: p, opts: opts, plan: plan, lake: lake, snap: snap}, nil
}

// footerCache returns the local cache of data file ends (footer, page
// indexes and bloom filters) for a remote lake: <user cache dir>/ctq/footers
// (e.g. ~/.cache/ctq/footers), at most 64 MiB. A local lake reads them
// directly: nil.
func footerCache(lake *partition.Lake) *pqread.FooterCache {
	if !strings.HasPrefix(lake.Bucket().String(), "s3://") {
		return nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return nil
	}
	return &pqread.FooterCache{Dir: filepath.Join(dir, "ctq", "footers"), MaxBytes: 64 << 20}
}

// snapshot reads the lake's snapshot for a query; with --verified-only it
// also limits opts to the source objects verified valid and says on stderr
// how many that is.
func (q *scanFlags) snapshot(ctx context.Context, e *env, lake *partition.Lake, opts *query.Options) (*partition.Snapshot, error) {
	if !q.verifiedOnly {
		return readSnapshot(ctx, lake)
	}
	snap, err := readFullSnapshot(ctx, lake) // with the source objects and their verdicts
	if err != nil {
		return nil, err
	}
	opts.Sources = map[string]bool{}
	for k, s := range snap.Sources {
		if s.Verified == string(integrity.Valid) {
			opts.Sources[k] = true
		}
	}
	left := len(snap.Sources) - len(opts.Sources)
	switch {
	case len(opts.Sources) == 0:
		fmt.Fprintf(e.stderr, "--verified-only: none of the lake's %d source objects is verified (ingest with --verify); nothing can match\n", len(snap.Sources))
	case left > 0:
		fmt.Fprintf(e.stderr, "--verified-only: %d of %d source objects verified valid; events of the other %d are left out\n", len(opts.Sources), len(snap.Sources), left)
	}
	return snap, nil
}

// run runs the query once. It hands the snapshot over to the scan, which
// keeps only what it reads, so that the manifest does not stay in memory
// for the whole scan.
func (pr *prepared) run(ctx context.Context, emit func(query.Match) error) (*query.Stats, error) {
	snap := pr.snap
	pr.snap = nil
	if snap == nil {
		return nil, errors.New("BUG: prepared query run twice")
	}
	return pr.plan.Run(ctx, pr.lake, snap, emit)
}

func runQuery(ctx context.Context, e *env, q *queryFlags, pattern string) error {
	output, err := q.out.format(e)
	if err != nil {
		return err
	}
	fields := defaultFields
	if len(q.fields) > 0 {
		fields = q.fields
	}
	pr, err := prepare(ctx, e, &q.scanFlags, pattern, q.limit, q.count)
	if err != nil {
		return err
	}
	if q.count {
		bar := newProgress(e, q.out.quiet, -1, false, fmt.Sprintf("counting over %d files", len(pr.snap.Files)))
		st, err := pr.run(ctx, func(query.Match) error { return nil })
		bar.done()
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, st.RowsMatched)
		return nil
	}
	w := newRecordWriter(e.stdout, output, fields)
	st, err := pr.run(ctx, w.write)
	if err != nil {
		return err
	}
	if err := w.flush(); err != nil {
		return err
	}
	if st.RowsMatched == 0 && isTerminal(e.stdout) {
		fmt.Fprintf(e.stderr, "no events match (%d files scanned of %d in the window); widen --since/--until or check the pattern with 'ctq explain'\n", st.Files-st.FilesSkipped, st.Files)
	}
	return nil
}

// recordWriter prints matches as raw JSON lines, an aligned table or CSV.
type recordWriter struct {
	out      io.Writer
	mode     string
	terminal bool // values are made harmless for a terminal (table always is)
	fields   []string
	tw       *tabwriter.Writer
	cw       *csv.Writer
	header   bool
}

func newRecordWriter(out io.Writer, mode string, fields []string) *recordWriter {
	w := &recordWriter{out: out, mode: mode, fields: fields, terminal: isTerminal(out)}
	switch mode {
	case "table":
		w.tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	case "csv":
		w.cw = csv.NewWriter(out)
	}
	return w
}

func (w *recordWriter) write(m query.Match) error {
	if w.mode == "json" {
		// The record exactly as delivered: one per line.
		if _, err := w.out.Write(m.Raw); err != nil {
			return err
		}
		_, err := w.out.Write([]byte{'\n'})
		return err
	}
	vals := extractFields(m.Raw, w.fields)
	if w.mode == "csv" {
		if w.terminal {
			for i, v := range vals {
				vals[i] = termtext.Escape(v)
			}
		}
		if !w.header {
			w.header = true
			if err := w.cw.Write(w.fields); err != nil {
				return err
			}
		}
		return w.cw.Write(vals)
	}
	if !w.header {
		w.header = true
		fmt.Fprintln(w.tw, strings.Join(w.fields, "\t"))
	}
	for i, v := range vals {
		vals[i] = tableCell(v)
	}
	_, err := fmt.Fprintln(w.tw, strings.Join(vals, "\t"))
	return err
}

func (w *recordWriter) flush() error {
	switch w.mode {
	case "table":
		return w.tw.Flush()
	case "csv":
		w.cw.Flush()
		return w.cw.Error()
	}
	return nil
}

// tableCell renders an untrusted value for an aligned terminal table:
// control characters and escape sequences become visible escapes, tabs and
// newlines cannot break the layout, and a long value keeps its start and its
// distinguishing end (the session of an ARN, the key of an object) around a
// short hash of the whole value, so two different values never look the
// same.
func tableCell(v string) string {
	v = termtext.Escape(strings.ReplaceAll(v, "\t", " "))
	const maxCell, head, tail = 80, 24, 48
	if r := []rune(v); len(r) > maxCell {
		h := fnv.New32a()
		h.Write([]byte(v))
		v = fmt.Sprintf("%s…%04x…%s", string(r[:head]), h.Sum32()&0xffff, string(r[len(r)-tail:]))
	}
	if v == "" {
		return "-"
	}
	return v
}

// extractFields pulls dotted fields out of a raw record. Each path segment
// matches a JSON key exactly, else case-insensitively, so Athena-style lower
// case names work; [N] indexes arrays. Objects and arrays print as JSON.
func extractFields(raw []byte, fields []string) []string {
	var doc any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	_ = dec.Decode(&doc)
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = renderValue(lookupPath(doc, f))
	}
	return out
}

func lookupPath(v any, path string) any {
	for _, seg := range strings.Split(path, ".") {
		name, idx := seg, -1
		if i := strings.IndexByte(seg, '['); i > 0 && strings.HasSuffix(seg, "]") {
			fmt.Sscanf(seg[i+1:len(seg)-1], "%d", &idx)
			name = seg[:i]
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		next, ok := m[name]
		if !ok {
			for k, val := range m {
				if strings.EqualFold(k, name) {
					next, ok = val, true
					break
				}
			}
		}
		if !ok {
			return nil
		}
		v = next
		if idx >= 0 {
			arr, ok := v.([]any)
			if !ok || idx >= len(arr) {
				return nil
			}
			v = arr[idx]
		}
	}
	return v
}

func renderValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return fmt.Sprint(x)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

const explainLong = `Prints the parsed pattern (as re-parseable text), the plan, and the pruning
figures of an actual run: partitions, files and row groups considered and
skipped, column chunks read, rows evaluated and rows matched.`

func init() { addCommand(50, "explain", newExplainCmd) }

func newExplainCmd(e *env) *cobra.Command {
	var s scanFlags
	c := &cobra.Command{
		Use:     "explain PATTERN",
		Short:   "show how a pattern is parsed, planned and pruned",
		Long:    explainLong,
		GroupID: "read",
		Args:    exactArgs(1, "PATTERN (quote it)"),
		RunE: func(c *cobra.Command, args []string) error {
			return runExplain(c.Context(), e, &s, args[0])
		},
	}
	s.register(c, e)
	return c
}

func runExplain(ctx context.Context, e *env, s *scanFlags, pattern string) error {
	pr, err := prepare(ctx, e, s, pattern, 0, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "pattern: %s\n\nplan:\n%s\n", termtext.Escape(pr.pattern.Root.String()), termtext.EscapeLines(pr.plan.Explain()))
	start := time.Now()
	st, err := pr.run(ctx, func(query.Match) error { return nil })
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "run (%s):\n", time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(e.stdout, "  partitions   %d considered, %d skipped\n", st.Partitions, st.PartitionsSkipped)
	fmt.Fprintf(e.stdout, "  files        %d considered, %d skipped\n", st.Files, st.FilesSkipped)
	fmt.Fprintf(e.stdout, "  row groups   %d considered, %d skipped\n", st.RowGroups, st.RowGroupsSkipped)
	fmt.Fprintf(e.stdout, "  column chunks read  %d\n", st.ColumnsRead)
	fmt.Fprintf(e.stdout, "  rows         %d evaluated, %d re-evaluated from raw, %d matched\n", st.RowsEvaluated, st.RowsInexact, st.RowsMatched)
	return nil
}
