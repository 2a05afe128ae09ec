package measure

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Why a spawner: Go starts children with vfork semantics (CLONE_VM), and
// Linux records the high-water RSS of the memory image an exec replaces in
// the new program's ru_maxrss. A child started directly by a harness
// therefore reports max(harness RSS, child RSS): a harness holding a
// 4M-event reference set made every tool look like it needed 1.1 GiB. So
// Run starts a fresh copy of the harness binary as a small spawner; the
// spawner starts the measured command (whose ru_maxrss then includes at
// most the spawner's few MiB), waits for it and reports its rusage on a
// pipe.

// spawnArg as the first argument makes a harness binary act as a spawner.
const spawnArg = "__ctq_measure_spawn"

// spawnerReady is set by Main: only a binary that calls Main can spawn.
var spawnerReady bool

// spawnReport is what a spawner sends back about the measured command.
type spawnReport struct {
	UserNS, SysNS int64
	MaxRSSKiB     int64
	Exit          int
	Err           string
}

// Main must be the first call in a harness's main function. In a spawner
// process it runs the measured command and exits; otherwise it returns
// and enables spawning for Run.
func Main() {
	if len(os.Args) < 3 || os.Args[1] != spawnArg {
		spawnerReady = true
		return
	}
	report := os.NewFile(3, "measure-report")
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// The measured command dies with the spawner (a cancelled run kills
	// the spawner).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var r spawnReport
	err := cmd.Run()
	if err != nil {
		r.Err = err.Error()
	}
	if ps := cmd.ProcessState; ps != nil {
		r.UserNS, r.SysNS, r.Exit = int64(ps.UserTime()), int64(ps.SystemTime()), ps.ExitCode()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			r.MaxRSSKiB = ru.Maxrss
		}
	} else {
		r.Exit = 127
	}
	if report != nil {
		json.NewEncoder(report).Encode(r)
		report.Close()
	}
	os.Exit(max(r.Exit, 0))
}

// spawned rewrites cmd to run through a spawner; the returned function
// reads the measured command's rusage after cmd has finished. ok is false
// when this binary cannot spawn (Main was not called).
func spawned(cmd *exec.Cmd) (read func() (spawnReport, error), cleanup func(), ok bool, err error) {
	if !spawnerReady || len(cmd.ExtraFiles) > 0 {
		return nil, nil, false, nil
	}
	self, err := os.Executable()
	if err != nil {
		return nil, nil, false, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, false, err
	}
	cmd.Args = append([]string{self, spawnArg, cmd.Path}, cmd.Args[1:]...)
	cmd.Path = self
	cmd.ExtraFiles = []*os.File{pw}
	read = func() (spawnReport, error) {
		var r spawnReport
		if err := json.NewDecoder(pr).Decode(&r); err != nil {
			return r, fmt.Errorf("read the spawner's report: %w", err)
		}
		return r, nil
	}
	cleanup = func() { pw.Close(); pr.Close() }
	return read, cleanup, true, nil
}

func (r spawnReport) apply(u *Usage) {
	u.User, u.Sys = time.Duration(r.UserNS), time.Duration(r.SysNS)
	u.PeakRSSMiB = float64(r.MaxRSSKiB) / 1024
}
