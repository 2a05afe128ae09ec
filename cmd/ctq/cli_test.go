package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestCompletion_ScriptsForEveryShell(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, stderr := inProcess(t, "completion", shell)
		if code != exitOK || !strings.Contains(out, "__complete") || len(out) < 500 {
			t.Errorf("completion %s: exit %d, %d bytes\n%s", shell, code, len(out), stderr)
		}
	}
}

func TestCompletion_FlagValues(t *testing.T) {
	lake, _ := queryLake(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"query", "x", "--fields", "eventN"}, "eventName"},
		{[]string{"query", "x", "--fields", "eventTime,userIdentity.ar"}, "eventTime,userIdentity.arn"},
		{[]string{"count", "x", "--by", "userIdentity.sessionContext.sessionIssuer.user"}, "userIdentity.sessionContext.sessionIssuer.userName"},
		{[]string{"detect", "--rules", "ci"}, "cis"},
		{[]string{"query", "x", "--output", ""}, "csv"},
		{[]string{"query", "x", "--lake", lake, "--regions", "eu-"}, "eu-west-1"},
	}
	for _, tc := range tests {
		code, out, stderr := inProcess(t, append([]string{"__complete"}, tc.args...)...)
		if code != exitOK || !strings.Contains("\n"+out, "\n"+tc.want+"\n") && !strings.Contains("\n"+out, "\n"+tc.want+"\t") {
			t.Errorf("complete %v: exit %d, want %q in\n%s%s", tc.args, code, tc.want, out, stderr)
		}
	}
	// Accounts come from the lake's manifest.
	code, out, _ := inProcess(t, "__complete", "coverage", "--lake", lake, "--accounts", "")
	if code != exitOK || !regexp.MustCompile(`(?m)^[0-9]{12}$`).MatchString(out) {
		t.Errorf("complete --accounts: exit %d\n%s", code, out)
	}
}

// TestHelp_GNUFlags checks that every command's --help lists its flags as
// --name and exits 0.
func TestHelp_GNUFlags(t *testing.T) {
	singleDash := regexp.MustCompile(`(?m)^\s+-[a-z][a-z-]+\b`)
	for _, c := range testRoot().Commands() {
		code, out, _ := inProcess(t, c.Name(), "--help")
		if code != exitOK || !strings.Contains(out, "--help") || singleDash.MatchString(out) {
			t.Errorf("ctq %s --help: exit %d\n%s", c.Name(), code, out)
		}
	}
	code, out, _ := inProcess(t, "--help")
	if code != exitOK || !strings.Contains(out, "Exit codes:") || !strings.Contains(out, "watch prints alarms and keeps running") {
		t.Errorf("ctq --help: exit %d\n%s", code, out)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out, _ := inProcess(t, args...)
		if code != exitOK || out != versionLine()+"\n" {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
}

func TestFlags_PositionAndShorthand(t *testing.T) {
	lake, _ := queryLake(t)
	for _, args := range [][]string{
		{"query", "--lake", lake, "--count", "eventName=ConsoleLogin"},
		{"query", "eventName=ConsoleLogin", "--lake", lake, "--count"},
		{"query", "--count", "eventName=ConsoleLogin", "--lake", lake},
		{"eventName=ConsoleLogin", "--lake=" + lake, "--count"},
	} {
		code, out, stderr := inProcess(t, args...)
		if code != exitOK || strings.TrimSpace(out) == "0" || strings.TrimSpace(out) == "" {
			t.Errorf("%v: exit %d, %q %s", args, code, out, stderr)
		}
	}
	// explain takes no flags it would ignore.
	for _, extra := range []string{"--output", "--fields", "--limit"} {
		if code, _, _ := inProcess(t, "explain", "x", "--lake", lake, extra, "1"); code != exitUsage {
			t.Errorf("explain %s: exit %d, want %d", extra, code, exitUsage)
		}
	}
}

func TestDurations_OneGrammar(t *testing.T) {
	lake, _ := queryLake(t)
	code, out, stderr := inProcess(t, "count", "", "--lake", lake, "--period", "1d", "--output", "json")
	if code != exitOK {
		t.Fatalf("--period 1d: exit %d %s", code, stderr)
	}
	var pt struct {
		Period string `json:"period"`
	}
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &pt); err != nil || !strings.HasSuffix(pt.Period, "T00:00:00Z") {
		t.Errorf("--period 1d: first period %q (%v)", pt.Period, err)
	}
	for _, args := range [][]string{
		{"count", "", "--lake", lake, "--period", "2w", "--output", "json"},
		{"coverage", "--lake", lake, "--min-gap", "1d", "--output", "json"},
		{"compact", "--lake", lake, "--dry-run", "--retention", "90m"},
	} {
		if code, _, stderr := inProcess(t, args...); code != exitOK && code != exitIntegrity {
			t.Errorf("%v: exit %d %s", args, code, stderr)
		}
	}
	if code, _, stderr := inProcess(t, "count", "", "--lake", lake, "--period", "1 day"); code != exitUsage {
		t.Errorf("--period '1 day': exit %d %s", code, stderr)
	}
}

func TestDeprecatedSpellings(t *testing.T) {
	lake, _ := queryLake(t)
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	code, _, stderr := inProcess(t, "gen", archive, "--events", "200", "--accounts", "2")
	if code != exitOK || !strings.Contains(stderr, "deprecated") || !strings.Contains(stderr, "--account-count") {
		t.Fatalf("gen --accounts 2: exit %d\n%s", code, stderr)
	}
	accounts, _ := os.ReadDir(filepath.Join(archive, "AWSLogs", "o-a1b2c3d4e5"))
	if len(accounts) != 2 {
		t.Errorf("gen --accounts 2 wrote %d accounts", len(accounts))
	}
	code, out, stderr := inProcess(t, "ingest", archive, "--lake", filepath.Join(dir, "lake"), "--json")
	var res struct{ Objects int64 }
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || res.Objects == 0 || !strings.Contains(stderr, "--json has been deprecated, use --output json") {
		t.Errorf("ingest --json: exit %d\nstdout %s\nstderr %s", code, out, stderr)
	}
	code, out, stderr = inProcess(t, "compact", "--lake", lake, "--dry-run", "--json", "--since", "2020-01-01")
	if code != exitOK || !json.Valid([]byte(out)) || !strings.Contains(stderr, "--json has been deprecated") || !strings.Contains(stderr, "--since has been deprecated, use --since-day") {
		t.Errorf("compact --json --since: exit %d\nstdout %s\nstderr %s", code, out, stderr)
	}
	// The new spelling: explicit account ids.
	ids := filepath.Join(dir, "ids")
	if code, _, stderr := inProcess(t, "gen", ids, "--events", "100", "--accounts", "111122223333,444455556666"); code != exitOK || strings.Contains(stderr, "deprecated") {
		t.Fatalf("gen --accounts ids: exit %d %s", code, stderr)
	}
	for _, a := range []string{"111122223333", "444455556666"} {
		if _, err := os.Stat(filepath.Join(ids, "AWSLogs", "o-a1b2c3d4e5", a)); err != nil {
			t.Errorf("gen --accounts: %v", err)
		}
	}
}

func TestTableCell_LongValuesStayDistinct(t *testing.T) {
	a := "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice@example.com"
	b := "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdeX/alice@example.com"
	ca, cb := tableCell(a), tableCell(b)
	if ca == cb || !strings.HasSuffix(ca, "alice@example.com") || len([]rune(ca)) > 90 {
		t.Errorf("tableCell:\n%s\n%s", ca, cb)
	}
	if got := tableCell("short"); got != "short" {
		t.Errorf("tableCell(short) = %q", got)
	}
}

// TestProgress_NeverInPipes checks that commands run with stderr not a
// terminal draw no progress: no carriage returns, no spinner.
func TestProgress_NeverInPipes(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	if code, _, stderr := inProcess(t, "gen", archive, "--events", "500"); code != exitOK {
		t.Fatalf("gen: %s", stderr)
	}
	lake := filepath.Join(dir, "lake")
	for _, args := range [][]string{
		{"ingest", archive, "--lake", lake},
		{"count", "", "--lake", lake},
		{"detect", "--lake", lake},
		{"compact", "--lake", lake},
	} {
		code, _, stderr := inProcess(t, args...)
		if code != exitOK && code != exitAlarm || strings.ContainsAny(stderr, "\r⠋⠙") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}
