package miniotest

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"
)

// skipped counts the tests of this test binary that Start skipped.
var skipped atomic.Int64

// Main is the TestMain of a package with MinIO tests: it runs the tests
// (see Run) and exits with their code.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run runs a package's tests and then, if Start skipped any for want of a
// MinIO binary, prints one line saying how many. It returns m.Run's exit
// code; a TestMain with its own cleanup calls Run instead of Main.
//
// The line goes to stdout, where go test shows it with -v, for a failing
// package, or when testing the current directory. For a passing package in
// package list mode (go test ./...) go test shows nothing but its "ok"
// line, so the line is also written to the terminal (/dev/tty) when there
// is one: an interactive run without MinIO never looks like a full pass.
func Run(m *testing.M) int {
	code := m.Run()
	if n := skipped.Load(); n > 0 {
		line := fmt.Sprintf("%d MinIO tests skipped: MinIO not installed in %s (run ./scripts/install-minio)\n", n, Dir())
		fmt.Print(line)
		if !isTerminal(os.Stdout) {
			if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
				_, _ = tty.WriteString(line)
				_ = tty.Close()
			}
		}
	}
	return code
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
