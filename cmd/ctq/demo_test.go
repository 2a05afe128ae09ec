package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemo_NextStepsWorkAsPrinted runs the demo in a fresh data directory
// and follows the commands it prints, literally: each prints results.
func TestDemo_NextStepsWorkAsPrinted(t *testing.T) {
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	t.Setenv("CTQ_LAKE", "")
	code, out, stderr := inProcess(t, "demo", "--events", "3000")
	if code != exitOK {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, stderr)
	}
	_, next, ok := strings.Cut(out, "\nNext, point ctq at the demo lake and try:\n")
	if !ok {
		t.Fatalf("demo printed no next steps:\n%s", out)
	}
	lines := strings.Split(strings.TrimRight(next, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "  export CTQ_LAKE=") {
		t.Fatalf("next steps: want an export and three commands, got\n%s", next)
	}
	lake := strings.TrimPrefix(lines[0], "  export CTQ_LAKE=")
	if want := filepath.Join(data, "ctq", "demo", "lake"); lake != want {
		t.Errorf("demo lake %s, want %s", lake, want)
	}
	if _, err := os.Stat(filepath.Join(lake, "_ctq")); err != nil {
		t.Errorf("demo lake: %v", err)
	}
	t.Setenv("CTQ_LAKE", lake)
	for _, l := range lines[1:] {
		argv, err := splitCommand(strings.TrimSpace(l))
		if err != nil || argv[0] != "ctq" {
			t.Fatalf("next step %q: %v", l, err)
		}
		code, out, stderr := inProcess(t, argv[1:]...)
		if (code != exitOK && code != exitAlarm) || strings.TrimSpace(out) == "" {
			t.Errorf("%s: exit %d, %d bytes of output\n%s", l, code, len(out), stderr)
		}
	}
	// The same day, a second run reuses the archive and ingests nothing new.
	code, out, stderr = inProcess(t, "demo", "--events", "3000")
	if code != exitOK || !strings.Contains(out, "generated earlier today") || !strings.Contains(stderr, "ingested 0 new objects") {
		t.Errorf("second demo: exit %d\n%s\n%s", code, out, stderr)
	}
}
