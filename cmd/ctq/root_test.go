package main

import (
	"bytes"
	"io"
	"os"
	"testing"
)

// A command line that names a command builds that command alone (newRoot's
// only): it must be the command of that name in the whole tree, with the
// same help, and no command of the whole tree may be taken for a pattern.
func TestNewRoot_OneCommandAsInTheWholeTree(t *testing.T) {
	helpOf := func(only, name string) string {
		var out bytes.Buffer
		root := newRoot(&env{stdout: &out, stderr: io.Discard, getenv: os.Getenv}, only)
		root.SetArgs([]string{name, "--help"})
		if err := root.Execute(); err != nil {
			t.Fatalf("%s --help (only %q): %v", name, only, err)
		}
		return out.String()
	}
	full := testRoot()
	for _, c := range full.Commands() {
		if isPattern(c.Name()) {
			t.Errorf("command %s would run as a pattern", c.Name())
		}
	}
	for _, s := range commandSpecs {
		var names []string
		for _, c := range newRoot(&env{stdout: io.Discard, stderr: io.Discard, getenv: os.Getenv}, s.name).Commands() {
			if c.Name() != "help" && c.Name() != "completion" {
				names = append(names, c.Name())
			}
		}
		if len(names) != 1 || names[0] != s.name {
			t.Errorf("registered as %q, the tree built for it holds %v", s.name, names)
			continue
		}
		if got, want := helpOf(s.name, s.name), helpOf("", s.name); got != want {
			t.Errorf("%s --help differs when built alone:\n%s\nwant\n%s", s.name, got, want)
		}
	}
	if isPattern("version") || !isPattern("eventName=ConsoleLogin") {
		t.Error("isPattern: version is a command, eventName=ConsoleLogin a pattern")
	}
}
