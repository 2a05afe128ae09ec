package main

import (
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// helpOrder returns the commands in the order `ctq --help` lists them.
func helpOrder(root *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, g := range commandGroups {
		for _, c := range root.Commands() {
			if c.GroupID == g.ID && (c.IsAvailableCommand() || c.Name() == "help") {
				out = append(out, c)
			}
		}
	}
	return out
}

func testRoot() *cobra.Command {
	return newRoot(&env{stdout: io.Discard, stderr: io.Discard, getenv: os.Getenv}, "")
}

// readmeSection returns the README's text under heading, up to the next
// heading.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q section", heading)
	}
	section, _, _ = strings.Cut(section, "\n#")
	return section
}

// TestREADMEListsTheCommands keeps the README's command table in step with
// `ctq --help`: the same commands, in the same order, with the same
// summaries.
func TestREADMEListsTheCommands(t *testing.T) {
	row := regexp.MustCompile("^\\| `([a-z]+)` \\| (.+) \\|$")
	var got []string
	for _, line := range strings.Split(readmeSection(t, "## Commands"), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			got = append(got, m[1]+": "+strings.ReplaceAll(m[2], "`", ""))
		}
	}
	var want []string
	for _, c := range helpOrder(testRoot()) {
		want = append(want, c.Name()+": "+c.Short)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("README command table:\n%s\n\nctq --help:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestREADMEListsTheFlags keeps the README's flag table (one row per
// command with its flags) in step with each command's --help.
func TestREADMEListsTheFlags(t *testing.T) {
	row := regexp.MustCompile("^\\| `([a-z]+)` \\| (.*) \\|$")
	flag := regexp.MustCompile("`(--[a-z-]+)`")
	got := map[string][]string{}
	for _, line := range strings.Split(readmeSection(t, "### Flags"), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			for _, f := range flag.FindAllStringSubmatch(m[2], -1) {
				got[m[1]] = append(got[m[1]], f[1])
			}
		}
	}
	for _, c := range helpOrder(testRoot()) {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		var want []string
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && f.Name != "help" {
				want = append(want, "--"+f.Name)
			}
		})
		slices.Sort(want)
		have := slices.Clone(got[c.Name()])
		slices.Sort(have)
		if !slices.Equal(have, want) {
			t.Errorf("README flags of %s:\n  %s\n--help:\n  %s", c.Name(), strings.Join(have, " "), strings.Join(want, " "))
		}
	}
}

// TestREADMEListsTheExitCodes keeps the README's exit-code table equal to
// the one table of exit codes, which `ctq --help` prints.
func TestREADMEListsTheExitCodes(t *testing.T) {
	row := regexp.MustCompile("^\\| ([0-9]+) \\| (.+) \\|$")
	var got []string
	for _, line := range strings.Split(readmeSection(t, "### Exit codes"), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			got = append(got, m[1]+" "+strings.ReplaceAll(m[2], "`", ""))
		}
	}
	var want []string
	for _, c := range exitCodes {
		want = append(want, strconv.Itoa(c.code)+" "+c.meaning)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("README exit codes:\n%s\n\nexitcodes.go:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	_, help, _ := inProcess(t, "--help")
	for _, w := range want {
		code, meaning, _ := strings.Cut(w, " ")
		if !strings.Contains(help, "  "+code+"  "+meaning) {
			t.Errorf("ctq --help does not list exit code %s", code)
		}
	}
}
