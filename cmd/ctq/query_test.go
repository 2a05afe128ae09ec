package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/query"
)

// inProcess runs the CLI in-process and returns exit code, stdout, stderr.
func inProcess(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// queryLake generates and ingests a small archive (gen with genArgs added)
// and returns the lake directory and every source record.
func queryLake(t *testing.T, genArgs ...string) (string, [][]byte) {
	t.Helper()
	dir := t.TempDir()
	archive, lake := filepath.Join(dir, "archive"), filepath.Join(dir, "lake")
	if code, _, stderr := inProcess(t, append([]string{"gen", archive, "--events", "3000"}, genArgs...)...); code != 0 {
		t.Fatalf("gen: %d %s", code, stderr)
	}
	if code, _, stderr := inProcess(t, "ingest", archive, "--lake", lake, "--quiet"); code != 0 {
		t.Fatalf("ingest: %d %s", code, stderr)
	}
	var recs [][]byte
	filepath.Walk(archive, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		var doc struct{ Records []json.RawMessage }
		if err := json.NewDecoder(zr).Decode(&doc); err != nil {
			return err
		}
		for _, r := range doc.Records {
			recs = append(recs, r)
		}
		return nil
	})
	return lake, recs
}

func field(t *testing.T, raw []byte, path string) string {
	t.Helper()
	return extractFields(raw, []string{path})[0]
}

func TestQuery_JSONOutputIsSourceBytesInTimeOrder(t *testing.T) {
	lake, recs := queryLake(t)
	code, out, stderr := inProcess(t, "query", `{ $.eventName = "ConsoleLogin" }`, "--lake", lake, "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var want []string
	for _, r := range recs {
		if field(t, r, "eventName") == "ConsoleLogin" {
			want = append(want, string(r))
		}
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(want) == 0 || len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d", len(lines), len(want))
	}
	got := append([]string(nil), lines...)
	sort.Strings(got)
	sort.Strings(want)
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("output line is not a source record byte for byte:\n%.200s", got[i])
		}
	}
	// Ordered by (eventTime, eventID).
	for i := 1; i < len(lines); i++ {
		a, b := []byte(lines[i-1]), []byte(lines[i])
		ta, tb := field(t, a, "eventTime"), field(t, b, "eventTime")
		if ta > tb || (ta == tb && field(t, a, "eventID") > field(t, b, "eventID")) {
			t.Fatalf("output not in eventTime order at line %d: %s then %s", i, ta, tb)
		}
	}
	// The bare pattern form and the shorthand give the same answer.
	_, out2, _ := inProcess(t, `{ $.eventName = "ConsoleLogin" }`, "--lake", lake, "--output", "json")
	_, out3, _ := inProcess(t, `eventname=ConsoleLogin`, "--lake", lake, "--output", "json")
	if out2 != out || out3 != out {
		t.Fatalf("ctq PATTERN / shorthand differ from ctq query")
	}
	// --limit keeps the first matches in order; --count counts them all.
	_, lim, _ := inProcess(t, "query", `{ $.eventName = "ConsoleLogin" }`, "--lake", lake, "--output", "json", "--limit", "3")
	if lim != strings.Join(lines[:3], "\n")+"\n" {
		t.Fatalf("--limit 3 is not the first three matches")
	}
	_, cnt, _ := inProcess(t, "query", `{ $.eventName = "ConsoleLogin" }`, "--lake", lake, "--count")
	if strings.TrimSpace(cnt) != strconv.Itoa(len(want)) {
		t.Fatalf("--count = %q, want %d", cnt, len(want))
	}
}

func TestQuery_MalformedPatternShowsCaret(t *testing.T) {
	lake, _ := queryLake(t)
	code, _, stderr := inProcess(t, "query", `{ $.eventName = }`, "--lake", lake)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	lines := strings.Split(stderr, "\n")
	var caretLine, patLine int = -1, -1
	for i, l := range lines {
		if strings.Contains(l, "{ $.eventName = }") {
			patLine = i
		}
		if strings.Contains(l, "^") && caretLine < 0 && patLine >= 0 {
			caretLine = i
		}
	}
	if patLine < 0 || caretLine != patLine+1 {
		t.Fatalf("no pattern line followed by a caret line:\n%s", stderr)
	}
	if col := strings.Index(lines[caretLine], "^"); col != strings.Index(lines[patLine], "}") {
		t.Fatalf("caret at column %d, want under '}' at %d:\n%s", col, strings.Index(lines[patLine], "}"), stderr)
	}
}

func TestQuery_TableRendersUntrustedValuesHarmless(t *testing.T) {
	for _, mode := range []string{"table", "csv-terminal"} {
		var out bytes.Buffer
		w := newRecordWriter(&out, strings.TrimSuffix(mode, "-terminal"), []string{"eventName", "userAgent"})
		w.terminal = true
		raw := []byte(`{"eventName":"Evil\u001b[31m","userAgent":"a\tb\nc\u0007"}`)
		if err := w.write(queryMatch(raw)); err != nil {
			t.Fatal(err)
		}
		if err := w.flush(); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		if strings.ContainsAny(s, "\x1b\x07") {
			t.Fatalf("%s output contains raw control characters: %q", mode, s)
		}
		if mode == "table" && strings.Count(s, "\n") != 2 {
			t.Fatalf("table rows broken by a value's newline: %q", s)
		}
	}
}

func TestCount_ThresholdSetsExitCode(t *testing.T) {
	lake, recs := queryLake(t)
	n := 0
	for _, r := range recs {
		if field(t, r, "eventName") == "ConsoleLogin" {
			n++
		}
	}
	code, out, stderr := inProcess(t, "count", "eventName=ConsoleLogin", "--lake", lake, "--period", "24h", "--output", "json", "--threshold", ">=1")
	if code != exitAlarm {
		t.Fatalf("exit %d, want %d: %s", code, exitAlarm, stderr)
	}
	total := 0
	alarms := 0
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var pt struct {
			Period time.Time
			Sum    int
			Alarm  bool
		}
		if err := json.Unmarshal([]byte(l), &pt); err != nil {
			t.Fatal(err)
		}
		total += pt.Sum
		if pt.Alarm {
			alarms++
		}
		if pt.Alarm != (pt.Sum >= 1) {
			t.Fatalf("period %s sum %d alarm %v", pt.Period, pt.Sum, pt.Alarm)
		}
	}
	if total != n || alarms == 0 {
		t.Fatalf("sum over periods %d, want %d; alarms %d", total, n, alarms)
	}
	code, _, _ = inProcess(t, "count", "eventName=ConsoleLogin", "--lake", lake, "--period", "24h", "--output", "json", "--threshold", ">1000000")
	if code != 0 {
		t.Fatalf("exit %d with an unreachable threshold", code)
	}
}

func queryMatch(raw []byte) query.Match { return query.Match{Raw: raw} }

func TestQuery_CSVKeepsExactValuesOffTerminal(t *testing.T) {
	var out bytes.Buffer
	w := newRecordWriter(&out, "csv", []string{"eventName", "userAgent"})
	if err := w.write(queryMatch([]byte(`{"eventName":"E\u001b","userAgent":"a,\"b\"\nc"}`))); err != nil {
		t.Fatal(err)
	}
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][0] != "E\x1b" || rows[1][1] != "a,\"b\"\nc" {
		t.Fatalf("csv rows %q", rows)
	}
}

func TestCount_RejectsQueryOnlyFlagsAndWritesRealCSV(t *testing.T) {
	lake, _ := queryLake(t)
	for _, extra := range [][]string{{"--count"}, {"--limit", "5"}, {"--fields", "eventName"}} {
		args := append([]string{"count", "eventName=ConsoleLogin", "--lake", lake}, extra...)
		if code, _, _ := inProcess(t, args...); code != exitUsage {
			t.Fatalf("%v: exit %d, want %d", extra, code, exitUsage)
		}
	}
	code, out, stderr := inProcess(t, "count", "eventName=ConsoleLogin", "--lake", lake, "--period", "24h", "--by", "userAgent", "--output", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, out)
	}
	if len(rows) < 2 || len(rows[0]) != 3 || rows[0][1] != "userAgent" {
		t.Fatalf("csv rows %q", rows[:min(3, len(rows))])
	}
}
