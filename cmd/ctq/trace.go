package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/lineage"
	"github.com/ctq-dev/ctq/pkg/query"
	"github.com/ctq-dev/ctq/pkg/termtext"
)

const traceLong = `Follows a credential across the lake: backwards from TARGET (an access key id,
AKIA... or ASIA..., or an ARN: an assumed-role session, an IAM user or root, a
federated user, or a role, whose sessions are traced) to the credential at the
root (a user's long-term key, a SAML or web identity, an AWS service), and
forwards to the keys and sessions it issued (AssumeRole and friends, role
chaining, across the organization's accounts), --depth links each way.

Output: a tree on a terminal (one line per credential, indented by lineage,
with its events, first/last time, accounts, regions, top APIs, source IPs,
user agents, errors and flags such as possible-exfiltration); --output json:
the credentials and the links between them, each with the eventID that proves
it. --events prints every event of the lineage in time order instead, as
'ctq query' prints events (raw records as JSON Lines, or --output table/csv).
The link rules and what cannot be linked are in docs/LINEAGE.md.`

func init() { addCommand(36, "trace", newTraceCmd) }

type traceFlags struct {
	scanFlags
	out    outputFlags
	depth  int
	events bool
}

func newTraceCmd(e *env) *cobra.Command {
	var f traceFlags
	c := &cobra.Command{
		Use:     "trace TARGET",
		Short:   "follow an access key or ARN to where it came from and what it issued (credential lineage)",
		Long:    traceLong,
		GroupID: "read",
		Args:    exactArgs(1, "TARGET (an access key id or an ARN)"),
		RunE: func(c *cobra.Command, args []string) error {
			return runTrace(c.Context(), e, &f, args[0])
		},
	}
	f.register(c, e)
	f.out.register(c, "", "table", "json", "csv")
	c.Flags().IntVar(&f.depth, "depth", lineage.DefaultDepth, "links followed backwards (to the root) and forwards (what it issued)")
	c.Flags().BoolVar(&f.events, "events", false, "print every event of the lineage in time order instead of the tree")
	return c
}

// lineageSource opens the lake the scan flags select as an event source
// for pkg/lineage, and returns the --since/--until window (which lineage
// takes in its own configs, not in the source's options).
func lineageSource(ctx context.Context, e *env, s *scanFlags) (src *lineage.LakeSource, since, until time.Time, err error) {
	opts, lake, snap, err := s.openScan(ctx, e)
	if err != nil {
		return nil, since, until, err
	}
	src = &lineage.LakeSource{Lake: lake, Snap: snap, Options: query.Options{
		Accounts: opts.Accounts, Regions: opts.Regions, Sources: opts.Sources, Workers: opts.Workers,
	}}
	return src, opts.Since, opts.Until, nil
}

func runTrace(ctx context.Context, e *env, f *traceFlags, target string) error {
	output, err := f.out.format(e)
	if err != nil {
		return err
	}
	if !f.events && output == "csv" {
		return usagef("--output csv: the trace is a tree; use table or json (or --events for the events as CSV)")
	}
	cfg := lineage.Config{Target: strings.TrimSpace(target), Depth: f.depth, KeepEvents: f.events}
	if f.depth == 0 {
		return usagef("--depth 0: want at least 1 link")
	}
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	src, since, until, err := lineageSource(ctx, e, &f.scanFlags)
	if err != nil {
		return err
	}
	cfg.Since, cfg.Until = since, until
	bar := newProgress(e, f.out.quiet, -1, false, "tracing "+termtext.Escape(cfg.Target))
	res, err := lineage.Trace(ctx, src, cfg)
	bar.done()
	if err != nil {
		return err
	}
	switch {
	case f.events && output == "json":
		return lineage.WriteEvents(e.stdout, res)
	case f.events:
		w := newRecordWriter(e.stdout, output, defaultFields)
		for _, raw := range res.Events() {
			if err := w.write(query.Match{Raw: raw}); err != nil {
				return err
			}
		}
		return w.flush()
	case output == "json":
		return lineage.WriteJSON(e.stdout, res)
	}
	if len(res.Credentials) == 0 && !f.out.quiet {
		fmt.Fprintf(e.stderr, "no events of %s in the lake's window; widen --since/--until or check the key or ARN\n", termtext.Escape(cfg.Target))
	}
	return lineage.WriteTree(e.stdout, res)
}
