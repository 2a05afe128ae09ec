// Package proc tells whether the process that wrote a lease or a temporary
// file still runs, so crash recovery can tell a dead writer's leftovers from
// the files of a live one.
package proc

import (
	"errors"
	"hash/fnv"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Alive reports whether a process with this id runs on this host. A process
// owned by another user counts as running.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Tag names the calling process as "<host>-<pid>", where host is a short
// hash of the host name (safe in a file name whatever the host is called).
func Tag() string { return hostHash() + "-" + strconv.Itoa(os.Getpid()) }

// Gone reports whether tag (as made by Tag) names a process of this host that
// has exited. A tag of another host, or one that does not parse, is not
// known to be gone: callers must then fall back on the file's age.
func Gone(tag string) bool {
	host, pidText, ok := strings.Cut(tag, "-")
	if !ok || host != hostHash() {
		return false
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return false
	}
	return !Alive(pid)
}

func hostHash() string {
	name, _ := os.Hostname()
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}
