package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ctq-dev/ctq/pkg/integrity"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/pqread"
	"github.com/ctq-dev/ctq/pkg/query"
)

const queryUsage = `ctq query PATTERN [flags]
  ctq PATTERN [flags]          (short for ctq query PATTERN)

PATTERN is a CloudWatch Logs filter pattern over the lake's CloudTrail records:
  JSON patterns   { $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }
  term patterns   "AccessDenied"   ERROR -ARGUMENTS   ?A ?B   %regex%
  shorthand       eventName=GetObject and useridentity.username=example
The empty pattern matches every event. Results stream in eventTime order
(ties by eventID). --since/--until take RFC 3339, a date, or a duration ago
(90m, 24h, 7d). See the README's language section for the full reference.`

type queryFlags struct {
	lake              string
	aws               awsFlags
	since, until      string
	accounts, regions string
	output, fields    string
	limit             int
	count             bool
	workers           int
	verifiedOnly      bool
}

func (q *queryFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&q.lake, "lake", "", "lake location: DIR or s3://bucket/prefix (default $CTQ_LAKE, else the per-user lake)")
	q.aws.register(fs)
	fs.StringVar(&q.since, "since", "", "only events at or after this time")
	fs.StringVar(&q.until, "until", "", "only events before this time")
	fs.StringVar(&q.accounts, "accounts", "", "comma-separated account ids (default all)")
	fs.StringVar(&q.regions, "regions", "", "comma-separated regions (default all)")
	fs.StringVar(&q.output, "output", "", "json (records byte-identical to the source), table or csv (default: table on a terminal, else json)")
	fs.StringVar(&q.fields, "fields", "", "comma-separated fields for table/csv output (default: "+strings.Join(defaultFields, ",")+")")
	fs.IntVar(&q.limit, "limit", 0, "stop after this many matches (0: no limit)")
	fs.BoolVar(&q.count, "count", false, "print only the number of matches")
	fs.IntVar(&q.workers, "workers", 0, "files evaluated in parallel (default: number of CPUs)")
	q.registerVerified(fs)
}

func (q *queryFlags) registerVerified(fs *flag.FlagSet) {
	fs.BoolVar(&q.verifiedOnly, "verified-only", false, "only events from source objects that ingest --verify found valid against the trail's digests")
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
		fmt.Fprintf(e.stderr, "warning: %s\n", sanitize(w.Msg))
	}
	for _, w := range query.Lint(p, nil) {
		fmt.Fprintf(e.stderr, "warning: %s\n", sanitize(w.Msg))
	}
	return p, nil
}

func (q *queryFlags) options() (query.Options, error) {
	now := time.Now()
	var o query.Options
	var err error
	if o.Since, err = parseTimeBound(q.since, now); err != nil {
		return o, usagef("--since: %v", err)
	}
	if o.Until, err = parseTimeBound(q.until, now); err != nil {
		return o, usagef("--until: %v", err)
	}
	o.Accounts, o.Regions = splitList(q.accounts), splitList(q.regions)
	for _, a := range o.Accounts {
		if !partition.ValidAccount(a) {
			return o, usagef("--accounts: %q is not a 12-digit account id", a)
		}
	}
	for _, r := range o.Regions {
		if !partition.ValidRegion(r) {
			return o, usagef("--regions: %q is not a region name", r)
		}
	}
	o.Limit, o.CountOnly, o.Workers = q.limit, q.count, q.workers
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

// prepare parses the pattern, plans it and opens the lake: the shared front
// half of query, count and explain.
func prepare(ctx context.Context, e *env, q *queryFlags, pattern string, countOnly bool) (*prepared, error) {
	if e.getenv("GOGC") == "" {
		// Queries keep little live memory (tens of MiB) but allocate per
		// file; collecting less often is measurably faster (bench/RESULTS.md).
		debug.SetGCPercent(400)
	}
	p, err := parsePattern(e, pattern)
	if err != nil {
		return nil, err
	}
	opts, err := q.options()
	if err != nil {
		return nil, err
	}
	opts.CountOnly = opts.CountOnly || countOnly
	lake, err := openLake(ctx, e, q.lake, &q.aws)
	if err != nil {
		return nil, err
	}
	snap, err := q.snapshot(ctx, e, lake, &opts)
	if err != nil {
		return nil, err
	}
	opts.Footers = footerCache(lake)
	plan, err := query.NewPlan(p.Root, opts)
	if err != nil {
		return nil, err
	}
	return &prepared{pattern: p, opts: opts, plan: plan, lake: lake, snap: snap}, nil
}

// footerCache returns the local cache of data file footers for a remote
// lake: <user cache dir>/ctq/footers (e.g. ~/.cache/ctq/footers), at most
// 64 MiB. A local lake reads its footers directly: nil.
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
func (q *queryFlags) snapshot(ctx context.Context, e *env, lake *partition.Lake, opts *query.Options) (*partition.Snapshot, error) {
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

func (pr *prepared) run(ctx context.Context, emit func(query.Match) error) (*query.Stats, error) {
	return pr.plan.Run(ctx, pr.lake, pr.snap, emit)
}

// parseCommand parses a pattern command's flags and its one PATTERN.
func parseCommand(e *env, fs *flag.FlagSet, args []string, usage string) (string, error) {
	pos, err := parseCommandArgs(e, fs, args, usage)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usagef("%s: want exactly one PATTERN (quote it), got %d arguments", fs.Name(), len(pos))
	}
	return pos[0], nil
}

func cmdQuery(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	var q queryFlags
	q.register(fs)
	pattern, err := parseCommand(e, fs, args, queryUsage)
	if err != nil {
		return err
	}
	output := q.output
	if output == "" {
		output = "json"
		if isTerminal(e.stdout) {
			output = "table"
		}
	}
	if output != "json" && output != "table" && output != "csv" {
		return usagef("--output %q: want json, table or csv", output)
	}
	fields := defaultFields
	if q.fields != "" {
		fields = splitList(q.fields)
	}
	pr, err := prepare(ctx, e, &q, pattern, false)
	if err != nil {
		return err
	}
	if q.count {
		st, err := pr.run(ctx, func(query.Match) error { return nil })
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, st.RowsMatched)
		return nil
	}
	w := newRecordWriter(e.stdout, output, fields)
	if _, err := pr.run(ctx, w.write); err != nil {
		return err
	}
	return w.flush()
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
				vals[i] = sanitize(v)
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
// newlines cannot break the layout, and long values are cut.
func tableCell(v string) string {
	v = sanitize(strings.ReplaceAll(v, "\t", " "))
	const maxCell = 80
	if r := []rune(v); len(r) > maxCell {
		v = string(r[:maxCell-1]) + "…"
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

const explainUsage = `ctq explain PATTERN [flags]

Prints the parsed pattern (as re-parseable text), the plan, and the pruning
figures of an actual run: partitions, files and row groups considered and
skipped, column chunks read, rows evaluated and rows matched.`

func cmdExplain(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	var q queryFlags
	q.register(fs)
	pattern, err := parseCommand(e, fs, args, explainUsage)
	if err != nil {
		return err
	}
	pr, err := prepare(ctx, e, &q, pattern, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "pattern: %s\n\nplan:\n%s\n", sanitize(pr.pattern.Root.String()), sanitizeLines(pr.plan.Explain()))
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
