package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestInvestigate_CLI runs insights, top, count --by, trace, summary and
// new over one generated lake with credential lineages and checks their
// answers against the source records.
func TestInvestigate_CLI(t *testing.T) {
	lake, recs := queryLake(t, "--lineages", "6")
	ctq := func(t *testing.T, args ...string) (string, string) {
		t.Helper()
		code, out, stderr := inProcess(t, append(args, "--lake", lake)...)
		if code != exitOK {
			t.Fatalf("ctq %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
		}
		return out, stderr
	}
	countBy := func(path string, keep func([]byte) bool) map[string]int {
		n := map[string]int{}
		for _, r := range recs {
			if keep == nil || keep(r) {
				n[field(t, r, path)]++
			}
		}
		return n
	}

	t.Run("insights json", func(t *testing.T) {
		out, _ := ctq(t, "insights", "stats count(*) as n by eventSource | sort n desc", "--output", "json")
		want := countBy("eventSource", nil)
		got := map[string]int{}
		last := len(recs) + 1
		for _, l := range lines(out) {
			var row map[string]any
			if err := json.Unmarshal([]byte(l), &row); err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			n, ok := row["n"].(float64) // a JSON number
			if !ok || len(row) != 2 {
				t.Fatalf("row %s: want keys eventSource and n (a number)", l)
			}
			if int(n) > last {
				t.Errorf("rows not sorted by n desc: %s", out)
			}
			last = int(n)
			got[row["eventSource"].(string)] = int(n)
		}
		if !mapsEqual(got, want) {
			t.Errorf("counts by eventSource:\n got %v\nwant %v", got, want)
		}
	})

	t.Run("insights table and csv", func(t *testing.T) {
		out, _ := ctq(t, "insights", "stats count(*) by bin(1d)", "--output", "table")
		ls := lines(out)
		if len(ls) < 2 || !strings.HasPrefix(ls[0], "bin(1d)") || !strings.Contains(ls[0], "count(*)") {
			t.Fatalf("table header: %q", out)
		}
		for _, l := range ls[1:] {
			if !strings.Contains(l, "█") {
				t.Errorf("series row without a bar: %q", l)
			}
		}
		out, _ = ctq(t, "insights", "filter eventName = 'ConsoleLogin' | stats count(*) as logins by recipientAccountId", "--output", "csv")
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) < 2 || !slices.Equal(rows[0], []string{"recipientAccountId", "logins"}) {
			t.Fatalf("csv: %v\n%s", err, out)
		}
		want := countBy("recipientAccountId", func(r []byte) bool { return field(t, r, "eventName") == "ConsoleLogin" })
		got := map[string]int{}
		for _, r := range rows[1:] {
			got[r[0]], _ = strconv.Atoi(r[1])
		}
		if !mapsEqual(got, want) {
			t.Errorf("console logins per account:\n got %v\nwant %v", got, want)
		}
	})

	t.Run("insights syntax error", func(t *testing.T) {
		const q = "stats count(*) by | limit 5"
		code, _, stderr := inProcess(t, "insights", q, "--lake", lake)
		if code != exitUsage {
			t.Fatalf("exit %d, want %d\n%s", code, exitUsage, stderr)
		}
		ls := strings.Split(stderr, "\n")
		i := slices.Index(ls, q)
		if i < 0 || i+1 >= len(ls) || strings.Index(ls[i+1], "^") != strings.Index(q, "|") {
			t.Fatalf("want the query with a caret under '|':\n%s", stderr)
		}
	})

	t.Run("insights max-rows", func(t *testing.T) {
		out, stderr := ctq(t, "insights", "fields eventID", "--max-rows", "7", "--output", "json")
		if n := len(lines(out)); n != 7 {
			t.Errorf("%d rows with --max-rows 7", n)
		}
		if !strings.Contains(stderr, "first 7 of "+strconv.Itoa(len(recs))+" rows") {
			t.Errorf("no notice with the number of rows (%d): %q", len(recs), stderr)
		}
		out, stderr = ctq(t, "insights", "fields eventID", "--max-rows", "0", "--output", "json")
		if n := len(lines(out)); n != len(recs) || stderr != "" {
			t.Errorf("--max-rows 0: %d rows of %d, stderr %q", n, len(recs), stderr)
		}
	})

	t.Run("insights group limit", func(t *testing.T) {
		code, out, stderr := inProcess(t, "insights", "stats count(*) by eventID", "--max-groups", "50", "--lake", lake, "--output", "json")
		if code != exitError || out != "" || !strings.Contains(stderr, "more than 50 groups") || !strings.Contains(stderr, "--max-groups") {
			t.Errorf("exit %d, stdout %d bytes, stderr %q: want exit 1 naming the limit and --max-groups", code, len(out), stderr)
		}
		out, _ = ctq(t, "insights", "stats count(*) by eventID", "--max-groups", strconv.Itoa(len(recs)), "--max-rows", "0", "--output", "json")
		if n, want := len(lines(out)), len(countBy("eventID", nil)); n != want {
			t.Errorf("%d groups by eventID, want %d", n, want)
		}
	})

	t.Run("top shorthand", func(t *testing.T) {
		denied := func(r []byte) bool { return strings.HasPrefix(field(t, r, "errorCode"), "AccessDenied") }
		want := countBy("userIdentity.arn", denied)
		out, _ := ctq(t, "top", "userIdentity.arn", "errorCode=AccessDenied*", "--limit", "3", "--output", "json")
		ls := lines(out)
		if len(ls) != min(3, len(want)) || len(want) == 0 {
			t.Fatalf("%d rows, want the first %d of %d groups:\n%s", len(ls), min(3, len(want)), len(want), out)
		}
		counts := make([]int, 0, len(want))
		for _, n := range want {
			counts = append(counts, n)
		}
		sort.Sort(sort.Reverse(sort.IntSlice(counts)))
		for i, l := range ls {
			var row struct {
				ARN    *string `json:"userIdentity.arn"`
				Events int     `json:"events"`
			}
			if err := json.Unmarshal([]byte(l), &row); err != nil {
				t.Fatal(err)
			}
			arn := ""
			if row.ARN != nil {
				arn = *row.ARN
			}
			if row.Events != want[arn] || row.Events != counts[i] {
				t.Errorf("row %d %s: %d events, want %d (and the %d-th largest count %d)", i, arn, row.Events, want[arn], i+1, counts[i])
			}
		}
	})

	t.Run("count by two fields", func(t *testing.T) {
		out, _ := ctq(t, "count", "eventName=AssumeRole", "--by", "recipientAccountId,awsRegion", "--period", "24h", "--output", "csv")
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || !slices.Equal(rows[0], []string{"period", "recipientAccountId", "awsRegion", "sum"}) {
			t.Fatalf("csv: %v\n%s", err, out)
		}
		want := map[string]int{}
		for _, r := range recs {
			if field(t, r, "eventName") == "AssumeRole" {
				want[field(t, r, "recipientAccountId")+" "+field(t, r, "awsRegion")]++
			}
		}
		got := map[string]int{}
		for _, r := range rows[1:] {
			n, _ := strconv.Atoi(r[3])
			if n > 0 {
				got[r[1]+" "+r[2]] += n
			}
		}
		if !mapsEqual(got, want) {
			t.Errorf("AssumeRole per account and region:\n got %v\nwant %v", got, want)
		}
		out, _ = ctq(t, "count", "eventName=AssumeRole", "--by", "recipientAccountId,awsRegion", "--period", "24h", "--output", "json")
		var pt struct{ By map[string]string }
		if err := json.Unmarshal([]byte(lines(out)[0]), &pt); err != nil || len(pt.By) != 2 || pt.By["awsRegion"] == "" {
			t.Errorf("json point %s: want both fields under by (%v)", lines(out)[0], err)
		}
	})

	// A key an AssumeRole issued and a later event used.
	var key, issuingID string
	used := countBy("userIdentity.accessKeyId", nil)
	for _, r := range recs {
		k := field(t, r, "responseElements.credentials.accessKeyId")
		if field(t, r, "eventName") == "AssumeRole" && strings.HasPrefix(k, "ASIA") && used[k] > 0 {
			key, issuingID = k, field(t, r, "eventID")
			break
		}
	}
	if key == "" {
		t.Fatal("the generated lake has no issued key that is used")
	}

	t.Run("trace tree", func(t *testing.T) {
		out, _ := ctq(t, "trace", key, "--output", "table")
		line := ""
		for _, l := range lines(out) {
			if strings.Contains(l, key) {
				line = l
			}
		}
		if !strings.Contains(line, "[target] via AssumeRole "+issuingID) || !strings.Contains(line, strconv.Itoa(used[key])+" events") {
			t.Errorf("no tree line for %s issued by %s with %d events:\n%s", key, issuingID, used[key], out)
		}
	})

	t.Run("trace json", func(t *testing.T) {
		out, _ := ctq(t, "trace", key, "--output", "json")
		var res struct {
			Credentials []struct {
				AccessKeyID string `json:"accessKeyId"`
				IssuedBy    string `json:"issuedBy"`
				Events      int    `json:"events"`
			}
			Links []struct {
				To      string `json:"to"`
				EventID string `json:"eventID"`
			}
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(res.Credentials, func(c struct {
			AccessKeyID string `json:"accessKeyId"`
			IssuedBy    string `json:"issuedBy"`
			Events      int    `json:"events"`
		}) bool {
			return c.AccessKeyID == key
		})
		if i < 0 || res.Credentials[i].IssuedBy != "AssumeRole" || res.Credentials[i].Events != used[key] {
			t.Fatalf("credential %s not in the JSON as issued by AssumeRole with %d events:\n%s", key, used[key], out)
		}
		if !slices.ContainsFunc(res.Links, func(l struct {
			To      string `json:"to"`
			EventID string `json:"eventID"`
		}) bool {
			return l.EventID == issuingID
		}) {
			t.Errorf("no link proved by %s:\n%s", issuingID, out)
		}
	})

	t.Run("trace events", func(t *testing.T) {
		out, _ := ctq(t, "trace", key, "--events", "--output", "json")
		src := map[string]bool{}
		for _, r := range recs {
			src[string(r)] = true
		}
		var ids []string
		last := ""
		keyEvents := 0
		for _, l := range lines(out) {
			if !src[l] {
				t.Fatalf("not a source record: %s", l)
			}
			ts := field(t, []byte(l), "eventTime")
			if ts < last {
				t.Errorf("events not in time order: %s after %s", ts, last)
			}
			last = ts
			ids = append(ids, field(t, []byte(l), "eventID"))
			if field(t, []byte(l), "userIdentity.accessKeyId") == key {
				keyEvents++
			}
		}
		if !slices.Contains(ids, issuingID) || keyEvents != used[key] {
			t.Errorf("events: issuing event %s present %v, %d events of the key, want %d", issuingID, slices.Contains(ids, issuingID), keyEvents, used[key])
		}
	})

	t.Run("summary", func(t *testing.T) {
		out, _ := ctq(t, "summary", "--by", "userIdentity.accessKeyId", "--output", "json")
		found := false
		for _, l := range lines(out) {
			var g struct {
				Key    string
				Events int
			}
			if err := json.Unmarshal([]byte(l), &g); err != nil {
				t.Fatal(err)
			}
			if g.Key == key {
				found = true
				if g.Events != used[key] {
					t.Errorf("summary of %s: %d events, want %d", key, g.Events, used[key])
				}
			}
		}
		if !found {
			t.Errorf("no summary of %s:\n%s", key, out)
		}
		out, _ = ctq(t, "summary", "eventName=AssumeRole", "--output", "table")
		if !strings.Contains(lines(out)[0], "EVENTS") || len(lines(out)) < 2 {
			t.Errorf("summary table:\n%s", out)
		}
	})

	t.Run("new", func(t *testing.T) {
		var lastTime time.Time
		for _, r := range recs {
			if ts, err := time.Parse(time.RFC3339, field(t, r, "eventTime")); err == nil && ts.After(lastTime) {
				lastTime = ts
			}
		}
		until := lastTime.Add(time.Second).Truncate(time.Second)
		since := until.Add(-12 * time.Hour)
		out, _ := ctq(t, "new", "sourceIPAddress", "--per", "userIdentity.arn", "--until", until.Format(time.RFC3339), "--window", "12h", "--baseline", "30d", "--output", "json")
		// The reference: (entity, value) pairs of the window absent from the
		// baseline.
		seen := map[[2]string]bool{}
		want := map[[2]string]int{}
		for _, r := range recs {
			ts, err := time.Parse(time.RFC3339, field(t, r, "eventTime"))
			if err != nil {
				continue
			}
			k := [2]string{field(t, r, "userIdentity.arn"), field(t, r, "sourceIPAddress")}
			if ts.Before(since) {
				seen[k] = true
			} else if ts.Before(until) {
				want[k]++
			}
		}
		for k := range seen {
			delete(want, k)
		}
		got := map[[2]string]int{}
		for _, l := range lines(out) {
			var v struct {
				Entity, Value string
				Count         int
				First         time.Time
			}
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatal(err)
			}
			if v.First.Before(since) || !v.First.Before(until) {
				t.Errorf("%s first at %s, outside the window", l, v.First)
			}
			got[[2]string{v.Entity, v.Value}] = v.Count
		}
		if len(got) == 0 {
			t.Fatal("no new values in the last 12 hours")
		}
		for k, n := range got {
			if want[k] != n {
				t.Errorf("new %v: count %d, want %d", k, n, want[k])
			}
		}
		for k, n := range want {
			if _, ok := got[k]; !ok && k[0] != "" && k[1] != "" {
				t.Errorf("new %v (%d events) missing", k, n)
			}
		}
	})
}

// lines splits output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestREADME_InvestigationExamplesRunOnTheDemo runs every command of the
// README's Aggregations and Investigate an incident sections, as written,
// on the demo's lake: each must succeed and print something.
func TestREADME_InvestigationExamplesRunOnTheDemo(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, text, _ := strings.Cut(string(data), "\n## Aggregations\n")
	text, _, ok := strings.Cut(text, "\n## Detections\n")
	if !ok {
		t.Fatal("README has no Aggregations section before Detections")
	}
	var cmds []string
	inCode := false
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "```"):
			inCode = !inCode
		case inCode && strings.HasPrefix(l, "ctq "):
			l, _, _ = strings.Cut(l, "  # ")
			cmds = append(cmds, strings.TrimSpace(l))
		}
	}
	if len(cmds) < 10 {
		t.Fatalf("found %d example commands, want the section's examples", len(cmds))
	}
	xdg := t.TempDir()
	t.Setenv("XDG_DATA_HOME", xdg)
	t.Setenv("CTQ_LAKE", "")
	if code, _, stderr := inProcess(t, "demo"); code != exitOK {
		t.Fatalf("demo: exit %d\n%s", code, stderr)
	}
	t.Setenv("CTQ_LAKE", filepath.Join(xdg, "ctq", "demo", "lake"))
	for _, c := range cmds {
		argv, err := splitCommand(c)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		code, out, stderr := inProcess(t, argv[1:]...)
		if code != exitOK || strings.TrimSpace(out) == "" {
			t.Errorf("%s: exit %d, %d bytes of output\n%s", c, code, len(out), stderr)
		}
		// The key the walk-through follows is in the demo and in what
		// each command prints about it, flagged as the text says.
		for _, w := range argv {
			if k := accessKeyRE.FindString(w); k != "" && !strings.Contains(out, k) {
				t.Errorf("%s: the output does not mention %s", c, k)
			}
		}
		if argv[1] == "trace" && len(argv) == 3 && !strings.Contains(out, "possible-exfiltration") {
			t.Errorf("%s: the key is not flagged possible-exfiltration:\n%s", c, out)
		}
	}
}

var accessKeyRE = regexp.MustCompile(`\b(AKIA|ASIA)[A-Z0-9]{16}\b`)
