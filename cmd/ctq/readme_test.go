package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEListsTheCommands keeps the README's command table in step with
// `ctq --help`: the same commands, in the same order, with the same
// summaries.
func TestREADMEListsTheCommands(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `([a-z]+)` \\| (.+) \\|$")
	_, section, ok := strings.Cut(string(data), "\n## Commands\n")
	if !ok {
		t.Fatal("README has no Commands section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var got []string
	for _, line := range strings.Split(section, "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			got = append(got, m[1]+": "+strings.ReplaceAll(m[2], "`", ""))
		}
	}
	var want []string
	for _, c := range commands() {
		want = append(want, c.name+": "+c.summary)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("README command table:\n%s\n\nctq --help:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	help := rootHelp()
	for _, c := range commands() {
		if !strings.Contains(help, c.name) {
			t.Errorf("ctq --help does not mention %s", c.name)
		}
	}
}
