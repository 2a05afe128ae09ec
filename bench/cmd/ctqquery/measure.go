package main

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

// usage is what rusage tells about a finished child process, plus the CPU
// time everything else on the machine used meanwhile.
type usage struct {
	wall, cpu time.Duration
	maxRSSMiB float64
	otherCPU  time.Duration // machine busy time minus the child's
}

// runMeasured runs cmd to completion and returns its wall time, CPU time
// and peak RSS (of the largest process in the tree, as rusage reports).
// stdout and stderr are captured; stderr is also echoed.
func runMeasured(cmd *exec.Cmd) (u usage, stdout []byte, err error) {
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = io.MultiWriter(&errb, os.Stderr)
	busy0, busyErr := machineBusy()
	t0 := time.Now()
	err = cmd.Run()
	u.wall = time.Since(t0)
	busy1, busyErr1 := machineBusy()
	if ps := cmd.ProcessState; ps != nil {
		u.cpu = ps.UserTime() + ps.SystemTime()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			u.maxRSSMiB = float64(ru.Maxrss) / 1024 // KiB on Linux
		}
		if busyErr == nil && busyErr1 == nil {
			u.otherCPU = max(0, busy1-busy0-u.cpu)
		}
	}
	if err != nil {
		msg := strings.TrimSpace(errb.String())
		if len(msg) > 4000 {
			msg = "..." + msg[len(msg)-4000:]
		}
		return u, out.Bytes(), fmt.Errorf("%s: %w (after %.1fs); stderr:\n%s",
			shellJoin(cmd.Args), err, u.wall.Seconds(), msg)
	}
	return u, out.Bytes(), nil
}

// machineBusy returns the CPU time all cores have spent busy since boot,
// from the first line of /proc/stat (in USER_HZ = 100 ticks per second).
func machineBusy() (time.Duration, error) {
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

// waitQuiet waits, up to limit, until the rest of the machine keeps less
// than 0.15 cores busy over a 2-second window. It returns the load of the
// last window; a timeout is not an error (each run records the load it saw).
func waitQuiet(ctx context.Context, limit time.Duration) (float64, error) {
	if limit <= 0 {
		return 0, nil
	}
	const window = 2 * time.Second
	deadline := time.Now().Add(limit)
	for warned := false; ; {
		b0, err := machineBusy()
		if err != nil {
			return 0, nil // no /proc/stat: nothing to wait for
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(window):
		}
		b1, err := machineBusy()
		if err != nil {
			return 0, nil
		}
		load := (b1 - b0).Seconds() / window.Seconds()
		if load < 0.15 || time.Now().After(deadline) {
			if load >= 0.15 {
				logf("machine still busy (%.2f cores used by others); measuring anyway", load)
			}
			return load, nil
		}
		if !warned {
			logf("other processes keep %.2f cores busy; waiting up to %s for the machine to go quiet", load, limit)
			warned = true
		}
	}
}

// shellJoin quotes args for a POSIX shell, for commands shown to people.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = shellQuote(a)
	}
	return strings.Join(out, " ")
}

func shellQuote(a string) string {
	if a != "" && strings.IndexFunc(a, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,@+%", r))
	}) < 0 {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}
