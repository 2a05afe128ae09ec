package measure

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestRun_Success(t *testing.T) {
	u, out, err := Run(exec.Command("sh", "-c", "echo hello; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(out)) != "hello" {
		t.Fatalf("stdout %q, want hello", out)
	}
	if u.Wall <= 0 || u.PeakRSSMiB <= 0 {
		t.Fatalf("usage %+v: want wall time and peak RSS", u)
	}
	if u.CPU() != u.User+u.Sys {
		t.Fatalf("CPU %v != user %v + sys %v", u.CPU(), u.User, u.Sys)
	}
}

func TestRun_Failure(t *testing.T) {
	_, _, err := Run(exec.Command("sh", "-c", "echo broken >&2; exit 3"))
	if err == nil || !strings.Contains(err.Error(), "broken") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("error %v: want the exit status and the child's stderr", err)
	}
}

func TestWaitQuiet_BoundedByLimit(t *testing.T) {
	start := time.Now()
	if _, err := WaitQuiet(context.Background(), 2*time.Second, nil); err != nil {
		t.Fatal(err)
	}
	// One sampling window past the limit at most, plus scheduling slack.
	if d := time.Since(start); d > 2*time.Second+quietWindow+time.Second {
		t.Fatalf("WaitQuiet took %v with a 2s limit", d)
	}
	if _, err := WaitQuiet(context.Background(), 0, nil); err != nil {
		t.Fatal(err)
	}
}

func TestShellQuote(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := ShellQuote(in); got != want {
			t.Fatalf("ShellQuote(%q) = %q, want %q", in, got, want)
		}
	}
	f("plain-word_1.2/x:y", "plain-word_1.2/x:y")
	f("", "''")
	f("two words", "'two words'")
	f(`it's`, `'it'\''s'`)
	f("{ $.a = 1 }", "'{ $.a = 1 }'")
}

func TestDescribeMachine(t *testing.T) {
	m := DescribeMachine()
	if m.Cores < 1 || m.GoVersion == "" || m.OS == "" {
		t.Fatalf("machine %+v: want cores, Go version and OS", m)
	}
	// Touching a fresh page costs something, and far less than a
	// millisecond on any machine a benchmark is worth running on.
	if m.PageFaultMicros <= 0 || m.PageFaultMicros > 1000 {
		t.Fatalf("page-fault cost %v µs: want a measured, plausible figure", m.PageFaultMicros)
	}
	if !strings.Contains(m.String(), "µs per fresh 4 KiB page") {
		t.Fatalf("machine line %q does not show the page-fault cost", m.String())
	}
}

func TestRatio(t *testing.T) {
	if Ratio(3, 0) != 0 || Ratio(3, 2) != 1.5 {
		t.Fatal("Ratio: want 0 for a zero divisor and a / b otherwise")
	}
}

func TestRedact(t *testing.T) {
	got := Redact(`{"dir":"/w/bench/x","repo":"/w","cmd":"cd /w/bench/x && ls"}`, map[string]string{"/w": "<repo>", "/w/bench/x": "<work>", "/": "never"})
	if want := `{"dir":"<work>","repo":"<repo>","cmd":"cd <work> && ls"}`; got != want {
		t.Fatalf("Redact = %s, want %s", got, want)
	}
	names := PathNames("/some/work")
	if names["/some/work"] != "<work>" || names[filepath.Clean(os.TempDir())] != "<tmp>" {
		t.Fatalf("PathNames = %v", names)
	}
}

func TestMain(m *testing.M) {
	Main() // the test binary is also the spawner
	os.Exit(m.Run())
}

// A child's peak RSS must not include the harness's own memory: a child
// started directly from a large process inherits that process's high-water
// RSS in its ru_maxrss.
func TestRun_PeakRSSIsTheChilds(t *testing.T) {
	big := make([]byte, 400<<20)
	for i := 0; i < len(big); i += 4096 {
		big[i] = 1
	}
	u, _, err := Run(exec.Command("sh", "-c", "true"))
	runtime.KeepAlive(big)
	if err != nil {
		t.Fatal(err)
	}
	if u.PeakRSSMiB <= 0 || u.PeakRSSMiB > 100 {
		t.Fatalf("sh -c true: peak RSS %.0f MiB with a 400 MiB harness; want the child's own few MiB", u.PeakRSSMiB)
	}
	// The exit status still reaches the caller through the spawner.
	if _, _, err := Run(exec.Command("sh", "-c", "exit 3")); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("exit 3: err = %v", err)
	}
}
