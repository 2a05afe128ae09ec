package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/bench/internal/measure"
)

// Targets for ctq, checked against every peer (each DuckDB form, jq).
const (
	targetSpeedup = 5.0 // ctq events/s over DuckDB's
	targetRSSMiB  = 300.0
)

// toolResult is one measured conversion of the archive.
type toolResult struct {
	Name            string    `json:"name"`
	AllWallSeconds  []float64 `json:"allWallSeconds"` // every run; the fields below are the fastest run's
	WallSeconds     float64   `json:"wallSeconds"`    // the whole process, start to exit
	CPUSeconds      float64   `json:"cpuSeconds"`     // user + sys
	UserSeconds     float64   `json:"userSeconds"`
	SysSeconds      float64   `json:"sysSeconds"`
	CoresUsed       float64   `json:"coresUsed"` // cpu / wall
	PeakRSSMiB      float64   `json:"peakRssMiB"`
	Events          int64     `json:"events"` // records written, as the tool reports
	EventsPerSecond float64   `json:"eventsPerSecond"`
	MBPerSecond     float64   `json:"mbPerSecond"` // uncompressed JSON MB (1e6 bytes) per wall second
	OutputBytes     int64     `json:"outputBytes"` // Parquet bytes on disk
	OutputFiles     int       `json:"outputFiles"`
	BytesPerEvent   float64   `json:"bytesPerEvent"`
	Threads         string    `json:"threads"`
	// OtherCoresBusy is the CPU time the rest of the machine used during
	// the run, per wall second: above ~0.1 the numbers are disturbed.
	OtherCoresBusy float64 `json:"otherCoresBusy"`

	// ctq only: what its --json summary says.
	ReportedBytesWritten   int64   `json:"reportedBytesWritten,omitempty"`
	ReportedElapsedSeconds float64 `json:"reportedElapsedSeconds,omitempty"`
	// DuckDB only: the statement and its time inside the child process.
	SQL        string  `json:"sql,omitempty"`
	SQLSeconds float64 `json:"sqlSeconds,omitempty"`
}

func newToolResult(name string, u measure.Usage, events int64, a archiveInfo, outBytes int64) toolResult {
	w := u.Wall.Seconds()
	t := toolResult{
		Name: name, WallSeconds: w, CPUSeconds: u.CPU().Seconds(),
		UserSeconds: u.User.Seconds(), SysSeconds: u.Sys.Seconds(),
		PeakRSSMiB: u.PeakRSSMiB, Events: events, OutputBytes: outBytes,
	}
	if w > 0 {
		t.CoresUsed = t.CPUSeconds / w
		t.EventsPerSecond = float64(events) / w
		t.MBPerSecond = mb(a.RawJSONBytes) / w
		t.OtherCoresBusy = u.OtherCores()
	}
	if events > 0 {
		t.BytesPerEvent = float64(outBytes) / float64(events)
	}
	return t
}

// comparison is ctq against one DuckDB form.
type comparison struct {
	Against            string  `json:"against"`
	EventsPerSecondX   float64 `json:"eventsPerSecondRatio"` // ctq / DuckDB
	CPUSecondsX        float64 `json:"cpuSecondsRatio"`      // ctq / DuckDB
	PeakRSSX           float64 `json:"peakRssRatio"`         // ctq / DuckDB
	OutputBytesX       float64 `json:"outputBytesRatio"`     // ctq / DuckDB
	SpeedTargetMet     bool    `json:"speedTargetMet"`       // ratio >= targetSpeedup
	SpeedTargetPercent float64 `json:"speedTargetPercent"`   // how far along, in percent
}

// machine is the machine and the versions of the tools measured.
type machine struct {
	measure.Machine
	DuckDBVersion string `json:"duckdbVersion"`
	CtqVersion    string `json:"ctqVersion"`
}

type report struct {
	Command      string       `json:"command"`
	Reproduce    string       `json:"reproduce"`
	Started      time.Time    `json:"started"`
	Machine      machine      `json:"machine"`
	Archive      archiveInfo  `json:"archive"`
	Ctq          toolResult   `json:"ctq"`
	DuckDB       []toolResult `json:"duckdb"`
	JQ           *toolResult  `json:"jq,omitempty"` // zcat | jq -c '.Records[]', one run
	JQVersion    string       `json:"jqVersion,omitempty"`
	Comparisons  []comparison `json:"comparisons"` // ctq against each DuckDB form, then jq
	Targets      targets      `json:"targets"`
	Verification verification `json:"verification"`
}

// peers are the tools ctq is compared with, in table order.
func (r *report) peers() []toolResult {
	p := r.DuckDB
	if r.JQ != nil {
		p = append(p[:len(p):len(p)], *r.JQ)
	}
	return p
}

type targets struct {
	SpeedupAtLeast float64 `json:"eventsPerSecondRatioAtLeast"`
	RSSBelowMiB    float64 `json:"peakRssBelowMiB"`
	RSSMet         bool    `json:"rssMet"`
}

// finish derives the comparisons and target checks.
func (r *report) finish() {
	r.Targets = targets{SpeedupAtLeast: targetSpeedup, RSSBelowMiB: targetRSSMiB, RSSMet: r.Ctq.PeakRSSMiB < targetRSSMiB}
	r.Comparisons = nil
	for _, d := range r.peers() {
		c := comparison{
			Against:          d.Name,
			EventsPerSecondX: measure.Ratio(r.Ctq.EventsPerSecond, d.EventsPerSecond),
			CPUSecondsX:      measure.Ratio(r.Ctq.CPUSeconds, d.CPUSeconds),
			PeakRSSX:         measure.Ratio(r.Ctq.PeakRSSMiB, d.PeakRSSMiB),
			OutputBytesX:     measure.Ratio(float64(r.Ctq.OutputBytes), float64(d.OutputBytes)),
		}
		c.SpeedTargetMet = c.EventsPerSecondX >= targetSpeedup
		c.SpeedTargetPercent = 100 * c.EventsPerSecondX / targetSpeedup
		r.Comparisons = append(r.Comparisons, c)
	}
}

func (r *report) write(dir string, work ...string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create results dir: %w", err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := measure.WriteRedacted(filepath.Join(dir, "ingest.json"), append(b, '\n'), work...); err != nil {
		return fmt.Errorf("write ingest.json: %w", err)
	}
	if err := measure.WriteRedacted(filepath.Join(dir, "ingest.md"), []byte(r.markdown()), work...); err != nil {
		return fmt.Errorf("write ingest.md: %w", err)
	}
	return nil
}

// table is the results table in Markdown.
func (r *report) table() string {
	var b strings.Builder
	b.WriteString("| tool | wall s | cpu s | cores used | peak RSS MiB | events/s | JSON MB/s | output MB | bytes/event | ctq events/s ratio | other load (cores) |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	row := func(t toolResult, ratio string) {
		fmt.Fprintf(&b, "| %s | %.2f | %.2f | %.2f | %.0f | %.0f | %.1f | %.1f | %.0f | %s | %.2f |\n",
			t.Name, t.WallSeconds, t.CPUSeconds, t.CoresUsed, t.PeakRSSMiB, t.EventsPerSecond,
			t.MBPerSecond, mb(t.OutputBytes), t.BytesPerEvent, ratio, t.OtherCoresBusy)
	}
	row(r.Ctq, "1.00")
	for i, d := range r.peers() {
		row(d, fmt.Sprintf("%.2f", r.Comparisons[i].EventsPerSecondX))
	}
	return b.String()
}

func (r *report) markdown() string {
	var b strings.Builder
	a := r.Archive
	m := r.Machine
	fmt.Fprintf(&b, "# ctq ingest benchmark\n\n")
	fmt.Fprintf(&b, "Command: `%s`  \nReproduce: `%s`  \nStarted: %s\n\n", r.Command, r.Reproduce, r.Started.Format(time.RFC3339))
	fmt.Fprintf(&b, "Machine: %d cores (%s), %.1f GiB memory, %s, kernel %s, %s; %s; DuckDB %s (go-duckdb v1.8.5); %s\n\n",
		m.Cores, m.CPUModel, float64(m.MemoryMiB)/1024, m.OS, m.Kernel, m.PageFaults(), m.GoVersion, m.DuckDBVersion, m.CtqVersion)
	fmt.Fprintf(&b, "Archive (pkg/gen, seed %d, org %s): %d accounts x %d regions x %d days, %d objects, %d events (%d duplicates), %.1f MB JSON, %.1f MB gzip",
		a.Seed, a.OrgID, a.Accounts, len(a.Regions), a.Days, a.Objects, a.Events, a.Duplicates, mb(a.RawJSONBytes), mb(a.GzipBytes))
	if a.Reused {
		b.WriteString(" (reused from an earlier run)")
	}
	b.WriteString(".\n\n")
	b.WriteString(r.table())
	if len(r.Ctq.AllWallSeconds) > 1 {
		fmt.Fprintf(&b, "\nEach tool ran %d times, interleaved; the table shows each tool's fastest run. All wall times:\n\n", len(r.Ctq.AllWallSeconds))
		for _, t := range append([]toolResult{r.Ctq}, r.peers()...) {
			fmt.Fprintf(&b, "- %s: %s s\n", t.Name, joinFloats(t.AllWallSeconds))
		}
	}
	b.WriteString("\nWall time is the whole child process, start to exit; CPU is user+sys and peak RSS is ru_maxrss, both from wait4 rusage. ")
	b.WriteString("MB/s is uncompressed JSON MB (10^6 bytes) per wall second. Output MB are Parquet bytes on disk (ctq: zstd, one file per partition and commit; DuckDB: its default, Snappy, one file). ")
	b.WriteString("ctq and DuckDB both run with their default parallelism (threads = cores). ")
	b.WriteString("Other load is the CPU time the rest of the machine used during the run (from /proc/stat), in cores; above about 0.1 the run was disturbed.\n\n")
	for _, t := range append([]toolResult{r.Ctq}, r.peers()...) {
		if t.OtherCoresBusy > 0.1 {
			fmt.Fprintf(&b, "**Warning:** other processes kept %.2f of %d cores busy during the %s run; its numbers are disturbed.\n\n", t.OtherCoresBusy, r.Machine.Cores, t.Name)
		}
	}
	for _, d := range r.DuckDB {
		fmt.Fprintf(&b, "- %s (threads %s; %.2f s inside the statement):\n  `%s`\n", d.Name, d.Threads, d.SQLSeconds, d.SQL)
	}
	if r.JQ != nil {
		fmt.Fprintf(&b, "- %s (%s, one run; output is one JSON record per line):\n  `%s`\n", r.JQ.Name, r.JQVersion, r.JQ.SQL)
	}
	fmt.Fprintf(&b, "- ctq: `ctq ingest ARCHIVE --lake LAKE --json` (its summary: %.2f s elapsed, %d bytes written)\n\n",
		r.Ctq.ReportedElapsedSeconds, r.Ctq.ReportedBytesWritten)
	b.WriteString("Targets for ctq:\n\n")
	for _, c := range r.Comparisons {
		fmt.Fprintf(&b, "- events/s >= %.0fx %s: %.2fx, %s\n", targetSpeedup, c.Against, c.EventsPerSecondX, metWord(c.SpeedTargetMet))
	}
	fmt.Fprintf(&b, "- peak RSS < %.0f MiB: %.1f MiB, %s\n\n", targetRSSMiB, r.Ctq.PeakRSSMiB, metWord(r.Targets.RSSMet))
	fmt.Fprintf(&b, "Verification (against counts from streaming the source archive in Go): %s\n\n", passWord(r.Verification.Passed))
	b.WriteString("| check | want | got | ok |\n|---|---|---|---|\n")
	for _, c := range r.Verification.Checks {
		fmt.Fprintf(&b, "| %s | %s | %s | %v |\n", c.Name, mdCell(c.Want), mdCell(c.Got), c.OK)
	}
	return b.String()
}

func joinFloats(fs []float64) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = fmt.Sprintf("%.2f", f)
	}
	return strings.Join(s, ", ")
}

func mdCell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }

func metWord(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func passWord(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// machineInfo describes the machine and the tool versions.
func machineInfo(ctx context.Context, db *sql.DB, ctqBin string) (machine, error) {
	m := machine{Machine: measure.DescribeMachine()}
	if err := db.QueryRowContext(ctx, "SELECT version()").Scan(&m.DuckDBVersion); err != nil {
		return m, fmt.Errorf("DuckDB version: %w", err)
	}
	v, err := measure.ToolVersion(ctx, ctqBin, "version")
	if err != nil {
		return m, err
	}
	m.CtqVersion = v
	return m, nil
}
