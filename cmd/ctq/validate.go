package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/integrity"
	"github.com/ctq-dev/ctq/pkg/integrity/awskeys"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/termtext"
)

const validateLong = `Checks CloudTrail log file integrity in SOURCE (s3://bucket[/prefix], file:///dir
or a directory holding a copy of the bucket): every digest under CloudTrail-Digest/
(location, public key, SHA256withRSA signature, chain of previous digests) and the
SHA-256 of every log file a digest references; log files no digest references are
reported too.

Public keys come from CloudTrail's ListPublicKeys API for an s3:// source on AWS,
or from --public-keys FILE (the output of 'aws cloudtrail list-public-keys'),
which a local copy or an S3-compatible endpoint needs. In a local copy a digest's
signature (x-amz-meta-signature on S3) is read from DIGEST.json.gz.signature.

Exit code 5 when any digest or log file is not valid.`

func init() { addCommand(60, "validate", newValidateCmd) }

type validateFlags struct {
	aws        awsFlags
	win        windowFlags
	parts      partitionFlags
	out        outputFlags
	publicKeys string
	all        bool
	maxDelay   time.Duration
}

func newValidateCmd(e *env) *cobra.Command {
	var f validateFlags
	c := &cobra.Command{
		Use:     "validate SOURCE",
		Short:   "check CloudTrail digests and log file hashes (integrity validation); failures exit 5",
		Long:    validateLong,
		GroupID: "check",
		Args:    exactArgs(1, "SOURCE"),
		RunE: func(c *cobra.Command, args []string) error {
			return runValidate(c.Context(), e, &f, args[0])
		},
	}
	f.aws.register(c.Flags())
	f.win.register(c, "log files holding events")
	durationFlag(c, &f.maxDelay, "max-delivery-delay", ingest.DefaultMaxDeliveryDelay, "longest delay between an event and the delivery of its log file: files delivered up to this long after --until are checked too")
	f.parts.register(c, nil, e)
	f.out.register(c, "table", "table", "json")
	c.Flags().StringVar(&f.publicKeys, "public-keys", "", "file with the output of 'aws cloudtrail list-public-keys' (offline validation)")
	c.Flags().BoolVar(&f.all, "all", false, "table: list valid digests and log files too")
	return c
}

func runValidate(ctx context.Context, e *env, f *validateFlags, source string) error {
	output, err := f.out.format(e)
	if err != nil {
		return err
	}
	cfg, err := f.config(ctx, source)
	if err != nil {
		return err
	}
	bar := newProgress(e, f.out.quiet, -1, false, "validating digests and log files")
	rep, err := integrity.Validate(ctx, cfg)
	bar.done()
	if err != nil {
		return err
	}
	if output == "json" {
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

func (f *validateFlags) config(ctx context.Context, source string) (integrity.Config, error) {
	var cfg integrity.Config
	now := time.Now()
	var err error
	if cfg.Since, cfg.Until, err = f.win.resolve(now); err != nil {
		return cfg, err
	}
	if err := f.parts.validate(); err != nil {
		return cfg, err
	}
	if cfg.MaxDeliveryDelay = f.maxDelay; f.maxDelay == 0 {
		cfg.MaxDeliveryDelay = -1 // 0 in the Config means the default; the flag's 0 means none
	}
	cfg.Accounts, cfg.Regions = f.parts.accounts, f.parts.regions
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
func validationError(rep *integrity.Report) error {
	s := rep.Summary()
	if s.Failures == 0 {
		return nil
	}
	return integrityf("integrity validation failed: %d problem(s); %d of %d digests and %d of %d log files valid",
		s.Failures, s.ValidDigests, s.Digests, s.ValidLogs, s.Logs)
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Status, it.Kind, termtext.Escape(it.Account), termtext.Escape(it.Region), when,
			termtext.Escape(it.Key), termtext.Escape(it.Detail))
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
