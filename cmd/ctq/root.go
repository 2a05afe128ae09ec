package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/termtext"
)

// env carries the process's outputs to commands.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

// Command groups, in the order `ctq --help` lists them.
var commandGroups = []*cobra.Group{
	{ID: "lake", Title: "Fill and maintain the lake:"},
	{ID: "read", Title: "Query and detect:"},
	{ID: "check", Title: "Integrity and coverage:"},
	{ID: "interop", Title: "Other engines:"},
	{ID: "start", Title: "Getting started:"},
}

// commandSpec is one command: adding a command is one file whose init
// calls addCommand.
type commandSpec struct {
	order int    // position in its group in `ctq --help` and the README
	name  string // the command's name, the first word of its Use
	build func(e *env) *cobra.Command
}

var commandSpecs []commandSpec

// addCommand registers the command name; build must set Use (starting
// with name), Short and GroupID.
func addCommand(order int, name string, build func(e *env) *cobra.Command) {
	commandSpecs = append(commandSpecs, commandSpec{order, name, build})
}

// registered reports whether name is the name of a registered command.
func registered(name string) bool {
	return slices.ContainsFunc(commandSpecs, func(s commandSpec) bool { return s.name == name })
}

const rootLong = `ctq - CloudTrail log analytics from one static binary

'ctq PATTERN' is short for 'ctq query PATTERN' (use 'ctq query' for a pattern
that is also a command name). Flags may come before or after arguments.

The lake:
  Every command that reads or writes the lake takes --lake DIR|s3://bucket/prefix.
  Without it, $CTQ_LAKE is used, else the per-user default
  $XDG_DATA_HOME/ctq/lake (~/.local/share/ctq/lake when XDG_DATA_HOME is unset).

Output:
  Commands that print data take --output table|json|csv (the formats each
  supports are in its --help): table when stdout is a terminal, else json.
  Progress bars go to stderr, only on a terminal; --quiet silences them.

AWS access:
  Credentials come from the AWS SDK's default chain (environment, shared config
  and credentials files, SSO, web identity, container and instance roles).
  --profile, --region and --endpoint-url select a profile, a region and an
  S3-compatible endpoint (path-style addressing).

Durations:
  Every duration flag takes 90m, 24h, 1h30m, 7d or 2w.`

// newRoot builds the command tree: every command, or only the command
// named only when it is not "". A command runs the same without the
// others, and building their flags is most of the tree's cost (a third of
// a millisecond of every start-up); help, completion and errors that list
// commands need the whole tree.
func newRoot(e *env, only string) *cobra.Command {
	root := &cobra.Command{
		Use:               "ctq",
		Short:             "CloudTrail log analytics from one static binary",
		Long:              rootLong,
		Version:           versionLine(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usagef("%s: %v (see '%s --help')", c.CommandPath(), err, c.CommandPath())
	})
	root.AddGroup(commandGroups...)
	root.SetHelpCommandGroupID("start")
	root.SetCompletionCommandGroupID("start")
	cobra.EnableCommandSorting = false
	specs := slices.Clone(commandSpecs)
	slices.SortStableFunc(specs, func(a, b commandSpec) int { return a.order - b.order })
	for _, s := range specs {
		if only == "" || s.name == only {
			root.AddCommand(s.build(e))
		}
	}
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.SetUsageTemplate(root.UsageTemplate() + `{{if not .HasParent}}
` + exitCodesHelp() + `{{end}}`)
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			c.Short = "help about any command"
		}
		if c.Name() == "completion" {
			c.Short = "print a shell completion script (bash, zsh, fish, powershell)"
		}
		// Flag warnings (deprecated spellings) go to stderr, never into data.
		c.Flags().SetOutput(e.stderr)
		c.Flags().SortFlags = false // the shared groups first, in order
	}
	return root
}

// run runs the command line args and returns the exit code.
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
	if len(args) == 0 {
		_ = newRoot(e, "").Help()
		return exitUsage
	}
	if isPattern(args[0]) {
		// `ctq PATTERN` is `ctq query PATTERN`.
		args = append([]string{"query"}, args...)
	}
	only := ""
	if registered(args[0]) {
		only = args[0]
	}
	root := newRoot(e, only)
	root.SetArgs(args)
	return exitCode(stderr, root.ExecuteContext(ctx))
}

// isPattern says whether the first argument is a pattern rather than a
// command (a registered one, or cobra's help and completion) or a flag.
func isPattern(arg string) bool {
	if strings.HasPrefix(arg, "-") || arg == "help" || arg == "completion" || strings.HasPrefix(arg, cobra.ShellCompRequestCmd) {
		return false
	}
	return !registered(arg)
}

// noArgs rejects positional arguments with a usage error.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s: unexpected argument %q", c.CommandPath(), termtext.Escape(args[0]))
	}
	return nil
}

// exactArgs wants n positional arguments, named what in the error.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s: want exactly %d %s, got %d arguments; see '%s --help'", c.CommandPath(), n, what, len(args), c.CommandPath())
		}
		return nil
	}
}

// isTerminal says whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
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
		return nil, fmt.Errorf("no lake at %s: nothing has been ingested there (choose the lake with --lake or $CTQ_LAKE, or run 'ctq demo')", l)
	}
	return snap, nil
}
