package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ctq-dev/ctq/pkg/termtext"
)

// Exit codes. They are part of the interface: each has one meaning in every
// command, `ctq --help` lists them from exitCodes, and the README's table is
// tested against the same list.
const (
	exitOK        = 0
	exitError     = 1
	exitUsage     = 2
	exitFaults    = 3
	exitAlarm     = 4
	exitIntegrity = 5
)

// exitCodes is the one table of exit codes and their meanings.
var exitCodes = []struct {
	code    int
	meaning string
}{
	{exitOK, "success"},
	{exitError, "the command failed (nothing after the last commit is lost: re-run to continue)"},
	{exitUsage, "bad command line or malformed pattern (the pattern is shown with a caret)"},
	{exitFaults, "completed, but some input was bad or unreadable (bad objects are recorded in the manifest, unreadable ones are retried by the next run)"},
	{exitAlarm, "count --threshold, detect: at least one period is in ALARM (watch prints alarms and keeps running)"},
	{exitIntegrity, "validate, ingest --verify: a digest or log file failed integrity validation; coverage: a gap or a failed verdict"},
}

// exitCodesHelp renders exitCodes for `ctq --help`.
func exitCodesHelp() string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, c := range exitCodes {
		fmt.Fprintf(&b, "  %d  %s\n", c.code, c.meaning)
	}
	return b.String()
}

// codedError is an error that ends the process with a given exit code.
type codedError struct {
	code int
	msg  string
}

func (e *codedError) Error() string { return e.msg }

// usagef reports an error in the command line (exit 2).
func usagef(format string, args ...any) error {
	return &codedError{exitUsage, fmt.Sprintf(format, args...)}
}

// faultsf reports a completed run whose input had faults (exit 3).
func faultsf(format string, args ...any) error {
	return &codedError{exitFaults, fmt.Sprintf(format, args...)}
}

// alarmf reports periods in ALARM (exit 4).
func alarmf(format string, args ...any) error {
	return &codedError{exitAlarm, fmt.Sprintf(format, args...)}
}

// integrityf reports failed integrity validation or a coverage gap (exit 5).
func integrityf(format string, args ...any) error {
	return &codedError{exitIntegrity, fmt.Sprintf(format, args...)}
}

// exitCode prints err on stderr and returns the process's exit code.
func exitCode(stderr io.Writer, err error) int {
	var ce *codedError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "ctq: %s\n", termtext.EscapeLines(ce.msg))
		return ce.code
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "ctq: interrupted; committed work is kept and the next run continues")
		return exitError
	default:
		fmt.Fprintf(stderr, "ctq: %s\n", termtext.Escape(err.Error()))
		return exitError
	}
}
