package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/termtext"
)

const demoLong = `Runs the main job end to end with no AWS account: it generates a sample
organization archive dated over the last days (as 'ctq gen --lineages 8' does:
with credential lineages for 'ctq trace' to follow), ingests it
into a lake (as 'ctq ingest' does), runs a first query (root account use) and
prints three commands to try next. The archive and the lake live in --dir
(default: the per-user data directory, next to the default lake); running the
demo again the same day reuses them, on a later day it regenerates them.`

func init() { addCommand(85, "demo", newDemoCmd) }

// demoLineages is the number of credential lineages in the demo archive.
const demoLineages = 8

// demoNext are the commands the demo suggests, as printed after its
// `export CTQ_LAKE=...` line.
var demoNext = []string{
	"ctq partitions",
	"ctq 'eventName=ConsoleLogin' --since 7d --fields eventTime,userIdentity.arn,sourceIPAddress,responseElements.ConsoleLogin",
	"ctq detect --since 7d",
}

func newDemoCmd(e *env) *cobra.Command {
	var dir string
	var events int
	c := &cobra.Command{
		Use:     "demo",
		Short:   "generate a sample archive, ingest it, show the lake and run a first query (no AWS needed)",
		Long:    demoLong,
		GroupID: "start",
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runDemo(c.Context(), e, dir, events)
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "directory for the archive and the lake (default $XDG_DATA_HOME/ctq/demo, else ~/.local/share/ctq/demo)")
	c.Flags().IntVar(&events, "events", 20000, "events in the sample archive")
	_ = c.MarkFlagDirname("dir")
	return c
}

// demoDir is the default demo directory, beside the per-user default lake.
func demoDir(e *env) (string, error) {
	lake, err := lakeLocation(&env{getenv: func(k string) string {
		if k == "CTQ_LAKE" {
			return ""
		}
		return e.getenv(k)
	}}, "")
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(lake), "demo"), nil
}

func runDemo(ctx context.Context, e *env, dir string, events int) error {
	if dir == "" {
		var err error
		if dir, err = demoDir(e); err != nil {
			return err
		}
	}
	// The archive covers the six days before today (UTC), so examples
	// with --since 7d match it.
	cfg := gen.DefaultConfig()
	cfg.Events, cfg.Days = events, 6
	// Credential lineages (about 30 records each) give 'ctq trace' keys
	// to follow; a very small archive gets fewer.
	cfg.Lineages = min(demoLineages, events/400)
	cfg.Start = time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -cfg.Days)
	archive := filepath.Join(dir, "archive-"+cfg.Start.Format("2006-01-02"))
	lakeDir := filepath.Join(dir, "lake")
	if _, err := os.Stat(archive); err != nil {
		// A new day: the archive of an earlier day and its lake go.
		old, _ := filepath.Glob(filepath.Join(dir, "archive-*"))
		for _, p := range append(old, lakeDir) {
			if err := os.RemoveAll(p); err != nil {
				return fmt.Errorf("demo: remove the earlier demo's %s: %w", p, err)
			}
		}
		fmt.Fprintf(e.stderr, "generating the sample archive ...\n")
		st, err := gen.WriteDir(ctx, cfg, archive)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "archive  %s\n         %d objects, %d events, %s to %s (a sample organization: %d accounts, %d regions)\n",
			termtext.Escape(archive), st.Objects, st.Events, cfg.Start.Format("2006-01-02"), cfg.Start.AddDate(0, 0, cfg.Days-1).Format("2006-01-02"),
			cfg.Accounts, len(cfg.Regions))
	} else {
		fmt.Fprintf(e.stdout, "archive  %s (generated earlier today)\n", termtext.Escape(archive))
	}
	f := defaultIngestFlags()
	f.lf.lake = lakeDir
	if _, err := ingestSource(ctx, e, &f, archive); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "lake     %s\n", termtext.Escape(lakeDir))
	// A first query: root use, the CIS 3.3 / 4.3 metric filter.
	const rootUse = `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`
	fmt.Fprintf(e.stdout, "\nroot account use, the first 5 (ctq query '%s' --limit 5):\n", rootUse)
	var sf scanFlags
	sf.lf.lake = lakeDir
	pr, err := prepare(ctx, e, &sf, rootUse, 5, false)
	if err != nil {
		return err
	}
	w := newRecordWriter(e.stdout, "table", []string{"eventTime", "recipientAccountId", "awsRegion", "eventName", "sourceIPAddress"})
	if _, err := pr.run(ctx, w.write); err != nil {
		return err
	}
	if err := w.flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nNext, point ctq at the demo lake and try:\n  export CTQ_LAKE=%s\n", shellQuote(lakeDir))
	for _, c := range demoNext {
		fmt.Fprintf(e.stdout, "  %s\n", c)
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
