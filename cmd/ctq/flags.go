package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/pkg/layout"
	s3store "github.com/ctq-dev/ctq/pkg/objstore/s3"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// The flag groups every command shares are declared here, once: the S3
// connection, the lake, the time window, the partitions and the output.

// awsFlags are the S3 connection flags.
type awsFlags struct {
	profile, region, endpoint string
}

func (a *awsFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&a.profile, "profile", "", "AWS shared-config `PROFILE`")
	fs.StringVar(&a.region, "region", "", "AWS `REGION` for S3 requests (default: discovered from the bucket)")
	fs.StringVar(&a.endpoint, "endpoint-url", "", "S3-compatible endpoint `URL`, e.g. http://127.0.0.1:9000 (path-style)")
}

func (a *awsFlags) options() s3store.Options {
	return s3store.Options{Profile: a.profile, Region: a.region, EndpointURL: a.endpoint, PathStyle: a.endpoint != ""}
}

// lakeFlags select the lake and how to reach it.
type lakeFlags struct {
	lake string
	aws  awsFlags
}

func (l *lakeFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&l.lake, "lake", "", "the lake `LOCATION`: DIR or s3://bucket/prefix (default $CTQ_LAKE, else the per-user lake)")
	l.aws.register(c.Flags())
	_ = c.MarkFlagDirname("lake")
}

// open opens the lake the flags, $CTQ_LAKE or the per-user default name.
func (l *lakeFlags) open(ctx context.Context, e *env) (*partition.Lake, error) {
	return openLake(ctx, e, l.lake, &l.aws)
}

// windowFlags are --since and --until.
type windowFlags struct {
	since, until string
	names        [2]string // the flags' names, for messages
}

// register adds --since and --until; what names what they bound, e.g.
// "events" (eventTime).
func (w *windowFlags) register(c *cobra.Command, what string) {
	w.registerNamed(c, "since", "until", what)
}

// registerNamed is register with other flag names.
func (w *windowFlags) registerNamed(c *cobra.Command, since, until, what string) {
	w.names = [2]string{since, until}
	c.Flags().StringVar(&w.since, since, "", "only "+what+" at or after `TIME`: RFC 3339, a date (2024-03-01) or a duration ago (90m, 24h, 7d, 2w)")
	c.Flags().StringVar(&w.until, until, "", "only "+what+" before `TIME` (same forms as --"+since+")")
}

// deprecatedAliases adds hidden, deprecated old names of the two flags.
func (w *windowFlags) deprecatedAliases(c *cobra.Command, since, until string) {
	for i, old := range []string{since, until} {
		f := c.Flags().Lookup(w.names[i])
		c.Flags().Var(f.Value, old, f.Usage)
		_ = c.Flags().MarkDeprecated(old, "use --"+w.names[i])
	}
}

// resolve returns the window; zero times are unbounded.
func (w *windowFlags) resolve(now time.Time) (since, until time.Time, err error) {
	if since, err = parseTimeBound(w.since, now); err != nil {
		return since, until, usagef("--%s: %v", w.names[0], err)
	}
	if until, err = parseTimeBound(w.until, now); err != nil {
		return since, until, usagef("--%s: %v", w.names[1], err)
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		return since, until, usagef("--%s %s is not before --%s %s", w.names[0], since.Format(time.RFC3339), w.names[1], until.Format(time.RFC3339))
	}
	return since, until, nil
}

// partitionFlags are --accounts and --regions.
type partitionFlags struct {
	accounts, regions []string
}

// register adds --accounts and --regions, completed from the manifest of
// the lake lf names.
func (p *partitionFlags) register(c *cobra.Command, lf *lakeFlags, e *env) {
	c.Flags().StringSliceVar(&p.accounts, "accounts", nil, "comma-separated account `IDS` (default all)")
	c.Flags().StringSliceVar(&p.regions, "regions", nil, "comma-separated `REGIONS` (default all)")
	_ = c.RegisterFlagCompletionFunc("accounts", completePartitions(e, lf, func(k partition.Key) string { return k.Account }))
	_ = c.RegisterFlagCompletionFunc("regions", completePartitions(e, lf, func(k partition.Key) string { return k.Region }))
}

// validate checks the account ids and region names.
func (p *partitionFlags) validate() error {
	for _, a := range p.accounts {
		if !layout.ValidAccount(a) {
			return usagef("--accounts: %q is not a 12-digit account id", a)
		}
	}
	for _, r := range p.regions {
		if !layout.ValidRegion(r) {
			return usagef("--regions: %q is not a region name", r)
		}
	}
	return nil
}

// outputFlags are --output and --quiet.
type outputFlags struct {
	output  string
	def     string
	formats []string
	quiet   bool
}

// register adds --output with the formats the command writes and --quiet.
// An empty def means the common default: table on a terminal, else json.
func (o *outputFlags) register(c *cobra.Command, def string, formats ...string) {
	o.formats, o.def = formats, def
	usage := "`FORMAT`: " + strings.Join(formats, ", ") + " (default: table on a terminal, else json)"
	if def != "" {
		usage = "`FORMAT`: " + strings.Join(formats, ", ") + " (default " + def + ")"
	}
	c.Flags().StringVarP(&o.output, "output", "o", "", usage)
	quietFlag(c, &o.quiet)
	_ = c.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// quietFlag registers --quiet.
func quietFlag(c *cobra.Command, p *bool) {
	c.Flags().BoolVarP(p, "quiet", "q", false, "no progress and no summary on stderr; only errors")
}

// format returns the chosen format: --output, else the default.
func (o *outputFlags) format(e *env) (string, error) {
	out := o.output
	if out == "" {
		out = o.def
	}
	if out == "" {
		out = "json"
		if isTerminal(e.stdout) && slices.Contains(o.formats, "table") {
			out = "table"
		}
	}
	if !slices.Contains(o.formats, out) {
		return "", usagef("--output %q: want %s", out, strings.Join(o.formats, ", "))
	}
	return out, nil
}

// jsonAlias registers the hidden, deprecated --json: --output json.
func (o *outputFlags) jsonAlias(c *cobra.Command) {
	c.Flags().Var(&fixedValue{p: &o.output, v: "json"}, "json", "print the result as JSON on stdout")
	c.Flags().Lookup("json").NoOptDefVal = "true"
	_ = c.Flags().MarkDeprecated("json", "use --output json")
}

// fixedValue is a boolean flag that, when set, stores v in *p.
type fixedValue struct {
	p   *string
	v   string
	set bool
}

func (f *fixedValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	if f.set = b; b {
		*f.p = f.v
	}
	return nil
}

func (f *fixedValue) Type() string     { return "bool" }
func (f *fixedValue) String() string   { return strconv.FormatBool(f.set) }
func (f *fixedValue) IsBoolFlag() bool { return true }

// durationValue is a duration flag in the one grammar of every duration
// flag: Go durations (90m, 24h, 1h30m) plus days and weeks (7d, 2w, 1.5d).
type durationValue time.Duration

func newDuration(p *time.Duration, def time.Duration) *durationValue {
	*p = def
	return (*durationValue)(p)
}

func (d *durationValue) Set(s string) error {
	v, ok := parseRelative(s)
	if !ok {
		return fmt.Errorf("invalid duration %q: use 90m, 24h, 7d or 2w", s)
	}
	*d = durationValue(v)
	return nil
}

func (d *durationValue) Type() string { return "duration" }

func (d *durationValue) String() string { return formatDuration(time.Duration(*d)) }

// formatDuration writes whole days and weeks as 7d and 2w.
func formatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d > 0 && d%(7*day) == 0:
		return fmt.Sprintf("%dw", d/(7*day))
	case d > 0 && d%day == 0:
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}

// durationFlag registers a duration flag.
func durationFlag(c *cobra.Command, p *time.Duration, name string, def time.Duration, usage string) {
	c.Flags().Var(newDuration(p, def), name, usage)
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
