package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ctq-dev/ctq/pkg/gen"
)

const demoUsage = `ctq demo [flags]

Runs the main job end to end on an embedded default, with no AWS account: it
generates a sample organization archive (as 'ctq gen' does), ingests it into a
lake (as 'ctq ingest' does), prints the lake's partitions and runs a first
query (root account use). Running it again on the same --dir ingests nothing new.`

func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var dir string
	var events int
	fs.StringVar(&dir, "dir", "", "working directory for the archive and the lake (default: a new temporary directory)")
	fs.IntVar(&events, "events", 20000, "events in the sample archive")
	pos, err := parseCommandArgs(e, fs, args, demoUsage)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("demo: unexpected argument %q", pos[0])
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "ctq-demo-"); err != nil {
			return err
		}
	}
	archive, lakeDir := filepath.Join(dir, "archive"), filepath.Join(dir, "lake")
	cfg := gen.DefaultConfig()
	cfg.Events = events
	if _, err := os.Stat(archive); err != nil {
		st, err := gen.WriteDir(ctx, cfg, archive)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "generated %d events in %d objects under %s\n", st.Events, st.Objects, sanitize(archive))
	}
	f := ingestFlags{lake: lakeDir, maxRecord: 32 << 20, commitEvery: 15 * time.Second, memory: 40 << 20}
	if _, err := ingestSource(ctx, e, &f, archive); err != nil {
		return err
	}
	lake, err := openLake(ctx, e, lakeDir, &awsFlags{})
	if err != nil {
		return err
	}
	snap, err := readSnapshot(ctx, lake)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nlake %s:\n", sanitize(lakeDir))
	if err := writePartitions(e.stdout, summarizePartitions(snap), "table"); err != nil {
		return err
	}
	// A first query: root use, the CIS 3.3 / 4.3 metric filter.
	const rootUse = `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`
	fmt.Fprintf(e.stdout, "\nroot account use (ctq query '%s' --lake %s --limit 5 --output table):\n", rootUse, sanitize(lakeDir))
	qf := queryFlags{lake: lakeDir, limit: 5, output: "table"}
	pr, err := prepare(ctx, e, &qf, rootUse, false)
	if err != nil {
		return err
	}
	w := newRecordWriter(e.stdout, "table", defaultFields)
	if _, err := pr.run(ctx, w.write); err != nil {
		return err
	}
	if err := w.flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nRead the same lake with DuckDB:\n  SELECT eventName, count(*) FROM read_parquet('%s/account=*/region=*/day=*/*.parquet', hive_partitioning=true,\n    hive_types={'account': VARCHAR, 'region': VARCHAR, 'day': VARCHAR}) GROUP BY 1 ORDER BY 2 DESC;\n", sanitize(lakeDir))
	return nil
}
