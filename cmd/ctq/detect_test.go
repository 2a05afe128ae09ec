package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctq-dev/ctq/pkg/detect"
)

func TestDetect_CLI(t *testing.T) {
	lake, _ := queryLake(t)
	code, out, stderr := inProcess(t, "detect", "--lake", lake, "--output", "json")
	if code != exitAlarm {
		t.Fatalf("detect: exit %d, want %d (alarms)\n%s", code, exitAlarm, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	rules := map[string]bool{}
	periods, sums := map[string]int{}, map[string]int64{}
	summaries := map[string]detect.Summary{}
	for _, l := range lines {
		var a struct {
			Type     string   `json:"type"`
			Rule     string   `json:"rule"`
			Sum      int64    `json:"sum"`
			EventIDs []string `json:"eventIDs"`
		}
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		if a.Type == detect.SummaryType {
			var s detect.Summary
			if err := json.Unmarshal([]byte(l), &s); err != nil {
				t.Fatalf("summary %q: %v", l, err)
			}
			summaries[s.Rule] = s
			continue
		}
		if len(summaries) > 0 {
			t.Errorf("alarm after the summaries: %s", l)
		}
		if a.Rule == "" || a.Sum < 1 || len(a.EventIDs) == 0 || int64(len(a.EventIDs)) > a.Sum {
			t.Errorf("alarm %s", l)
		}
		rules[a.Rule] = true
		periods[a.Rule]++
		sums[a.Rule] += a.Sum
	}
	if !rules["cis-3.0-4.3"] || !rules["root-account-use"] {
		t.Errorf("no root-use alarm in %d alarms", len(lines))
	}
	// One summary per rule of the pack, whose totals are those of its alarms.
	if len(summaries) != len(detect.Builtin()) {
		t.Errorf("%d rule summaries for %d rules", len(summaries), len(detect.Builtin()))
	}
	for name, s := range summaries {
		if s.AlarmPeriods != periods[name] || s.AlarmSum != sums[name] || s.Hits < s.AlarmSum && s.Evaluation == 1 {
			t.Errorf("summary of %s: %d periods, sum %d, %d hits; the alarms: %d periods, sum %d", name, s.AlarmPeriods, s.AlarmSum, s.Hits, periods[name], sums[name])
		}
	}

	code, out, _ = inProcess(t, "detect", "--lake", lake, "--list")
	if code != 0 || !strings.Contains(out, "cis-3.0-4.15") || !strings.Contains(out, "CIS AWS Foundations Benchmark v1.2.0 3.1") {
		t.Errorf("--list: exit %d\n%s", code, out)
	}

	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "r.yaml")
	os.WriteFile(rulesFile, []byte("- name: never\n  pattern: eventName=NoSuchEvent\n"), 0o644)
	code, out, stderr = inProcess(t, "detect", "--lake", lake, "--rules", rulesFile, "--output", "json")
	var never detect.Summary
	if err := json.Unmarshal([]byte(out), &never); code != 0 || err != nil || never.Rule != "never" || never.Hits != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("no-match rule: exit %d out %q stderr %q; want one summary with 0 hits", code, out, stderr)
	}

	sigma := filepath.Join(dir, "sigma")
	os.MkdirAll(sigma, 0o755)
	head := "logsource:\n  product: aws\n  service: cloudtrail\n"
	os.WriteFile(filepath.Join(sigma, "good.yml"), []byte("title: Root console login\n"+head+
		"detection:\n  selection:\n    userIdentity.type: root\n  condition: selection\n"), 0o644)
	os.WriteFile(filepath.Join(sigma, "agg.yml"), []byte("title: Many denials\n"+head+
		"detection:\n  selection:\n    errorCode: AccessDenied\n  condition: selection | count() > 10\n"), 0o644)
	code, out, stderr = inProcess(t, "detect", "--lake", lake, "--sigma", sigma, "--output", "json")
	if code != exitAlarm || !strings.Contains(out, `"rule":"Root console login"`) {
		t.Errorf("sigma: exit %d\n%s", code, out)
	}
	if !strings.Contains(stderr, "skipped Sigma rule Many denials") || !strings.Contains(stderr, "aggregation without a timeframe") {
		t.Errorf("sigma: unsupported rule not reported: %s", stderr)
	}

	// Grouped rules: each alarm names its group, the summary counts the
	// groups; a Sigma correlation over a rule of another file runs too.
	grouped := filepath.Join(dir, "grouped.yaml")
	os.WriteFile(grouped, []byte("- name: per event\n  pattern: ''\n  period: 24h\n  group_by: [eventName]\n"), 0o644)
	os.WriteFile(filepath.Join(sigma, "base.yml"), []byte("title: Any call\nname: any_call\n"+head+
		"detection:\n  selection:\n    eventVersion|exists: true\n  condition: selection\n"), 0o644)
	os.WriteFile(filepath.Join(sigma, "corr.yml"), []byte("title: Calls per source\ncorrelation:\n  type: event_count\n"+
		"  rules: [any_call]\n  group-by: [eventSource]\n  timespan: 1d\n  condition: {gte: 1}\n---\n"+
		"title: Both\ncorrelation:\n  type: temporal\n  rules: [any_call]\n  timespan: 1d\n"), 0o644)
	code, out, stderr = inProcess(t, "detect", "--lake", lake, "--rules", grouped, "--sigma", sigma, "--output", "json")
	if code != exitAlarm {
		t.Fatalf("grouped: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "skipped Sigma rule Both") || !strings.Contains(stderr, "correlation type temporal") {
		t.Errorf("grouped: unsupported correlation not reported: %s", stderr)
	}
	groups := map[string]map[string]bool{}
	summaries = map[string]detect.Summary{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var a detect.Alarm
		var s detect.Summary
		json.Unmarshal([]byte(l), &s)
		if s.Type == detect.SummaryType {
			summaries[s.Rule] = s
			continue
		}
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		if groups[a.Rule] == nil {
			groups[a.Rule] = map[string]bool{}
		}
		for k, v := range a.Group {
			groups[a.Rule][k+"="+v] = true
		}
	}
	if _, ok := summaries["Any call"]; ok {
		t.Errorf("the correlation's base rule alarmed on its own")
	}
	for rule, field := range map[string]string{"per event": "eventName", "Calls per source": "eventSource"} {
		s := summaries[rule]
		if len(groups[rule]) < 2 || s.AlarmGroups != len(groups[rule]) || len(s.GroupBy) != 1 || s.GroupBy[0] != field {
			t.Errorf("%s: groups %v, summary %+v", rule, groups[rule], s)
		}
		for g := range groups[rule] {
			if !strings.HasPrefix(g, field+"=") {
				t.Errorf("%s: group %s, want %s=...", rule, g, field)
			}
		}
	}
	code, out, _ = inProcess(t, "detect", "--lake", lake, "--rules", grouped, "--output", "table", "--details")
	if code != exitAlarm || !strings.Contains(out, "  eventName=") {
		t.Errorf("grouped table: exit %d\n%s", code, out)
	}

	if code, _, _ := inProcess(t, "detect", "--lake", lake, "--rules", "builtin", "--rules", "cis", "--list"); code != exitUsage {
		t.Errorf("duplicate rules: exit %d, want %d", code, exitUsage)
	}
}

func TestSplitCommand(t *testing.T) {
	ok := map[string][]string{
		`notify`:                        {"notify"},
		`/bin/sh -c 'cat >> "$HOME/x"'`: {"/bin/sh", "-c", `cat >> "$HOME/x"`},
		`a "b c" d\e`:                   {"a", "b c", `d\e`},
		`x "say \"hi\"" ''`:             {"x", `say "hi"`, ""},
		"  spaced\targs  ":              {"spaced", "args"},
	}
	for in, want := range ok {
		got, err := splitCommand(in)
		if err != nil || strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "  ", `a 'b`, `a "b`} {
		if _, err := splitCommand(in); err == nil {
			t.Errorf("splitCommand(%q): no error", in)
		}
	}
}
