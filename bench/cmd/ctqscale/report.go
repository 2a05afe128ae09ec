package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/bench/internal/measure"
)

// The parts of ctqbench's ingest.json and ctqquery's query.json that the
// scale report uses. Those files are the harnesses' output contract; the
// full files stay beside scale.json, one directory per size.

type ingestTool struct {
	Name            string  `json:"name"`
	WallSeconds     float64 `json:"wallSeconds"`
	CPUSeconds      float64 `json:"cpuSeconds"`
	PeakRSSMiB      float64 `json:"peakRssMiB"`
	EventsPerSecond float64 `json:"eventsPerSecond"`
	MBPerSecond     float64 `json:"mbPerSecond"`
	OutputBytes     int64   `json:"outputBytes"`
	OtherCoresBusy  float64 `json:"otherCoresBusy"`
}

type ingestReport struct {
	Machine struct {
		measure.Machine
		DuckDBVersion string `json:"duckdbVersion"`
		CtqVersion    string `json:"ctqVersion"`
	} `json:"machine"`
	Archive struct {
		Events       int64 `json:"events"`
		Days         int   `json:"days"`
		Objects      int   `json:"objects"`
		RawJSONBytes int64 `json:"rawJsonBytes"`
		GzipBytes    int64 `json:"gzipBytes"`
	} `json:"archive"`
	Ctq         ingestTool   `json:"ctq"`
	DuckDB      []ingestTool `json:"duckdb"`
	JQ          *ingestTool  `json:"jq"`
	Comparisons []struct {
		Against          string  `json:"against"`
		EventsPerSecondX float64 `json:"eventsPerSecondRatio"`
		CPUSecondsX      float64 `json:"cpuSecondsRatio"`
		PeakRSSX         float64 `json:"peakRssRatio"`
	} `json:"comparisons"`
	Verification struct {
		Passed   bool     `json:"passed"`
		Failures []string `json:"failures"`
	} `json:"verification"`
}

type queryRuns struct {
	BestWallSeconds float64   `json:"bestWallSeconds"`
	BestCPUSeconds  float64   `json:"bestCpuSeconds"`
	BestPeakRSSMiB  float64   `json:"bestPeakRssMiB"`
	EventsPerSecond float64   `json:"eventsPerSecond"`
	OtherCoresBusy  []float64 `json:"otherCoresBusy"`
}

type queryOne struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	Ctq           queryRuns  `json:"ctq"`
	DuckDB        queryRuns  `json:"duckdb"`
	JQ            *queryRuns `json:"jq"`
	Count         int64      `json:"count"`
	Identical     bool       `json:"identical"`
	CtqOverDuckDB float64    `json:"ctqOverDuckdb"`
	JQOverCtq     float64    `json:"jqOverCtq"`
	Explain       struct {
		Files         int64   `json:"files"`
		FilesSkipped  int64   `json:"filesSkipped"`
		RowsEvaluated int64   `json:"rowsEvaluated"`
		RunSeconds    float64 `json:"runSeconds"` // the plan's run, without process start and manifest replay
	} `json:"explain"`
}

type queryReport struct {
	DuckDBVersion string `json:"duckdbVersion"`
	JQVersion     string `json:"jqVersion"`
	Lake          struct {
		Rows       int64 `json:"rows"`
		Files      int   `json:"files"`
		Partitions int   `json:"partitions"`
		Bytes      int64 `json:"parquetBytes"`
	} `json:"lake"`
	Params struct {
		Account string `json:"account"`
		Region  string `json:"region"`
		Day     string `json:"day"`
	} `json:"params"`
	Queries []queryOne `json:"queries"`
	Summary struct {
		GeomeanCtqOverDuckDB float64 `json:"geomeanCtqOverDuckdb"`
		GeomeanJQOverCtq     float64 `json:"geomeanJqOverCtq"`
	} `json:"summary"`
	Failures []string `json:"failures"`
}

// point is one archive size.
type point struct {
	Events int          `json:"events"`
	Days   int          `json:"days"`
	Dir    string       `json:"dir"` // full results, relative to scale.json
	JQ     bool         `json:"jq"`  // jq ran at this size
	Note   string       `json:"note,omitempty"`
	Ingest ingestReport `json:"ingest"`
	Query  queryReport  `json:"query"`
}

type report struct {
	Command      string    `json:"command"`
	Reproduce    string    `json:"reproduce"`
	Started      time.Time `json:"started"`
	Elapsed      float64   `json:"elapsedSeconds"`
	Smoke        bool      `json:"smoke"`
	EventsPerDay int       `json:"eventsPerDay"`
	IngestRuns   int       `json:"ingestRuns"`
	QueryRuns    int       `json:"queryRuns"`
	JQMaxEvents  int       `json:"jqMaxEvents"`
	// The longest waits for a quiet machine before each measured ingest
	// and query run.
	QuietWaitSeconds      float64  `json:"quietWaitSeconds"`
	QueryQuietWaitSeconds float64  `json:"queryQuietWaitSeconds"`
	Points                []*point `json:"points"`
	// PlotsRel is where the PNGs are, relative to scale.md.
	PlotsRel string `json:"plotsRel"`
	// Growth compares the largest size with the smallest: how much each
	// figure grew while the archive grew EventsX times.
	Growth   growth   `json:"growth"`
	Failures []string `json:"failures"`
	Passed   bool     `json:"passed"`
}

type growth struct {
	EventsX          float64            `json:"eventsX"`
	IngestWallX      float64            `json:"ingestWallX"`
	IngestPeakRSSX   float64            `json:"ingestPeakRssX"`
	QueryWallX       map[string]float64 `json:"queryWallX"` // ctq, per query id
	QueryPeakRSSMaxX float64            `json:"queryPeakRssMaxX"`
}

// finish gathers the failures of every size and the growth figures.
func (r *report) finish() {
	r.Failures = []string{}
	for _, p := range r.Points {
		for _, f := range p.Ingest.Verification.Failures {
			r.Failures = append(r.Failures, fmt.Sprintf("%d events, ingest: %s", p.Events, f))
		}
		for _, f := range p.Query.Failures {
			r.Failures = append(r.Failures, fmt.Sprintf("%d events, query: %s", p.Events, f))
		}
	}
	r.Passed = len(r.Failures) == 0
	if len(r.Points) < 2 {
		return
	}
	a, z := r.Points[0], r.Points[len(r.Points)-1]
	g := growth{
		EventsX:          round2(float64(z.Events) / float64(a.Events)),
		IngestWallX:      round2(measure.Ratio(z.Ingest.Ctq.WallSeconds, a.Ingest.Ctq.WallSeconds)),
		IngestPeakRSSX:   round2(measure.Ratio(z.Ingest.Ctq.PeakRSSMiB, a.Ingest.Ctq.PeakRSSMiB)),
		QueryWallX:       map[string]float64{},
		QueryPeakRSSMaxX: round2(measure.Ratio(maxQueryRSS(z, "ctq"), maxQueryRSS(a, "ctq"))),
	}
	for _, qa := range a.Query.Queries {
		if qz := z.query(qa.ID); qz != nil {
			g.QueryWallX[qa.ID] = round2(measure.Ratio(qz.Ctq.BestWallSeconds, qa.Ctq.BestWallSeconds))
		}
	}
	r.Growth = g
}

func (p *point) query(id string) *queryOne {
	for i := range p.Query.Queries {
		if p.Query.Queries[i].ID == id {
			return &p.Query.Queries[i]
		}
	}
	return nil
}

// maxQueryRSS is the largest peak RSS of a tool over the suite.
func maxQueryRSS(p *point, tool string) float64 {
	m := 0.0
	for _, q := range p.Query.Queries {
		switch tool {
		case "ctq":
			m = max(m, q.Ctq.BestPeakRSSMiB)
		case "duckdb":
			m = max(m, q.DuckDB.BestPeakRSSMiB)
		}
	}
	return m
}

// medianOtherLoad is the median CPU load of other processes over every
// measured ctq and DuckDB query run at one size.
func medianOtherLoad(p *point) float64 {
	var all []float64
	for _, q := range p.Query.Queries {
		all = append(all, q.Ctq.OtherCoresBusy...)
		all = append(all, q.DuckDB.OtherCoresBusy...)
	}
	if len(all) == 0 {
		return 0
	}
	slices.Sort(all)
	return all[len(all)/2]
}

// duck returns the ingest result of one DuckDB form, or nil.
func (p *point) duck(name string) *ingestTool {
	for i := range p.Ingest.DuckDB {
		if p.Ingest.DuckDB[i].Name == name {
			return &p.Ingest.DuckDB[i]
		}
	}
	return nil
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// setPlotsRel records where plotsDir is seen from the report's dir.
func (r *report) setPlotsRel(dir, plotsDir string) {
	rel, err := filepath.Rel(dir, plotsDir)
	if a, aerr := filepath.Abs(dir); err != nil && aerr == nil {
		rel, err = filepath.Rel(a, plotsDir)
	}
	if err != nil {
		rel = filepath.Base(plotsDir)
	}
	r.PlotsRel = filepath.ToSlash(rel)
}

func (r *report) write(dir string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "scale.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "scale.md"), []byte(r.markdown()), 0o644)
}

// ingestTable is ingest time, CPU and memory per size, ctq against DuckDB.
func (r *report) ingestTable() string {
	var b strings.Builder
	b.WriteString("| events | days | JSON MB | ctq wall s | ctq CPU s | ctq peak RSS MiB | ctq events/s | ctq JSON MB/s | DuckDB typed wall s | DuckDB typed peak RSS MiB | ctq/DuckDB typed events/s | ctq/DuckDB typed RSS | DuckDB json wall s | ctq/DuckDB json events/s | zcat \\| jq wall s | ctq/jq events/s | other load (ctq run, cores) |\n")
	b.WriteString("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, p := range r.Points {
		c := p.Ingest.Ctq
		fmt.Fprintf(&b, "| %d | %d | %.0f | %.2f | %.2f | %.0f | %.0f | %.1f | ", p.Events, p.Days,
			float64(p.Ingest.Archive.RawJSONBytes)/1e6, c.WallSeconds, c.CPUSeconds, c.PeakRSSMiB, c.EventsPerSecond, c.MBPerSecond)
		if d := p.duck("duckdb-typed"); d != nil {
			fmt.Fprintf(&b, "%.2f | %.0f | %.2f | %.2f | ", d.WallSeconds, d.PeakRSSMiB,
				measure.Ratio(c.EventsPerSecond, d.EventsPerSecond), measure.Ratio(c.PeakRSSMiB, d.PeakRSSMiB))
		} else {
			b.WriteString("- | - | - | - | ")
		}
		if d := p.duck("duckdb-json"); d != nil {
			fmt.Fprintf(&b, "%.2f | %.2f | ", d.WallSeconds, measure.Ratio(c.EventsPerSecond, d.EventsPerSecond))
		} else {
			b.WriteString("- | - | ")
		}
		if j := p.Ingest.JQ; j != nil {
			fmt.Fprintf(&b, "%.1f | %.2f | ", j.WallSeconds, measure.Ratio(c.EventsPerSecond, j.EventsPerSecond))
		} else {
			b.WriteString("not run | - | ")
		}
		fmt.Fprintf(&b, "%.2f |\n", c.OtherCoresBusy)
	}
	return b.String()
}

// queryTable is each query's best ctq wall time per size, with DuckDB's
// and jq's at the largest size that ran them, and whether all answers
// agreed at every size.
func (r *report) queryTable() string {
	var b strings.Builder
	b.WriteString("ctq best wall seconds per lake size (DuckDB's in parentheses); all answers identical at every size unless marked.\n\n")
	b.WriteString("| # | query |")
	for _, p := range r.Points {
		fmt.Fprintf(&b, " %s |", humanEvents(p.Events))
	}
	if len(r.Points) > 1 {
		b.WriteString(" ctq growth |")
	}
	b.WriteString("\n|---|---|")
	for range r.Points {
		b.WriteString("--:|")
	}
	if len(r.Points) > 1 {
		b.WriteString("--:|")
	}
	b.WriteString("\n")
	if len(r.Points) == 0 {
		return b.String()
	}
	for _, q0 := range r.Points[0].Query.Queries {
		fmt.Fprintf(&b, "| %s | %s |", q0.ID, strings.ReplaceAll(q0.Name, "|", `\|`))
		for _, p := range r.Points {
			q := p.query(q0.ID)
			if q == nil {
				b.WriteString(" - |")
				continue
			}
			mark := ""
			if !q.Identical {
				mark = " **differs**"
			}
			fmt.Fprintf(&b, " %s (%s)%s |", secs(q.Ctq.BestWallSeconds), secs(q.DuckDB.BestWallSeconds), mark)
		}
		if len(r.Points) > 1 {
			fmt.Fprintf(&b, " %.2fx |", r.Growth.QueryWallX[q0.ID])
		}
		b.WriteString("\n")
	}
	b.WriteString("| | geometric mean ctq/DuckDB |")
	for _, p := range r.Points {
		fmt.Fprintf(&b, " %.2f |", p.Query.Summary.GeomeanCtqOverDuckDB)
	}
	if len(r.Points) > 1 {
		b.WriteString(" |")
	}
	b.WriteString("\n| | geometric mean jq/ctq |")
	for _, p := range r.Points {
		if p.JQ {
			fmt.Fprintf(&b, " %.0f |", p.Query.Summary.GeomeanJQOverCtq)
		} else {
			b.WriteString(" not run |")
		}
	}
	if len(r.Points) > 1 {
		b.WriteString(" |")
	}
	b.WriteString("\n| | median other load during the ctq and DuckDB runs (cores) |")
	for _, p := range r.Points {
		fmt.Fprintf(&b, " %.2f |", medianOtherLoad(p))
	}
	if len(r.Points) > 1 {
		b.WriteString(" |")
	}
	b.WriteString("\n| | largest peak RSS MiB, ctq (DuckDB) |")
	for _, p := range r.Points {
		fmt.Fprintf(&b, " %.0f (%.0f) |", maxQueryRSS(p, "ctq"), maxQueryRSS(p, "duckdb"))
	}
	if len(r.Points) > 1 {
		fmt.Fprintf(&b, " %.2fx |", r.Growth.QueryPeakRSSMaxX)
	}
	b.WriteString("\n")
	return b.String()
}

// headlinePoint is the size the headline table shows: the largest at
// which jq ran too (all peers in the same run), else the largest.
func (r *report) headlinePoint() *point {
	var h *point
	for _, p := range r.Points {
		if p.JQ || h == nil || !h.JQ {
			h = p
		}
	}
	return h
}

// ratioText prints a ratio with two significant decimals below 0.1.
func ratioText(v float64) string {
	if v < 0.1 {
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// headlineTable is one size's figures for every tool side by side: ingest
// cost and throughput, and the query suite's total and per-query ratios.
func headlineTable(p *point) string {
	var b strings.Builder
	in := p.Ingest
	tools := []*ingestTool{&in.Ctq, p.duck("duckdb-typed"), p.duck("duckdb-json"), in.JQ}
	cell := func(t *ingestTool, f func(*ingestTool) string) string {
		if t == nil {
			return "-"
		}
		return f(t)
	}
	ratios := func(f func(*ingestTool) float64) string {
		var parts []string
		for _, t := range tools[1:] {
			if t == nil {
				parts = append(parts, "-")
				continue
			}
			parts = append(parts, ratioText(measure.Ratio(f(&in.Ctq), f(t))))
		}
		return strings.Join(parts, " / ")
	}
	b.WriteString("| | ctq | DuckDB typed | DuckDB raw JSON | zcat \\| jq | ctq ÷ DuckDB typed / DuckDB raw JSON / jq |\n|---|--:|--:|--:|--:|--:|\n")
	rows := []struct {
		name string
		f    func(*ingestTool) float64
		fmt  string
	}{
		{"ingest wall s", func(t *ingestTool) float64 { return t.WallSeconds }, "%.1f"},
		{"ingest CPU s (user+sys)", func(t *ingestTool) float64 { return t.CPUSeconds }, "%.1f"},
		{"ingest peak RSS MiB", func(t *ingestTool) float64 { return t.PeakRSSMiB }, "%.0f"},
		{"ingest events/s", func(t *ingestTool) float64 { return t.EventsPerSecond }, "%.0f"},
		{"ingest JSON MB/s", func(t *ingestTool) float64 { return t.MBPerSecond }, "%.1f"},
	}
	for _, row := range rows {
		fmt.Fprintf(&b, "| %s |", row.name)
		for _, t := range tools {
			fmt.Fprintf(&b, " %s |", cell(t, func(t *ingestTool) string { return fmt.Sprintf(row.fmt, row.f(t)) }))
		}
		fmt.Fprintf(&b, " %s |\n", ratios(row.f))
	}
	var ctqSum, duckSum, jqSum, ctqCPU, duckCPU, jqCPU float64
	var ctqRSS, duckRSS, jqRSS float64
	same := 0
	for _, q := range p.Query.Queries {
		ctqSum += q.Ctq.BestWallSeconds
		duckSum += q.DuckDB.BestWallSeconds
		ctqCPU += q.Ctq.BestCPUSeconds
		duckCPU += q.DuckDB.BestCPUSeconds
		ctqRSS, duckRSS = max(ctqRSS, q.Ctq.BestPeakRSSMiB), max(duckRSS, q.DuckDB.BestPeakRSSMiB)
		if q.JQ != nil {
			jqSum += q.JQ.BestWallSeconds
			jqCPU += q.JQ.BestCPUSeconds
			jqRSS = max(jqRSS, q.JQ.BestPeakRSSMiB)
		}
		if q.Identical {
			same++
		}
	}
	jq := func(v float64, f string) string {
		if !p.JQ {
			return "not run"
		}
		return fmt.Sprintf(f, v)
	}
	qr := func(c, d, j float64) string {
		s := ratioText(measure.Ratio(c, d)) + " / - / "
		if p.JQ {
			return s + ratioText(measure.Ratio(c, j))
		}
		return s + "-"
	}
	n := len(p.Query.Queries)
	fmt.Fprintf(&b, "| %d queries: sum of best wall s | %.2f | %.2f | - | %s | %s |\n", n, ctqSum, duckSum, jq(jqSum, "%.0f"), qr(ctqSum, duckSum, jqSum))
	fmt.Fprintf(&b, "| %d queries: sum of CPU s | %.2f | %.2f | - | %s | %s |\n", n, ctqCPU, duckCPU, jq(jqCPU, "%.0f"), qr(ctqCPU, duckCPU, jqCPU))
	fmt.Fprintf(&b, "| %d queries: largest peak RSS MiB | %.0f | %.0f | - | %s | %s |\n", n, ctqRSS, duckRSS, jq(jqRSS, "%.0f"), qr(ctqRSS, duckRSS, jqRSS))
	gm := ratioText(p.Query.Summary.GeomeanCtqOverDuckDB) + " / - / -"
	if p.JQ && p.Query.Summary.GeomeanJQOverCtq > 0 {
		gm = ratioText(p.Query.Summary.GeomeanCtqOverDuckDB) + " / - / " + ratioText(1/p.Query.Summary.GeomeanJQOverCtq)
	}
	fmt.Fprintf(&b, "| queries: geometric mean of per-query wall ratios | | | | | %s |\n", gm)
	fmt.Fprintf(&b, "| queries: identical answers (ctq, DuckDB%s) | %d of %d | | | | |\n", map[bool]string{true: ", jq", false: ""}[p.JQ], same, n)
	return b.String()
}

func (r *report) markdown() string {
	var b strings.Builder
	title := "ctq scale benchmark"
	if r.Smoke {
		title += " (smoke run: tiny sizes, for CI; not a measurement)"
	}
	fmt.Fprintf(&b, "# %s\n\n", title)
	fmt.Fprintf(&b, "Generated by `bench/cmd/ctqscale` on %s (%.0f s in all).\n\n", r.Started.Format(time.RFC3339), r.Elapsed)
	if len(r.Points) > 0 {
		p := r.Points[0]
		m := p.Ingest.Machine
		fmt.Fprintf(&b, "**Machine:** %s. **Versions:** %s, DuckDB %s (go-duckdb v1.8.5), %s.\n\n",
			m.Machine, m.CtqVersion, m.DuckDBVersion, jqVersion(r))
	}
	fmt.Fprintf(&b, "**Archives:** pkg/gen (seed 20250314), 20 accounts x 4 regions (fewer below 100k events), about %d events per day: "+
		"a larger archive spans more days, as a real trail grows. Ingest: %d run(s) per tool and size, fastest shown. "+
		"Queries: %d run(s) of ctq and DuckDB per query and size, fastest shown; jq one run, at sizes up to %d events. "+
		"Before each measured run the harness waited for other processes to leave the CPUs idle, at most %.0f s (ingest) and %.0f s (queries); "+
		"the load of other processes during each run is recorded. "+
		"The time-bounded query (q8) uses the same account, region and 6-hour window at every size.\n\n",
		r.EventsPerDay, r.IngestRuns, r.QueryRuns, r.JQMaxEvents, r.QuietWaitSeconds, r.QueryQuietWaitSeconds)
	if h := r.headlinePoint(); h != nil {
		fmt.Fprintf(&b, "## Headline: %s events, every tool in the same run\n\n", humanEvents(h.Events))
		fmt.Fprintf(&b, "Archive: %d events over %d days, %.0f MB of JSON, %.0f MB gzipped. Lake: %d files, %.0f MB. Ratios are ctq's figure divided by the peer's: for times and memory below 1 means ctq is faster or smaller, for events/s and MB/s above 1 means ctq is faster.\n\n",
			h.Events, h.Days, float64(h.Ingest.Archive.RawJSONBytes)/1e6, float64(h.Ingest.Archive.GzipBytes)/1e6, h.Query.Lake.Files, float64(h.Query.Lake.Bytes)/1e6)
		b.WriteString(headlineTable(h))
		b.WriteString("\n")
	}
	b.WriteString("## Ingest\n\n")
	b.WriteString(r.ingestTable())
	if len(r.Points) > 1 {
		g := r.Growth
		fmt.Fprintf(&b, "\nFrom the smallest to the largest archive (%.1fx the events), ctq's ingest time grew %.2fx and its peak RSS %.2fx.\n", g.EventsX, g.IngestWallX, g.IngestPeakRSSX)
	}
	fmt.Fprintf(&b, "\n![ingest time and memory vs archive size](%s)\n\n", path.Join(r.PlotsRel, "scale-ingest.png"))
	b.WriteString("## Queries\n\n")
	b.WriteString(r.queryTable())
	fmt.Fprintf(&b, "\n![query time and memory vs lake size](%s)\n\n", path.Join(r.PlotsRel, "scale-query.png"))
	b.WriteString("## Per size\n\n")
	for _, p := range r.Points {
		l := p.Query.Lake
		fmt.Fprintf(&b, "- %d events, %d days: lake of %d files, %d partitions, %.1f MB; full results in `%s/` (ingest.md, query.md and their JSON).",
			p.Events, p.Days, l.Files, l.Partitions, float64(l.Bytes)/1e6, p.Dir)
		if p.Note != "" {
			b.WriteString(" Note: " + strings.ReplaceAll(p.Note, "\n", " "))
		}
		b.WriteString("\n")
	}
	if len(r.Failures) > 0 {
		b.WriteString("\n**Failures:**\n\n")
		for _, f := range r.Failures {
			fmt.Fprintf(&b, "- %s\n", strings.ReplaceAll(f, "\n", " "))
		}
	}
	fmt.Fprintf(&b, "\n## Reproduce\n\n```sh\n%s\n```\n\nThis run: `%s`.\n", r.Reproduce, r.Command)
	return b.String()
}

func jqVersion(r *report) string {
	for _, p := range r.Points {
		if p.Query.JQVersion != "" {
			return p.Query.JQVersion
		}
	}
	return "jq not run"
}

// humanEvents prints 250000 as 250k and 4000000 as 4M.
func humanEvents(n int) string {
	switch {
	case n >= 1_000_000 && n%100_000 == 0:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/1e6), ".0") + "M"
	case n >= 1000 && n%100 == 0:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/1e3), ".0") + "k"
	}
	return fmt.Sprint(n)
}

func secs(v float64) string {
	switch {
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}
