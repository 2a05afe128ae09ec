package main

import (
	"debug/elf"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestRelease_StaticBinaryRunsVersion checks the binary scripts/release
// builds (the one the end-to-end tests run): statically linked, no
// interpreter, no shared libraries, and it runs `version` with the commit
// stamped.
func TestRelease_StaticBinaryRunsVersion(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ELF check on Linux only")
	}
	bin := ctqBinary(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("release binary has a %v program header: not static", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("release binary needs shared libraries %v", libs)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ctq "+version+" (commit ") || strings.Contains(string(out), "commit unknown") {
		t.Errorf("ctq version: %v %q", err, out)
	}
}
