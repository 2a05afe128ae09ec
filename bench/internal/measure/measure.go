// Package measure runs the benchmark harnesses' child processes and reports
// what they cost: wall time, CPU time (user + sys) and peak RSS from the
// child's rusage, and the CPU time the rest of the machine used meanwhile,
// so that a run disturbed by other work can be recognised. It also
// describes the machine and finds and builds the ctq binary.
//
// Every measured tool (ctq, DuckDB in a re-executed child, zcat | jq) runs
// as its own process, so the figures of all tools are taken the same way.
package measure

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Usage is what rusage tells about one finished child process, plus the
// CPU time everything else on the machine used while it ran.
type Usage struct {
	Wall, User, Sys time.Duration
	PeakRSSMiB      float64 // ru_maxrss: the largest process of the child's tree (see spawn.go)
	// OtherCPU is the machine's busy time during the run minus the
	// child's own CPU time.
	OtherCPU time.Duration
}

// CPU is user + sys time.
func (u Usage) CPU() time.Duration { return u.User + u.Sys }

// OtherCores is the CPU time the rest of the machine used during the run
// per wall second: above about 0.1 the run was disturbed.
func (u Usage) OtherCores() float64 {
	if u.Wall <= 0 {
		return 0
	}
	return u.OtherCPU.Seconds() / u.Wall.Seconds()
}

// stderrTail bounds how much of a failed child's stderr goes into the error.
const stderrTail = 4000

// Run runs cmd to completion and measures it. The child's stdout is
// captured and returned; its stderr is captured for the error and also
// echoed to ours, so progress of long runs stays visible. cmd.Stdout and
// cmd.Stderr must be unset.
func Run(cmd *exec.Cmd) (u Usage, stdout []byte, err error) {
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = io.MultiWriter(&errb, os.Stderr)
	args := cmd.Args
	read, cleanup, viaSpawner, serr := spawned(cmd)
	if serr != nil {
		return u, nil, serr
	}
	busy0, busyErr0 := MachineBusy()
	t0 := time.Now()
	if viaSpawner {
		err = cmd.Start()
		if err == nil {
			cmd.ExtraFiles[0].Close() // the spawner holds the write end
			rep, rerr := read()
			err = cmd.Wait()
			if rerr == nil {
				rep.apply(&u)
			} else if err == nil {
				err = rerr
			}
		}
		cleanup()
	} else {
		err = cmd.Run()
	}
	u.Wall = time.Since(t0)
	busy1, busyErr1 := MachineBusy()
	if ps := cmd.ProcessState; ps != nil {
		if !viaSpawner {
			u.User, u.Sys = ps.UserTime(), ps.SystemTime()
			if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
				u.PeakRSSMiB = float64(ru.Maxrss) / 1024 // KiB on Linux
			}
		}
		if busyErr0 == nil && busyErr1 == nil {
			u.OtherCPU = max(0, busy1-busy0-u.CPU())
		}
	}
	cmd.Args = args
	if err != nil {
		msg := strings.TrimSpace(errb.String())
		if len(msg) > stderrTail {
			msg = "..." + msg[len(msg)-stderrTail:]
		}
		return u, out.Bytes(), fmt.Errorf("%s: %w (after %.1fs, peak RSS %.0f MiB); stderr:\n%s",
			ShellJoin(cmd.Args), err, u.Wall.Seconds(), u.PeakRSSMiB, msg)
	}
	return u, out.Bytes(), nil
}

// MachineBusy returns the CPU time all cores have spent busy since boot,
// from the first line of /proc/stat (in USER_HZ = 100 ticks per second).
func MachineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var ticks int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 7 { // guest time is already counted in user
			break
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// QuietLoad is the load (busy cores, from /proc/stat) below which the
// machine counts as quiet. A 2-core machine with an idle desktop or a
// few daemons stays below it; a compiler or a test run does not.
const QuietLoad = 0.15

// quietWindow is how long WaitQuiet samples the load at most: long enough
// to smooth out a daemon's wake-up, short enough to start soon after a
// build ends. Short limits sample for a fifth of the limit (at least
// minQuietWindow), so that a suite of many short runs does not spend most
// of its time sampling.
const (
	quietWindow    = 3 * time.Second
	minQuietWindow = time.Second
)

// WaitQuiet waits, up to limit, until the whole machine keeps fewer than
// QuietLoad cores busy over a quietWindow, so that a measurement is not
// disturbed by other work (builds, tests) on a shared machine. The load
// is sampled over a short window from /proc/stat rather than read from the
// 1-minute load average, which would still count the previous measured
// run for a minute after it ended. It never blocks longer than limit (plus
// one window): a timeout is not an error,
// since every run records the load it saw. It returns the load of the
// last window. logf, if not nil, is told once when it starts waiting and
// once when it gives up.
func WaitQuiet(ctx context.Context, limit time.Duration, logf func(string, ...any)) (float64, error) {
	if limit <= 0 {
		return 0, nil
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	window := min(quietWindow, max(minQuietWindow, limit/5))
	deadline := time.Now().Add(limit)
	for warned := false; ; {
		b0, err := MachineBusy()
		if err != nil {
			return 0, nil // no /proc/stat: nothing to wait for
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(window):
		}
		b1, err := MachineBusy()
		if err != nil {
			return 0, nil
		}
		load := (b1 - b0).Seconds() / window.Seconds()
		if load < QuietLoad {
			return load, nil
		}
		if time.Now().After(deadline) {
			logf("machine still busy (%.2f cores used by others) after waiting %s; measuring anyway", load, limit)
			return load, nil
		}
		if !warned {
			logf("other processes keep %.2f cores busy; waiting up to %s for the machine to go quiet", load, limit)
			warned = true
		}
	}
}

// ShellJoin quotes args for a POSIX shell, for commands shown to people.
func ShellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = ShellQuote(a)
	}
	return strings.Join(out, " ")
}

// ShellQuote quotes one word for a POSIX shell when it needs quoting.
func ShellQuote(a string) string {
	if a != "" && strings.IndexFunc(a, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,@+%", r))
	}) < 0 {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}

// Ratio is a / b, or 0 when b is 0 (a tool that did not run).
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
