package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/ctq-dev/ctq/pkg/integrity"
	"github.com/ctq-dev/ctq/pkg/integrity/awskeys"
	"github.com/ctq-dev/ctq/pkg/objstore"
)

const validateUsage = `ctq validate SOURCE [flags]

Checks CloudTrail log file integrity in SOURCE (s3://bucket[/prefix], file:///dir
or a directory holding a copy of the bucket): every digest under CloudTrail-Digest/
(location, public key, SHA256withRSA signature, chain of previous digests) and the
SHA-256 of every log file a digest references; log files no digest references are
reported too. --since/--until select log files by delivery time.

Public keys come from CloudTrail's ListPublicKeys API for an s3:// source on AWS,
or from --public-keys FILE (the output of 'aws cloudtrail list-public-keys'),
which a local copy or an S3-compatible endpoint needs. In a local copy a digest's
signature (x-amz-meta-signature on S3) is read from DIGEST.json.gz.signature.

Exit code 3 when any digest or log file is not valid.`

type validateFlags struct {
	aws               awsFlags
	since, until      string
	accounts, regions string
	publicKeys        string
	output            string
	all               bool
}

func (f *validateFlags) register(fs *flag.FlagSet) {
	f.aws.register(fs)
	fs.StringVar(&f.since, "since", "", "only log files delivered at or after this time")
	fs.StringVar(&f.until, "until", "", "only log files delivered before this time")
	fs.StringVar(&f.accounts, "accounts", "", "comma-separated account ids (default all)")
	fs.StringVar(&f.regions, "regions", "", "comma-separated regions (default all)")
	fs.StringVar(&f.publicKeys, "public-keys", "", "file with the output of 'aws cloudtrail list-public-keys' (offline validation)")
	fs.StringVar(&f.output, "output", "table", "output format: table or json")
	fs.BoolVar(&f.all, "all", false, "table: list valid digests and log files too")
}

func cmdValidate(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	var f validateFlags
	f.register(fs)
	pos, err := parseCommandArgs(e, fs, args, validateUsage)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("validate: want exactly one SOURCE, got %d arguments; see 'ctq validate --help'", len(pos))
	}
	if f.output != "table" && f.output != "json" {
		return usagef("--output %q: want table or json", f.output)
	}
	cfg, err := f.config(ctx, pos[0])
	if err != nil {
		return err
	}
	rep, err := integrity.Validate(ctx, cfg)
	if err != nil {
		return err
	}
	if f.output == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Summary integrity.Summary `json:"summary"`
			Items   []integrity.Item  `json:"items"`
		}{rep.Summary(), rep.Items}); err != nil {
			return err
		}
	} else {
		printValidation(e.stdout, rep, f.all)
	}
	return validationError(rep)
}

// config builds the validation's configuration from the flags.
func (f *validateFlags) config(ctx context.Context, source string) (integrity.Config, error) {
	var cfg integrity.Config
	now := time.Now()
	var err error
	if cfg.Since, err = parseTimeBound(f.since, now); err != nil {
		return cfg, usagef("--since: %v", err)
	}
	if cfg.Until, err = parseTimeBound(f.until, now); err != nil {
		return cfg, usagef("--until: %v", err)
	}
	if !cfg.Since.IsZero() && !cfg.Until.IsZero() && !cfg.Since.Before(cfg.Until) {
		return cfg, usagef("--since %s is not before --until %s", cfg.Since.Format(time.RFC3339), cfg.Until.Format(time.RFC3339))
	}
	cfg.Accounts, cfg.Regions = splitList(f.accounts), splitList(f.regions)
	if err := validateSelection(cfg.Accounts, cfg.Regions); err != nil {
		return cfg, err
	}
	loc, err := objstore.ParseLocation(source)
	if err != nil {
		return cfg, usagef("source: %v", err)
	}
	if loc.Scheme == "s3" {
		cfg.Bucket, cfg.Prefix = loc.Bucket, loc.Path
	}
	switch {
	case f.publicKeys != "":
		data, err := os.ReadFile(f.publicKeys)
		if err != nil {
			return cfg, usagef("--public-keys: %v", err)
		}
		ks, err := integrity.ParsePublicKeys(data)
		if err != nil {
			return cfg, usagef("--public-keys %s: %v", f.publicKeys, err)
		}
		cfg.Keys = ks
	case loc.Scheme != "s3" || f.aws.endpoint != "":
		return cfg, usagef("validate: a local copy or an S3-compatible endpoint needs --public-keys FILE (save it with 'aws cloudtrail list-public-keys --start-time ... --end-time ... > keys.json')")
	default:
		// Keys valid at any time of the window; CloudTrail returns only the
		// current key when no start time is given.
		start, end := cfg.Since, cfg.Until
		if start.IsZero() {
			start = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC) // before log file validation existed
		}
		if end.IsZero() || end.After(now) {
			end = now
		}
		cfg.Keys = integrity.NewRegionKeys(awskeys.Fetch(awskeys.Options{Profile: f.aws.profile}), start, end)
	}
	if cfg.Source, err = openBucket(ctx, loc, f.aws.options()); err != nil {
		return cfg, fmt.Errorf("open source %s: %w", source, err)
	}
	return cfg, nil
}

// validateSelection checks --accounts and --regions before they are used.
func validateSelection(accounts, regions []string) error {
	for _, a := range accounts {
		if len(a) != 12 || !isDigits(a) {
			return usagef("--accounts: invalid account %q: want 12 digits", a)
		}
	}
	for _, r := range regions {
		if !validRegionName(r) {
			return usagef("--regions: invalid region %q", r)
		}
	}
	return nil
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func validRegionName(s string) bool {
	if len(s) < 4 || len(s) > 32 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validationError is a faultsError (exit 3) when anything failed.
func validationError(rep *integrity.Report) error {
	s := rep.Summary()
	if s.Failures == 0 {
		return nil
	}
	return &faultsError{fmt.Sprintf("integrity validation failed: %d problem(s); %d of %d digests and %d of %d log files valid",
		s.Failures, s.ValidDigests, s.Digests, s.ValidLogs, s.Logs)}
}

// printValidation writes the verdicts as a table: failures and warnings
// (every item with all), then a summary.
func printValidation(w io.Writer, rep *integrity.Report, all bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	shown := 0
	for _, it := range rep.Items {
		if it.Status == integrity.Valid && !all {
			continue
		}
		if shown == 0 {
			fmt.Fprintln(tw, "STATUS\tKIND\tACCOUNT\tREGION\tTIME\tKEY\tDETAIL")
		}
		shown++
		when := ""
		if !it.Start.IsZero() {
			when = it.Start.UTC().Format(time.RFC3339)
		}
		if it.Kind != integrity.KindLog && !it.End.IsZero() {
			when += ".." + it.End.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Status, it.Kind, sanitize(it.Account), sanitize(it.Region), when,
			sanitize(it.Key), sanitize(it.Detail))
	}
	tw.Flush()
	s := rep.Summary()
	if shown > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "digests    %d valid of %d\n", s.ValidDigests, s.Digests)
	fmt.Fprintf(w, "log files  %d valid of %d (%d pending: newer than the newest digest)\n", s.ValidLogs, s.Logs, s.Pending)
	if s.Gaps > 0 {
		fmt.Fprintf(w, "gaps       %d (chain restarts: validation or logging was stopped)\n", s.Gaps)
	}
	if s.Failures == 0 {
		fmt.Fprintln(w, "result     valid")
	} else {
		fmt.Fprintf(w, "result     INVALID: %d problem(s)\n", s.Failures)
	}
}
