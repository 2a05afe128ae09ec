package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCompact_CLI ingests an archive in delivery windows (many small files),
// then checks the dry run, the run itself and that query answers are the
// same before and after, apart from the duplicates compaction reports.
func TestCompact_CLI(t *testing.T) {
	dir := t.TempDir()
	archive, lake := filepath.Join(dir, "archive"), filepath.Join(dir, "lake")
	if code, _, stderr := inProcess(t, "gen", archive, "--events", "4000"); code != 0 {
		t.Fatalf("gen: %d %s", code, stderr)
	}
	start := time.Date(2025, 3, 13, 0, 0, 0, 0, time.UTC)
	for lo := start; lo.Before(start.Add(96 * time.Hour)); lo = lo.Add(6 * time.Hour) {
		if code, _, stderr := inProcess(t, "ingest", archive, "--lake", lake, "--quiet",
			"--since", lo.Format(time.RFC3339), "--until", lo.Add(6*time.Hour).Format(time.RFC3339)); code != 0 {
			t.Fatalf("ingest: %d %s", code, stderr)
		}
	}
	count := func(pattern string) string {
		code, out, stderr := inProcess(t, "count", pattern, "--lake", lake, "--output", "csv")
		if code != 0 {
			t.Fatalf("count %q: %d %s", pattern, code, stderr)
		}
		return out
	}
	patterns := []string{`{ $.eventName = "ConsoleLogin" }`, `{ $.userIdentity.type = "Root" }`, `"AccessDenied"`, `eventSource=s3.amazonaws.com`}
	total := func() int {
		code, out, stderr := inProcess(t, "query", "", "--lake", lake, "--count")
		if code != 0 {
			t.Fatalf("query --count: %d %s", code, stderr)
		}
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(out), &n); err != nil {
			t.Fatalf("query --count printed %q", out)
		}
		return n
	}
	totalBefore := total()
	before := map[string]string{}
	for _, p := range patterns {
		before[p] = count(p)
	}
	var partsBefore []map[string]any
	_, out, _ := inProcess(t, "partitions", "--lake", lake, "--output", "json")
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var p map[string]any
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		partsBefore = append(partsBefore, p)
	}

	code, out, stderr := inProcess(t, "compact", "--lake", lake, "--dry-run", "--output", "json")
	if code != 0 {
		t.Fatalf("dry run: exit %d %s", code, stderr)
	}
	var plan compactReport
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatal(err)
	}
	if !plan.DryRun || len(plan.Planned) == 0 || plan.Merged != 0 {
		t.Fatalf("dry run report: %+v", plan)
	}
	for _, g := range plan.Planned {
		if g.Reason == "" || g.Reason == "merging" {
			t.Errorf("planned merge of %s gives no reason: %+v", g.Partition, g)
		}
	}
	// The text plan gives the reason on each step's line.
	code, out, _ = inProcess(t, "compact", "--lake", lake, "--dry-run")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(line, ": merge ") && !regexp.MustCompile(`into [0-9]+: \S`).MatchString(line) {
			t.Errorf("dry-run line without a reason: %s", line)
		}
	}

	code, out, stderr = inProcess(t, "compact", "--lake", lake, "--output", "json", "--full")
	if code != 0 {
		t.Fatalf("compact: exit %d %s", code, stderr)
	}
	var res compactReport
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Merged != len(plan.Planned) && res.Merged < len(plan.Planned) {
		t.Errorf("merged %d partitions, %d planned", res.Merged, len(plan.Planned))
	}
	if res.EventsIn-res.EventsOut != res.Duplicates {
		t.Errorf("events %d -> %d but %d duplicates reported", res.EventsIn, res.EventsOut, res.Duplicates)
	}
	if res.Duplicates == 0 {
		t.Error("the generated archive has duplicates; none were removed")
	}
	_, out, _ = inProcess(t, "partitions", "--lake", lake, "--output", "json")
	if n := strings.Count(out, "\n"); n != len(partsBefore) {
		t.Errorf("%d partitions after, %d before", n, len(partsBefore))
	}
	if strings.Contains(out, `"files":2`) {
		t.Errorf("a partition still has several files after a full compaction:\n%s", out)
	}
	// The lake lost exactly the duplicates removed.
	if got := total(); totalBefore-got != int(res.Duplicates) {
		t.Errorf("%d events before, %d after, %d duplicates reported", totalBefore, got, res.Duplicates)
	}
	// Patterns that match no duplicated event give the same answer.
	changed := 0
	for _, p := range patterns {
		if got := count(p); got != before[p] {
			changed++
		}
	}
	if changed == len(patterns) {
		t.Error("every pattern's answer changed after compaction")
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--target-size", "12XB"}, "unknown unit"},
		{[]string{"--target-size", "100KiB"}, "below 1 MiB"},
		{[]string{"--accounts", "12"}, "12-digit"},
		{[]string{"--since", "yesterday-ish"}, "--since"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		code, _, stderr := inProcess(t, append([]string{"compact", "--lake", lake}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("compact %v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}
