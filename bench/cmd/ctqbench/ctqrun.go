package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// usage is what rusage tells about a finished child process, plus the CPU
// time everything else on the machine used meanwhile.
type usage struct {
	wall, user, sys, cpu time.Duration
	maxRSSMiB            float64
	otherCPU             time.Duration // machine busy time minus the child's
}

// runMeasured runs cmd to completion and returns its wall time, CPU time
// and peak RSS. stdout and stderr are captured; stderr is also echoed.
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
		u.user, u.sys = ps.UserTime(), ps.SystemTime()
		u.cpu = u.user + u.sys
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
		return u, out.Bytes(), fmt.Errorf("%s: %w (after %.1fs, peak RSS %.0f MiB); stderr:\n%s",
			strings.Join(cmd.Args, " "), err, u.wall.Seconds(), u.maxRSSMiB, msg)
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
// than 0.15 cores busy over a 3-second window, so that measurements are not
// disturbed by other work (builds, tests) on a shared machine. It returns
// the load of the last window; a timeout is not an error, the report shows
// the load during each run.
func waitQuiet(ctx context.Context, limit time.Duration) (float64, error) {
	const window = 3 * time.Second
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
			return load, nil
		}
		if !warned {
			logf("other processes keep %.2f cores busy; waiting up to %s for the machine to go quiet", load, limit)
			warned = true
		}
	}
}

// buildCtq builds the ctq binary from the repo root into dir (pure Go,
// CGO_ENABLED=0, as it ships).
func buildCtq(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "ctq")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/ctq")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build ctq: %w\n%s", err, out)
	}
	return bin, nil
}

// ctqSummary is the part of `ctq ingest --json` the harness uses.
type ctqSummary struct {
	Objects           int64             `json:"objects"`
	ObjectsPartial    int64             `json:"objectsPartial"`
	ObjectsInvalid    int64             `json:"objectsInvalid"`
	ObjectsFailed     int64             `json:"objectsFailed"`
	Events            int64             `json:"events"`
	BytesRead         int64             `json:"bytesRead"`
	BytesDecompressed int64             `json:"bytesDecompressed"`
	BytesWritten      int64             `json:"bytesWritten"`
	Files             int64             `json:"files"`
	Partitions        int               `json:"partitions"`
	ElapsedSeconds    float64           `json:"elapsedSeconds"`
	Problems          []json.RawMessage `json:"problems"`
}

type ctqRun struct {
	usage
	lake      string
	summary   ctqSummary
	lakeBytes int64 // Parquet bytes on disk under the partitions
	lakeFiles int
}

// runCtq ingests the archive into a fresh lake with the ctq binary.
func runCtq(ctx context.Context, bin, archiveDir, lake string) (*ctqRun, error) {
	if err := os.RemoveAll(lake); err != nil {
		return nil, fmt.Errorf("remove old lake: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, "ingest", archiveDir, "--lake", lake, "--json")
	u, out, err := runMeasured(cmd)
	if err != nil {
		return nil, fmt.Errorf("ctq ingest failed: %w", err)
	}
	r := &ctqRun{usage: u, lake: lake}
	if err := json.Unmarshal(out, &r.summary); err != nil {
		return nil, fmt.Errorf("parse ctq ingest --json output: %w; output: %.500q", err, out)
	}
	r.lakeBytes, r.lakeFiles, err = parquetBytes(lake)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// parquetBytes sums the sizes of the .parquet files under dir, skipping
// ctq's metadata directory _ctq.
func parquetBytes(dir string) (n int64, files int, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "_ctq" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".parquet") {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
			files++
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("size of %s: %w", dir, err)
	}
	return n, files, nil
}

func (r *ctqRun) result(a archiveInfo) toolResult {
	t := newToolResult("ctq", r.usage, r.summary.Events, a, r.lakeBytes)
	t.OutputFiles = r.lakeFiles
	t.ReportedBytesWritten = r.summary.BytesWritten
	t.ReportedElapsedSeconds = r.summary.ElapsedSeconds
	t.Threads = fmt.Sprintf("%d (default --workers = CPUs)", runtime.NumCPU())
	return t
}
