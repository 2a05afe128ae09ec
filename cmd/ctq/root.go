package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/ctq-dev/ctq/pkg/objstore"
	s3store "github.com/ctq-dev/ctq/pkg/objstore/s3"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// Exit codes. They are part of the interface and documented in --help.
const (
	exitOK     = 0 // success
	exitError  = 1 // the command failed
	exitUsage  = 2 // bad command line or malformed pattern
	exitFaults = 3 // completed, but some input was bad or could not be read
)

const version = "0.1.0"

// usageError is an error in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// faultsError reports a completed run whose input had faults.
type faultsError struct{ msg string }

func (e *faultsError) Error() string { return e.msg }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env carries the process's outputs to commands.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func commands() []command {
	return []command{
		{"ingest", "ingest a CloudTrail archive (s3:// or a local copy) into the lake", cmdIngest},
		{"gen", "write a deterministic sample org CloudTrail archive to a directory", cmdGen},
		{"query", "print the events that match a filter pattern (also: ctq PATTERN)", cmdQuery},
		{"count", "the metric a metric filter would produce, per period, with alarm thresholds", cmdCount},
		{"detect", "run detection rules (built-in CIS pack, rule files, Sigma) over the lake; alarms exit 4", cmdDetect},
		{"watch", "ingest new objects every interval, run the rules on the new events, emit alarms", cmdWatch},
		{"explain", "show how a pattern is parsed, planned and pruned", cmdExplain},
		{"partitions", "list the lake's partitions with files, events, bytes and time range", cmdPartitions},
		{"validate", "check CloudTrail digests and log file hashes (integrity validation); failures exit 3", cmdValidate},
		{"coverage", "per account and region: hours with delivered log files, gaps, integrity state; gaps exit 3", cmdCoverage},
		{"compact", "merge each partition's small files into large ones and remove duplicate events", cmdCompact},
		{"ddl", "print a CREATE statement for the lake as an Athena, Trino or DuckDB table", cmdDDL},
		{"translate", "turn a filter pattern into the equivalent SQL WHERE clause for Athena, Trino or DuckDB", cmdTranslate},
		{"demo", "generate a sample archive, ingest it, show the lake and run a first query (no AWS needed)", cmdDemo},
		{"version", "print the version", func(_ context.Context, e *env, _ []string) error {
			fmt.Fprintln(e.stdout, versionLine())
			return nil
		}},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, getenv: os.Getenv}
	if os.Getenv("GOMEMLIMIT") == "" {
		// A soft limit makes the collector work harder before the heap
		// grows past what a bounded ingest needs (about 200 MiB live: two
		// workers' batches and Parquet buffers); it never causes an OOM.
		// A lower limit makes the collector run almost continuously
		// (measured: 35% more CPU at 200 MiB) without lowering the peak.
		debug.SetMemoryLimit(256 << 20)
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, rootHelp())
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return exitCode(e, c.run(ctx, e, args[1:]))
		}
	}
	if strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(stderr, "ctq: unknown flag %s before a command\nRun 'ctq --help' for usage.\n", sanitize(args[0]))
		return exitUsage
	}
	// Anything else is a pattern: `ctq PATTERN` is `ctq query PATTERN`.
	return exitCode(e, cmdQuery(ctx, e, args))
}

func exitCode(e *env, err error) int {
	var ue *usageError
	var fe *faultsError
	var ae *alarmError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ae):
		fmt.Fprintf(e.stderr, "ctq: %s\n", ae)
		return exitAlarm
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "ctq: %s\n", sanitizeLines(ue.msg))
		return exitUsage
	case errors.As(err, &fe):
		fmt.Fprintf(e.stderr, "ctq: %s\n", sanitize(fe.msg))
		return exitFaults
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(e.stderr, "ctq: interrupted; committed work is kept and the next run continues")
		return exitError
	default:
		fmt.Fprintf(e.stderr, "ctq: %s\n", sanitize(err.Error()))
		return exitError
	}
}

func rootHelp() string {
	var b strings.Builder
	b.WriteString(`ctq - CloudTrail log analytics from one static binary

Usage:
  ctq <command> [arguments] [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-11s %s\n", c.name, c.summary)
	}
	b.WriteString(`
Run 'ctq <command> --help' for a command's flags. 'ctq PATTERN' is short for
'ctq query PATTERN' (use 'ctq query' for a pattern that is also a command name).

The lake:
  Every command that reads or writes the lake takes --lake DIR|s3://bucket/prefix.
  Without it, $CTQ_LAKE is used, else the per-user default
  $XDG_DATA_HOME/ctq/lake (~/.local/share/ctq/lake when XDG_DATA_HOME is unset).

AWS access:
  Credentials come from the AWS SDK's default chain (environment, shared config
  and credentials files, SSO, web identity, container and instance roles).
  --profile, --region and --endpoint-url select a profile, a region and an
  S3-compatible endpoint (path-style addressing).

Exit codes:
  0  success
  1  the command failed (nothing after the last commit is lost: re-run to continue)
  2  bad command line or malformed pattern (the pattern is shown with a caret)
  3  completed, but some input was bad or unreadable (see the summary; bad
     objects are recorded in the manifest, unreadable ones are retried next run);
     validate, ingest --verify: integrity validation failed; coverage: a gap or
     a failed verdict
  4  count --threshold, detect, watch: at least one period is in ALARM
`)
	return b.String()
}

// awsFlags are the S3 access flags shared by commands.
type awsFlags struct {
	profile, region, endpoint string
}

func (a *awsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.profile, "profile", "", "AWS shared-config profile")
	fs.StringVar(&a.region, "region", "", "AWS region for S3 requests (default: discovered from the bucket)")
	fs.StringVar(&a.endpoint, "endpoint-url", "", "S3-compatible endpoint URL, e.g. http://127.0.0.1:9000 (path-style)")
}

func (a *awsFlags) options() s3store.Options {
	return s3store.Options{Profile: a.profile, Region: a.region, EndpointURL: a.endpoint, PathStyle: a.endpoint != ""}
}

// lakeLocation resolves --lake, $CTQ_LAKE and the per-user default.
func lakeLocation(e *env, flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if v := e.getenv("CTQ_LAKE"); v != "" {
		return v, nil
	}
	if x := e.getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "ctq", "lake"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no --lake, no $CTQ_LAKE and no home directory for the default lake: %w", err)
	}
	return filepath.Join(home, ".local", "share", "ctq", "lake"), nil
}

func openLake(ctx context.Context, e *env, flagValue string, aws *awsFlags) (*partition.Lake, error) {
	loc, err := lakeLocation(e, flagValue)
	if err != nil {
		return nil, err
	}
	l, err := objstore.ParseLocation(loc)
	if err != nil {
		return nil, usagef("--lake: %v", err)
	}
	b, err := openBucket(ctx, l, aws.options())
	if err != nil {
		return nil, fmt.Errorf("open lake %s: %w", loc, err)
	}
	return partition.Open(b), nil
}

// parseArgs parses flags that may appear before, between and after
// positional arguments, and returns the positionals.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseCommandArgs is parseArgs for a command: on -h/--help it prints the
// command's usage and flags and returns flag.ErrHelp (exit 0).
func parseCommandArgs(e *env, fs *flag.FlagSet, args []string, usage string) ([]string, error) {
	pos, err := parseArgs(fs, args)
	if err == flag.ErrHelp {
		printHelp(e.stdout, fs, usage)
	}
	return pos, err
}

// printHelp writes a command's usage and flags.
func printHelp(w io.Writer, fs *flag.FlagSet, usage string) {
	fmt.Fprintf(w, "Usage:\n  %s\n\nFlags:\n", usage)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// sanitize renders untrusted text (keys, values from logs) harmless on a
// terminal: control characters, including ESC, become visible escapes.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			fmt.Fprintf(&b, "\\u%04x", r)
		case r == 0xfffd:
			b.WriteString("\\ufffd")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// sanitizeLines is sanitize for multi-line messages: line breaks stay.
func sanitizeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = sanitize(l)
	}
	return strings.Join(lines, "\n")
}

// readSnapshot reads the lake's state for a reading command; a location with
// no commits is almost always a wrong --lake, so it is an error.
func readSnapshot(ctx context.Context, l *partition.Lake) (*partition.Snapshot, error) {
	return checkedSnapshot(ctx, l, l.FilesSnapshot)
}

// readFullSnapshot is readSnapshot with the ingested source objects (their
// verdicts and delivery keys) too.
func readFullSnapshot(ctx context.Context, l *partition.Lake) (*partition.Snapshot, error) {
	return checkedSnapshot(ctx, l, l.Snapshot)
}

func checkedSnapshot(ctx context.Context, l *partition.Lake, load func(context.Context) (*partition.Snapshot, error)) (*partition.Snapshot, error) {
	snap, err := load(ctx)
	if err != nil {
		return nil, err
	}
	if snap.Commits == 0 {
		return nil, fmt.Errorf("no lake at %s: nothing has been ingested there (choose the lake with --lake or $CTQ_LAKE)", l)
	}
	return snap, nil
}
