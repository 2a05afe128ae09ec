package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/bench/internal/measure"
)

// Targets for ctq.
const (
	targetCtqOverDuckDB = 1.0  // ctq wall / DuckDB wall, at most
	targetJQOverCtq     = 50.0 // jq wall / ctq wall, at least
)

type report struct {
	Command              string         `json:"command"`
	Reproduce            string         `json:"reproduce"`
	Started              time.Time      `json:"started"`
	ElapsedSeconds       float64        `json:"elapsedSeconds"`
	Smoke                bool           `json:"smoke"`
	Runs                 int            `json:"runs"` // measured runs of ctq and of DuckDB per query
	Machine              machine        `json:"machine"`
	DuckDBVersion        string         `json:"duckdbVersion"`
	DuckDBThreads        int            `json:"duckdbThreads"`        // as requested
	DuckDBThreadsSetting string         `json:"duckdbThreadsSetting"` // current_setting('threads') in the child
	JQVersion            string         `json:"jqVersion,omitempty"`
	CtqBinary            string         `json:"ctqBinary"`
	CtqBuild             ctqBuild       `json:"ctqBuild"`
	Archive              archiveInfo    `json:"archive"`
	Lake                 lakeInfo       `json:"lake"`
	Params               params         `json:"params"`
	Queries              []*queryResult `json:"queries"`
	Summary              summary        `json:"summary"`
	Failures             []string       `json:"failures"`
	Passed               bool           `json:"passed"`
}

// ctqBuild identifies the measured ctq binary.
type ctqBuild struct {
	SHA256           string    `json:"sha256"`
	SourceNewest     time.Time `json:"sourceNewest,omitzero"`      // when built here: the newest .go file's mtime
	SourceNewestFile string    `json:"sourceNewestFile,omitempty"` // and its path
}

type archiveInfo struct {
	Dir          string `json:"dir"`
	Generated    bool   `json:"generated"` // by this run
	Objects      int    `json:"objects"`   // every object under AWSLogs/
	Events       int    `json:"events,omitempty"`
	GzipBytes    int64  `json:"gzipBytes"`
	RawJSONBytes int64  `json:"rawJsonBytes,omitempty"`
}

type lakeInfo struct {
	Dir            string  `json:"dir"`
	Reused         bool    `json:"reused"` // it already had _ctq/log
	IngestSeconds  float64 `json:"ingestSeconds,omitempty"`
	IngestedEvents int64   `json:"ingestedEvents,omitempty"`
	Bytes          int64   `json:"parquetBytes"`
	Files          int     `json:"files"`
	Partitions     int     `json:"partitions"`
	RowGroups      int64   `json:"rowGroups"`
	Rows           int64   `json:"rows"`
	InexactRows    int64   `json:"inexactRows"` // ctqExact = false: the SQL forms assume 0
}

// machine is the machine and the ctq version (the other tools' versions
// are beside it in the report).
type machine struct {
	measure.Machine
	CtqVersion string `json:"ctqVersion"`
}

// runSet is every measured run of one tool on one query.
type runSet struct {
	BestWallSeconds float64   `json:"bestWallSeconds"`
	AllWallSeconds  []float64 `json:"allWallSeconds"`
	Counts          []int64   `json:"counts"`
	// The fastest run's CPU time (user + sys) and peak RSS.
	BestCPUSeconds float64 `json:"bestCpuSeconds"`
	BestPeakRSSMiB float64 `json:"bestPeakRssMiB"`
	// OtherCoresBusy is, per run, the CPU time the rest of the machine used
	// during the run per wall second (above ~0.1 the run was disturbed).
	OtherCoresBusy []float64 `json:"otherCoresBusy"`
	// InnerSeconds (DuckDB) is, per run, the statement's time inside the
	// child, without process start and DuckDB's initialization.
	InnerSeconds []float64 `json:"innerSeconds,omitempty"`
	// Throughput of the fastest run over the whole data set, whatever the
	// query reads of it: the lake's events per wall second, and the
	// archive's uncompressed JSON bytes (10^6) per wall second. ctq and
	// DuckDB read the lake, jq the archive; both hold the same records.
	EventsPerSecond float64 `json:"eventsPerSecond"`
	JSONMBPerSecond float64 `json:"jsonMBPerSecond,omitempty"`
}

// throughput fills the throughput fields from the data set's size.
func (s *runSet) throughput(events, jsonBytes int64) {
	if s.BestWallSeconds <= 0 {
		return
	}
	s.EventsPerSecond = math.Round(float64(events) / s.BestWallSeconds)
	s.JSONMBPerSecond = round3(mb(jsonBytes) / s.BestWallSeconds)
}

func (s *runSet) add(m measurement) {
	w := m.Wall.Seconds()
	if len(s.AllWallSeconds) == 0 || w < s.BestWallSeconds {
		s.BestWallSeconds = w
		s.BestCPUSeconds = m.CPU().Seconds()
		s.BestPeakRSSMiB = m.PeakRSSMiB
	}
	s.AllWallSeconds = append(s.AllWallSeconds, round3(w))
	s.Counts = append(s.Counts, m.count)
	s.OtherCoresBusy = append(s.OtherCoresBusy, round3(m.OtherCores()))
	if m.innerSeconds > 0 {
		s.InnerSeconds = append(s.InnerSeconds, round3(m.innerSeconds))
	}
}

type queryResult struct {
	query
	CtqCommand    string          `json:"ctqCommand"`
	SQL           string          `json:"sql"`
	JQCommand     string          `json:"jqCommand,omitempty"`
	Explain       *explainFigures `json:"explain"`
	Ctq           runSet          `json:"ctq"`
	DuckDB        runSet          `json:"duckdb"`
	JQ            *runSet         `json:"jq,omitempty"`
	Count         int64           `json:"count"`
	Identical     bool            `json:"identical"`
	CtqOverDuckDB float64         `json:"ctqOverDuckdb"`
	JQOverCtq     float64         `json:"jqOverCtq,omitempty"`
	// The fastest runs' CPU time (user + sys) and peak RSS, as ratios.
	CPUCtqOverDuckDB float64 `json:"cpuCtqOverDuckdb"`
	RSSCtqOverDuckDB float64 `json:"peakRssCtqOverDuckdb"`
	CPUJQOverCtq     float64 `json:"cpuJqOverCtq,omitempty"`
	CtqTargetMet     bool    `json:"ctqTargetMet"` // ctqOverDuckdb <= 1.0
	JQTargetMet      bool    `json:"jqTargetMet"`  // jqOverCtq >= 50
}

type summary struct {
	Queries              int     `json:"queries"`
	Identical            int     `json:"identical"`
	CtqNotSlower         int     `json:"ctqNotSlowerThanDuckdb"`
	GeomeanCtqOverDuckDB float64 `json:"geomeanCtqOverDuckdb"`
	JQTargetMet          int     `json:"jqTargetMet,omitempty"`
	GeomeanJQOverCtq     float64 `json:"geomeanJqOverCtq,omitempty"`
}

// finish compares the counts and computes the ratios.
func (r *report) finish() {
	r.ElapsedSeconds = round3(time.Since(r.Started).Seconds())
	r.Failures = []string{}
	var logCtq, logJQ float64
	for _, q := range r.Queries {
		counts := map[string][]int64{"ctq": q.Ctq.Counts, "duckdb": q.DuckDB.Counts}
		if q.Explain != nil {
			counts["ctq explain"] = []int64{q.Explain.RowsMatched}
		}
		if q.JQ != nil {
			counts["jq"] = q.JQ.Counts
		}
		q.Count = q.Ctq.Counts[0]
		q.Identical = true
		for _, cs := range counts {
			for _, c := range cs {
				if c != q.Count {
					q.Identical = false
				}
			}
		}
		if !q.Identical {
			var parts []string
			for _, tool := range []string{"ctq", "ctq explain", "duckdb", "jq"} {
				if cs, ok := counts[tool]; ok {
					parts = append(parts, fmt.Sprintf("%s %v", tool, cs))
				}
			}
			r.Failures = append(r.Failures, fmt.Sprintf("%s %s: %s (pattern %s)", q.ID, q.Name, strings.Join(parts, ", "), q.Pattern))
		} else {
			r.Summary.Identical++
		}
		q.CtqOverDuckDB = round3(q.Ctq.BestWallSeconds / q.DuckDB.BestWallSeconds)
		q.CPUCtqOverDuckDB = round3(measure.Ratio(q.Ctq.BestCPUSeconds, q.DuckDB.BestCPUSeconds))
		q.RSSCtqOverDuckDB = round3(measure.Ratio(q.Ctq.BestPeakRSSMiB, q.DuckDB.BestPeakRSSMiB))
		q.Ctq.throughput(r.Lake.Rows, r.Archive.RawJSONBytes)
		q.DuckDB.throughput(r.Lake.Rows, r.Archive.RawJSONBytes)
		q.CtqTargetMet = q.CtqOverDuckDB <= targetCtqOverDuckDB
		if q.CtqTargetMet {
			r.Summary.CtqNotSlower++
		}
		logCtq += math.Log(q.Ctq.BestWallSeconds / q.DuckDB.BestWallSeconds)
		if q.JQ != nil {
			q.JQOverCtq = round3(q.JQ.BestWallSeconds / q.Ctq.BestWallSeconds)
			q.CPUJQOverCtq = round3(measure.Ratio(q.JQ.BestCPUSeconds, q.Ctq.BestCPUSeconds))
			q.JQ.throughput(r.Lake.Rows, r.Archive.RawJSONBytes)
			q.JQTargetMet = q.JQOverCtq >= targetJQOverCtq
			if q.JQTargetMet {
				r.Summary.JQTargetMet++
			}
			logJQ += math.Log(q.JQ.BestWallSeconds / q.Ctq.BestWallSeconds)
		}
		q.Ctq.BestWallSeconds = round3(q.Ctq.BestWallSeconds)
		q.DuckDB.BestWallSeconds = round3(q.DuckDB.BestWallSeconds)
		if q.JQ != nil {
			q.JQ.BestWallSeconds = round3(q.JQ.BestWallSeconds)
		}
	}
	n := len(r.Queries)
	r.Summary.Queries = n
	r.Summary.GeomeanCtqOverDuckDB = round3(math.Exp(logCtq / float64(n)))
	if logJQ != 0 {
		r.Summary.GeomeanJQOverCtq = round3(math.Exp(logJQ / float64(n)))
	}
	r.Passed = len(r.Failures) == 0
}

func (r *report) write(dir string, work ...string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create results dir: %w", err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := measure.WriteRedacted(filepath.Join(dir, "query.json"), append(b, '\n'), work...); err != nil {
		return err
	}
	return measure.WriteRedacted(filepath.Join(dir, "query.md"), []byte(r.markdown()), work...)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "**NO**"
}

func secs(v float64) string {
	switch {
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

func ratio(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// table is the main table, as Markdown.
func (r *report) table() string {
	var b strings.Builder
	b.WriteString("| # | query | ctq best s | DuckDB best s | ctq/DuckDB (target <= 1.0) | jq s | jq/ctq (target >= 50) | count | identical |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|---|\n")
	for _, q := range r.Queries {
		jqS, jqR := "-", "-"
		if q.JQ != nil {
			jqS, jqR = secs(q.JQ.BestWallSeconds), ratio(q.JQOverCtq)
			if !q.JQTargetMet {
				jqR += " (missed)"
			}
		}
		ctqR := ratio(q.CtqOverDuckDB)
		if !q.CtqTargetMet {
			ctqR = "**" + ctqR + "**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %d | %s |\n", q.ID, mdEscape(q.Name),
			secs(q.Ctq.BestWallSeconds), secs(q.DuckDB.BestWallSeconds), ctqR, jqS, jqR, q.Count, yesNo(q.Identical))
	}
	return b.String()
}

// costTable is, per query, each tool's CPU time and peak RSS (fastest
// run) with the ratios, and its throughput over the whole data set.
func (r *report) costTable() string {
	var b strings.Builder
	b.WriteString("CPU = user + sys of the measured process (jq: of the whole pipeline); peak RSS = its largest process. ")
	b.WriteString("Throughput = the data set's events (or uncompressed JSON MB) per wall second, whatever the query reads of it.\n\n")
	b.WriteString("| # | ctq CPU s | DuckDB CPU s | ctq/DuckDB CPU | jq CPU s | jq/ctq CPU | ctq RSS MiB | DuckDB RSS MiB | ctq/DuckDB RSS | jq RSS MiB | ctq events/s | ctq JSON MB/s | DuckDB events/s | jq events/s |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, q := range r.Queries {
		jqCPU, jqR, jqRSS, jqEv := "-", "-", "-", "-"
		if q.JQ != nil {
			jqCPU, jqR = secs(q.JQ.BestCPUSeconds), ratio(q.CPUJQOverCtq)
			jqRSS, jqEv = fmt.Sprintf("%.0f", q.JQ.BestPeakRSSMiB), fmt.Sprintf("%.0f", q.JQ.EventsPerSecond)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %.0f | %.0f | %s | %s | %.0f | %.0f | %.0f | %s |\n", q.ID,
			secs(q.Ctq.BestCPUSeconds), secs(q.DuckDB.BestCPUSeconds), ratio(q.CPUCtqOverDuckDB), jqCPU, jqR,
			q.Ctq.BestPeakRSSMiB, q.DuckDB.BestPeakRSSMiB, ratio(q.RSSCtqOverDuckDB), jqRSS,
			q.Ctq.EventsPerSecond, q.Ctq.JSONMBPerSecond, q.DuckDB.EventsPerSecond, jqEv)
	}
	return b.String()
}

func (r *report) markdown() string {
	var b strings.Builder
	m := r.Machine
	title := "ctq query benchmark"
	if r.Smoke {
		title += " (smoke run: a few thousand events, for CI; not a measurement)"
	}
	fmt.Fprintf(&b, "# %s\n\n", title)
	fmt.Fprintf(&b, "Generated by `bench/cmd/ctqquery` on %s (%.0f s in all).\n\n", r.Started.Format(time.RFC3339), r.ElapsedSeconds)
	fmt.Fprintf(&b, "**Machine:** %d cores, %.1f GiB memory, %s, %s, kernel %s, %s; Go %s; DuckDB %s (go-duckdb v1.8.5, threads = %s); %s; %s.\n\n",
		m.Cores, float64(m.MemoryMiB)/1024, m.CPUModel, m.OS, m.Kernel, m.PageFaults(), m.GoVersion, r.DuckDBVersion, r.DuckDBThreadsSetting, orDash(r.JQVersion), m.CtqVersion)
	fmt.Fprintf(&b, "**ctq build:** sha256 %s", r.CtqBuild.SHA256[:16])
	if !r.CtqBuild.SourceNewest.IsZero() {
		fmt.Fprintf(&b, ", built by this run from the source as of %s (newest file %s)", r.CtqBuild.SourceNewest.Format(time.RFC3339), r.CtqBuild.SourceNewestFile)
	}
	b.WriteString(".\n\n")
	a, l := r.Archive, r.Lake
	fmt.Fprintf(&b, "**Archive:** `%s`: %d objects, %.1f MB gzip", a.Dir, a.Objects, mb(a.GzipBytes))
	if a.RawJSONBytes > 0 {
		fmt.Fprintf(&b, ", %.1f MB JSON", mb(a.RawJSONBytes))
	}
	if a.Events > 0 {
		fmt.Fprintf(&b, ", %d events", a.Events)
	}
	b.WriteString(".\n\n")
	fmt.Fprintf(&b, "**Lake:** `%s`: **%.1f MB** of Parquet (%.0f bytes/row) in %d files, %d partitions, %d row groups, %d rows (%d with ctqExact = false)",
		l.Dir, mb(l.Bytes), float64(l.Bytes)/float64(max(l.Rows, 1)), l.Files, l.Partitions, l.RowGroups, l.Rows, l.InexactRows)
	if l.Reused {
		b.WriteString("; reused (already ingested).\n\n")
	} else {
		fmt.Fprintf(&b, "; ingested by this run in %.1f s.\n\n", l.IngestSeconds)
	}
	fmt.Fprintf(&b, "**Method:** every ctq run is a fresh `ctq query PATTERN --lake LAKE --count` process; every DuckDB run a fresh child process "+
		"(this binary re-executed) running one `SELECT count(*) FROM read_parquet(LAKE/account=*/region=*/day=*/*.parquet, hive_partitioning) WHERE ...` over the same files. "+
		"Times are process wall times (start to exit). %d measured run(s) per tool and query, ctq and DuckDB interleaved (alternating which goes first), "+
		"the page cache warmed first; the best run is shown, all runs below. jq: one run of `zcat | jq -c '.Records[] | select(...)' | wc -l` over the archive's log objects. "+
		"The counts of all runs and tools must be identical.\n\n", r.Runs)
	fmt.Fprintf(&b, "**Parameters picked from the data:** account %s, region %s, day %s (query q8), eventID %s (q13).\n\n", r.Params.Account, r.Params.Region, r.Params.Day, r.Params.EventID)

	b.WriteString("## Results\n\n")
	b.WriteString(r.table())
	s := r.Summary
	fmt.Fprintf(&b, "\nIdentical counts: %d of %d queries. ctq at least as fast as DuckDB: %d of %d (geometric mean ctq/DuckDB %.2f).", s.Identical, s.Queries, s.CtqNotSlower, s.Queries, s.GeomeanCtqOverDuckDB)
	if s.GeomeanJQOverCtq > 0 {
		fmt.Fprintf(&b, " jq/ctq >= 50: %d of %d (geometric mean %.0f).", s.JQTargetMet, s.Queries, s.GeomeanJQOverCtq)
	}
	b.WriteString("\n")
	if len(r.Failures) > 0 {
		b.WriteString("\n**Count differences:**\n\n")
		for _, f := range r.Failures {
			fmt.Fprintf(&b, "- %s\n", mdEscape(f))
		}
	}

	b.WriteString("\n## Cost and throughput\n\n")
	b.WriteString(r.costTable())

	b.WriteString("\n## All runs\n\n")
	b.WriteString("Wall seconds of every run in order; other load = CPU time the rest of the machine used during the run, in cores.\n\n")
	b.WriteString("| # | ctq runs s | ctq CPU s, peak RSS MiB (best) | ctq other load | DuckDB runs s | DuckDB SQL inside the child s | DuckDB CPU s, peak RSS MiB (best) | DuckDB other load |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, q := range r.Queries {
		fmt.Fprintf(&b, "| %s | %s | %.2f, %.0f | %s | %s | %s | %.2f, %.0f | %s |\n", q.ID,
			floats(q.Ctq.AllWallSeconds), q.Ctq.BestCPUSeconds, q.Ctq.BestPeakRSSMiB, floats(q.Ctq.OtherCoresBusy),
			floats(q.DuckDB.AllWallSeconds), floats(q.DuckDB.InnerSeconds), q.DuckDB.BestCPUSeconds, q.DuckDB.BestPeakRSSMiB, floats(q.DuckDB.OtherCoresBusy))
	}

	b.WriteString("\n## ctq explain: pruning figures\n\n")
	b.WriteString("From `ctq explain PATTERN --lake LAKE [flags]` (one run each, count-only like `--count`).\n\n")
	b.WriteString("| # | partitions (skipped) | files (skipped) | row groups (skipped) | column chunks read | rows evaluated | re-evaluated from raw | matched | explain run s |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, q := range r.Queries {
		e := q.Explain
		fmt.Fprintf(&b, "| %s | %d (%d) | %d (%d) | %d (%d) | %d | %d | %d | %d | %s |\n", q.ID,
			e.Partitions, e.PartitionsSkipped, e.Files, e.FilesSkipped, e.RowGroups, e.RowGroupsSkipped,
			e.ColumnChunksRead, e.RowsEvaluated, e.RowsReevaluatedRaw, e.RowsMatched, secs(e.RunSeconds))
	}

	b.WriteString("\n## The queries\n\n")
	for _, q := range r.Queries {
		fmt.Fprintf(&b, "### %s: %s\n\n%s.\n\n", q.ID, q.Name, q.Why)
		fmt.Fprintf(&b, "```sh\n%s\n```\n\n", q.CtqCommand)
		fmt.Fprintf(&b, "```sql\n%s\n```\n\n", q.SQL)
		if q.JQCommand != "" {
			fmt.Fprintf(&b, "```sh\n%s\n```\n\n", q.JQCommand)
		}
		if q.Explain != nil && q.Explain.Plan != "" {
			fmt.Fprintf(&b, "ctq's plan:\n\n```text\n%s\n```\n\n", q.Explain.Plan)
		}
	}

	b.WriteString("## Reproduce\n\n")
	fmt.Fprintf(&b, "```sh\n%s\n```\n\n", r.Reproduce)
	fmt.Fprintf(&b, "This run: `%s`. Machine-readable results: `query.json` beside this file.\n", r.Command)
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "jq not run"
	}
	return s
}

func floats(v []float64) string {
	if len(v) == 0 {
		return "-"
	}
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = secs(x)
	}
	return strings.Join(parts, ", ")
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func machineInfo(ctx context.Context, ctq string) (machine, error) {
	m := machine{Machine: measure.DescribeMachine()}
	v, err := measure.ToolVersion(ctx, ctq, "version")
	if err != nil {
		return m, err
	}
	m.CtqVersion = v
	return m, nil
}
