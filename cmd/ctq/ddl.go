package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/interop"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/termtext"
)

const ddlLong = `Prints a ready CREATE statement that makes the lake a table of another engine,
with column types derived from the lake's Parquet schema:
  athena  CREATE EXTERNAL TABLE with partition projection over account, region
          and day (no ALTER TABLE ADD PARTITION needed)
  trino   CREATE TABLE for the Hive connector, then sync_partition_metadata
  duckdb  CREATE OR REPLACE VIEW over read_parquet (local directory or s3://)

--location defaults to the lake's location (Athena and Trino need s3://).
For Athena the projection's accounts, regions and first day come from the
lake's manifest when it can be read; --accounts, --regions and --first-day
override them. Without a readable lake the account projection is "injected"
(queries must then name the account) and the regions are all commercial ones.`

func init() { addCommand(70, "ddl", newDDLCmd) }

var engines = []string{"athena", "trino", "duckdb"}

func newDDLCmd(e *env) *cobra.Command {
	var lf lakeFlags
	var parts partitionFlags
	var engine, location, table, firstDay string
	c := &cobra.Command{
		Use:     "ddl --engine athena|trino|duckdb",
		Short:   "print a CREATE statement for the lake as an Athena, Trino or DuckDB table",
		Long:    ddlLong,
		GroupID: "interop",
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runDDL(c.Context(), e, &lf, &parts, engine, location, table, firstDay)
		},
	}
	fs := c.Flags()
	fs.StringVar(&engine, "engine", "", "athena, trino or duckdb (required)")
	fs.StringVar(&location, "location", "", "the lake's location as the engine reads it: s3://bucket/prefix, or a directory for duckdb (default: the lake)")
	fs.StringVar(&table, "table", interop.DefaultTable, "table (view) name: NAME, SCHEMA.NAME, or CATALOG.SCHEMA.NAME for trino and duckdb")
	fs.StringVar(&firstDay, "first-day", "", "athena: first day of the projection, yyyy-mm-dd (default: the lake's first day)")
	lf.register(c)
	parts.register(c, &lf, e)
	fs.Lookup("accounts").Usage = "athena: comma-separated account ids of the projection (default: the lake's)"
	fs.Lookup("regions").Usage = "athena: comma-separated regions of the projection (default: the lake's)"
	_ = c.RegisterFlagCompletionFunc("engine", cobra.FixedCompletions(engines, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func runDDL(ctx context.Context, e *env, lf *lakeFlags, parts *partitionFlags, engine, location, table, firstDay string) error {
	lake, aws := lf.lake, &lf.aws
	accounts, regions := strings.Join(parts.accounts, ","), strings.Join(parts.regions, ",")
	if engine == "" {
		return usagef("ddl: --engine is required (athena, trino or duckdb)")
	}
	eng, err := interop.ParseEngine(engine)
	if err != nil {
		return usagef("--engine: %s", termtext.Escape(err.Error()))
	}
	cfg := interop.DDLConfig{Engine: eng, Location: location, Table: table, FirstDay: firstDay}
	if accounts != "" {
		cfg.Accounts = splitList(accounts)
	}
	if regions != "" {
		cfg.Regions = splitList(regions)
	}
	if cfg.Location == "" {
		loc, err := lakeLocation(e, lake)
		if err != nil {
			return err
		}
		if cfg.Location, err = engineLocation(eng, loc); err != nil {
			return err
		}
	}
	if eng == interop.Athena && (accounts == "" || regions == "" || firstDay == "") {
		projectFromLake(ctx, e, lake, aws, &cfg, accounts == "", regions == "", firstDay == "")
	}
	out, err := interop.DDL(ingest.ParquetSchema(), cfg)
	if err != nil {
		return usagef("ddl: %s", termtext.Escape(err.Error()))
	}
	_, err = fmt.Fprint(e.stdout, out)
	return err
}

// engineLocation turns the lake's location into what the engine reads:
// the s3:// URL, or for DuckDB an absolute directory.
func engineLocation(eng interop.Engine, loc string) (string, error) {
	l, err := objstore.ParseLocation(loc)
	if err != nil {
		return "", usagef("--lake: %s", termtext.Escape(err.Error()))
	}
	if l.Scheme == "s3" {
		return l.String(), nil
	}
	if eng != interop.DuckDB {
		return "", usagef("ddl: the lake %s is a local directory; %s reads S3: give --location s3://bucket/prefix (where the lake is copied or synced)", termtext.Escape(loc), eng)
	}
	abs, err := filepath.Abs(l.Path)
	if err != nil {
		return "", fmt.Errorf("resolve lake directory %s: %w", termtext.Escape(l.Path), err)
	}
	return filepath.ToSlash(abs), nil
}

// projectFromLake fills the Athena projection from the lake's manifest: the
// accounts and regions it holds and its first day. A lake that cannot be
// read leaves the defaults, with a warning.
func projectFromLake(ctx context.Context, e *env, lake string, aws *awsFlags, cfg *interop.DDLConfig, accounts, regions, first bool) {
	snap, err := func() (*partition.Snapshot, error) {
		l, err := openLake(ctx, e, lake, aws)
		if err != nil {
			return nil, err
		}
		return readSnapshot(ctx, l)
	}()
	if err != nil {
		fmt.Fprintf(e.stderr, "warning: no lake to read the partition projection from (%s); using an injected account projection and every commercial region\n", termtext.Escape(err.Error()))
		return
	}
	var accs, regs []string
	day := ""
	for _, f := range snap.Files {
		k := f.Partition()
		accs = append(accs, k.Account)
		regs = append(regs, k.Region)
		if day == "" || k.Day < day {
			day = k.Day
		}
	}
	slices.Sort(accs)
	slices.Sort(regs)
	if accounts {
		cfg.Accounts = slices.Compact(accs)
	}
	if regions && len(regs) > 0 {
		cfg.Regions = slices.Compact(regs)
	}
	if first && day != "" {
		cfg.FirstDay = day
	}
}
