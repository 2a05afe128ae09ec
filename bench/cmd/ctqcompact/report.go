package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/bench/internal/measure"
)

type machine struct {
	Cores     int    `json:"cores"`
	MemoryMiB int64  `json:"memoryMiB"`
	CPUModel  string `json:"cpuModel"`
	GoVersion string `json:"goVersion"`
}

type lakeSummary struct {
	Partitions           int   `json:"partitions"`
	Files                int   `json:"files"`
	MaxFilesPerPartition int   `json:"maxFilesPerPartition"`
	Events               int64 `json:"events"`
	Bytes                int64 `json:"bytes"`
}

type compactFigures struct {
	Seconds         float64 `json:"seconds"`
	CPUSeconds      float64 `json:"cpuSeconds"`
	PeakRSSMiB      float64 `json:"peakRssMiB"`
	MiBPerSecond    float64 `json:"mibPerSecond"` // Parquet bytes read per wall second
	EventsPerSecond float64 `json:"eventsPerSecond"`
	Merged          int     `json:"merged"`
	FilesIn         int     `json:"filesIn"`
	FilesOut        int     `json:"filesOut"`
	EventsIn        int64   `json:"eventsIn"`
	EventsOut       int64   `json:"eventsOut"`
	Duplicates      int64   `json:"duplicatesRemoved"`
	BytesIn         int64   `json:"bytesIn"`
	BytesOut        int64   `json:"bytesOut"`
}

type queryFigures struct {
	ID           string  `json:"id"`
	Count        int64   `json:"count"`
	CtqBefore    float64 `json:"ctqSecondsBefore"`
	CtqAfter     float64 `json:"ctqSecondsAfter"`
	DuckDBBefore float64 `json:"duckdbSecondsBefore"`
	DuckDBAfter  float64 `json:"duckdbSecondsAfter"`
}

type result struct {
	Command    string         `json:"command"`
	Started    time.Time      `json:"started"`
	Machine    machine        `json:"machine"`
	Events     int            `json:"events"`
	IngestRuns int            `json:"ingestRuns"`
	Target     string         `json:"targetSize"`
	Before     lakeSummary    `json:"before"`
	After      lakeSummary    `json:"after"`
	Compact    compactFigures `json:"compact"`
	Queries    []queryFigures `json:"queries"`
	Failures   []string       `json:"failures"`
	Passed     bool           `json:"passed"`
}

func (r *result) write(dir string, work ...string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := measure.WriteRedacted(filepath.Join(dir, "compaction.json"), append(data, '\n'), work...); err != nil {
		return err
	}
	return measure.WriteRedacted(filepath.Join(dir, "compaction.md"), []byte(r.markdown()), work...)
}

func (r *result) markdown() string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "## Compaction\n\n`%s` — %d cores, %d MiB, %s, %s; %s\n\n", r.Command, m.Cores, m.MemoryMiB, m.CPUModel, m.GoVersion, r.Started.Format(time.RFC3339))
	fmt.Fprintf(&b, "%d events ingested in %d incremental runs, then `ctq compact --target-size %s`.\n\n", r.Events, r.IngestRuns, r.Target)
	fmt.Fprintf(&b, "| | partitions | files | max files/partition | events | MiB |\n|---|---:|---:|---:|---:|---:|\n")
	for _, row := range []struct {
		name string
		s    lakeSummary
	}{{"before", r.Before}, {"after", r.After}} {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %.1f |\n", row.name, row.s.Partitions, row.s.Files, row.s.MaxFilesPerPartition, row.s.Events, float64(row.s.Bytes)/(1<<20))
	}
	c := r.Compact
	fmt.Fprintf(&b, "\nCompaction: %.2f s wall, %.2f s CPU, peak RSS %.0f MiB; %.1f MiB/s, %.0f events/s; %d partitions merged, %d files -> %d, %d duplicates removed.\n\n",
		c.Seconds, c.CPUSeconds, c.PeakRSSMiB, c.MiBPerSecond, c.EventsPerSecond, c.Merged, c.FilesIn, c.FilesOut, c.Duplicates)
	fmt.Fprintf(&b, "| query | matches | ctq before (s) | ctq after (s) | DuckDB before (s) | DuckDB after (s) |\n|---|---:|---:|---:|---:|---:|\n")
	var cb, ca, db, da float64
	for _, q := range r.Queries {
		fmt.Fprintf(&b, "| %s | %d | %.3f | %.3f | %.3f | %.3f |\n", q.ID, q.Count, q.CtqBefore, q.CtqAfter, q.DuckDBBefore, q.DuckDBAfter)
		cb, ca, db, da = cb+q.CtqBefore, ca+q.CtqAfter, db+q.DuckDBBefore, da+q.DuckDBAfter
	}
	fmt.Fprintf(&b, "| **total** | | **%.3f** | **%.3f** | **%.3f** | **%.3f** |\n\n", cb, ca, db, da)
	if r.Passed {
		b.WriteString("All answers identical before and after compaction, ctq and DuckDB agree on every query, every partition within ceil(bytes before/target) files.\n")
	} else {
		fmt.Fprintf(&b, "FAILED:\n- %s\n", strings.Join(r.Failures, "\n- "))
	}
	return b.String()
}
