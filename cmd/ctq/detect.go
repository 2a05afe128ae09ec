package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ctq-dev/ctq/pkg/detect"
)

const detectUsage = `ctq detect [flags]

Runs detection rules over the lake, all in one pass over the data: the
built-in pack (CIS AWS Foundations v1.2.0 3.1-3.14 and v3.0.0 4.1-4.15
metric filters, plus classic CloudTrail alarms) unless --rules or --sigma
name others. A rule alarms in a period when its matches over the rule's
evaluation periods meet its threshold (default: >=1 in 5 minutes), as a
CloudWatch alarm on the metric filter would; ctq then exits with code 4.

  --rules builtin|cis|FILE|DIR   rule files (YAML: name, pattern, period,
                                 threshold, severity, ...); repeatable
  --sigma FILE|DIR               Sigma rules (logsource aws/cloudtrail);
                                 repeatable; unsupported rules are reported
                                 and skipped
  --list                         print the rules, their patterns and sources

Output: a table on a terminal (per rule: hits, first and last time, alarm
periods, sample events); otherwise JSON lines, one object per alarm with the
matching eventIDs, then one summary object per rule ("type":"summary": hits,
first, last, alarmPeriods, severity), the table's totals.`

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

type detectFlags struct {
	q           queryFlags
	rules       multiFlag
	sigma       multiFlag
	list        bool
	samples     int
	maxEventIDs int
}

func (f *detectFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.q.lake, "lake", "", "lake location: DIR or s3://bucket/prefix (default $CTQ_LAKE, else the per-user lake)")
	f.q.aws.register(fs)
	fs.StringVar(&f.q.since, "since", "", "only events at or after this time")
	fs.StringVar(&f.q.until, "until", "", "only events before this time")
	fs.StringVar(&f.q.accounts, "accounts", "", "comma-separated account ids (default all)")
	fs.StringVar(&f.q.regions, "regions", "", "comma-separated regions (default all)")
	fs.StringVar(&f.q.output, "output", "", "table or json (default: table on a terminal, else json)")
	fs.IntVar(&f.q.workers, "workers", 0, "files evaluated in parallel (default: number of CPUs)")
	f.q.registerVerified(fs)
	fs.Var(&f.rules, "rules", "rules: builtin, cis, a rule file or a directory of rule files (repeatable; default builtin)")
	fs.Var(&f.sigma, "sigma", "Sigma rule file or directory (repeatable)")
	fs.BoolVar(&f.list, "list", false, "print the rules, their patterns and sources, and exit")
	fs.IntVar(&f.samples, "samples", 3, "sample events shown per rule in table output")
	fs.IntVar(&f.maxEventIDs, "max-event-ids", detect.DefaultMaxEventIDs, "eventIDs listed per alarm (the alarm's sum counts all)")
}

// loadRules loads --rules and --sigma (builtin when neither is given) and
// reports skipped Sigma rules on stderr.
func (f *detectFlags) loadRules(e *env) ([]*detect.Rule, error) {
	specs := []string(f.rules)
	if len(specs) == 0 && len(f.sigma) == 0 {
		specs = []string{"builtin"}
	}
	var rules []*detect.Rule
	for _, s := range specs {
		rs, err := detect.LoadRules(s)
		if err != nil {
			return nil, usagef("--rules: %v", err)
		}
		rules = append(rules, rs...)
	}
	for _, s := range f.sigma {
		rs, skipped, err := detect.LoadSigma(s)
		if err != nil {
			return nil, usagef("--sigma: %v", err)
		}
		for _, sk := range skipped {
			fmt.Fprintf(e.stderr, "skipped Sigma rule %s\n", sanitize(sk.String()))
		}
		rules = append(rules, rs...)
	}
	seen := map[string]string{}
	for _, r := range rules {
		if prev, ok := seen[r.Name]; ok {
			return nil, usagef("rule %q defined twice: %s and %s", r.Name, prev, r.Source)
		}
		seen[r.Name] = r.Source
	}
	if len(rules) == 0 {
		return nil, usagef("no rules to run")
	}
	return rules, nil
}

func cmdDetect(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("detect", flag.ContinueOnError)
	var f detectFlags
	f.register(fs)
	pos, err := parseCommandArgs(e, fs, args, detectUsage)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("detect: unexpected argument %q (rules come from --rules and --sigma)", pos[0])
	}
	output := f.q.output
	if output == "" {
		output = "json"
		if isTerminal(e.stdout) {
			output = "table"
		}
	}
	if output != "json" && output != "table" {
		return usagef("--output %q: want table or json", output)
	}
	if f.samples < 0 || f.maxEventIDs < 1 {
		return usagef("--samples must be >= 0 and --max-event-ids >= 1")
	}
	rules, err := f.loadRules(e)
	if err != nil {
		return err
	}
	if f.list {
		return listRules(e.stdout, rules, output)
	}
	opts, err := f.q.options()
	if err != nil {
		return err
	}
	if e.getenv("GOGC") == "" {
		debug.SetGCPercent(400) // as query: little live memory, many short-lived allocations
	}
	lake, err := openLake(ctx, e, f.q.lake, &f.q.aws)
	if err != nil {
		return err
	}
	snap, err := f.q.snapshot(ctx, e, lake, &opts)
	if err != nil {
		return err
	}
	samples := f.samples
	if output == "json" {
		samples = 0 // JSON lists eventIDs; raw records are not read
	}
	results, _, err := detect.Evaluate(ctx, lake, snap, rules, detect.Options{Query: opts, Samples: samples, MaxEventIDs: f.maxEventIDs})
	if err != nil {
		return err
	}
	alarms := 0
	for _, r := range results {
		alarms += len(r.Alarms)
		if r.Untimed > 0 {
			fmt.Fprintf(e.stderr, "warning: rule %s: %d matching record(s) have no eventTime and are in no period\n", sanitize(r.Rule.Name), r.Untimed)
		}
	}
	if output == "json" {
		enc := json.NewEncoder(e.stdout)
		for _, r := range results {
			for _, a := range r.Alarms {
				if err := enc.Encode(a); err != nil {
					return err
				}
			}
		}
		for _, r := range results { // then the table's totals, one per rule
			if err := enc.Encode(r.Summary()); err != nil {
				return err
			}
		}
	} else if err := printDetectTable(e.stdout, results); err != nil {
		return err
	}
	if alarms > 0 {
		return &alarmError{n: alarms}
	}
	return nil
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// printDetectTable prints one row per rule, then each alarming rule's
// alarm periods and sample events.
func printDetectTable(w io.Writer, results []*detect.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "rule\tseverity\thits\tfirst\tlast\talarms")
	for _, r := range results {
		s := r.Summary()
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\n", tableCell(s.Rule), s.Severity, s.Hits, fmtTime(s.First), fmtTime(s.Last), s.AlarmPeriods)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.Hits == 0 {
			continue
		}
		if len(r.Alarms) > 0 {
			fmt.Fprintf(w, "\nALARM %s (%s, threshold %s over %d x %s): %d period(s)\n", sanitize(r.Rule.Name), r.Rule.Severity,
				r.Rule.Threshold, r.Rule.EvaluationPeriods, r.Rule.Period, len(r.Alarms))
			const maxShown = 10
			for i, a := range r.Alarms {
				if i == maxShown {
					fmt.Fprintf(w, "  ... and %d more (use --output json for all)\n", len(r.Alarms)-maxShown)
					break
				}
				fmt.Fprintf(w, "  %s  sum %d\n", a.Period.Format(time.RFC3339), a.Sum)
			}
		} else {
			fmt.Fprintf(w, "\n%s: %d hit(s), no period met the threshold %s\n", sanitize(r.Rule.Name), r.Hits, r.Rule.Threshold)
		}
		if len(r.Samples) > 0 {
			fields := []string{"eventTime", "eventName", "userIdentity.arn", "sourceIPAddress", "errorCode", "eventID"}
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "  sample events:\n  %s\n", strings.Join(fields, "\t"))
			for _, m := range r.Samples {
				vals := extractFields(m.Raw, fields)
				for i, v := range vals {
					vals[i] = tableCell(v)
				}
				fmt.Fprintf(tw, "  %s\n", strings.Join(vals, "\t"))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// ruleListing is one rule as printed by --list --output json.
type ruleListing struct {
	Name              string           `json:"name"`
	Description       string           `json:"description,omitempty"`
	Severity          string           `json:"severity"`
	Pattern           string           `json:"pattern"`
	Period            string           `json:"period"`
	Threshold         detect.Threshold `json:"threshold"`
	EvaluationPeriods int              `json:"evaluationPeriods"`
	References        []string         `json:"references,omitempty"`
	Source            string           `json:"source"`
	Notes             []string         `json:"notes,omitempty"`
}

func listRules(w io.Writer, rules []*detect.Rule, output string) error {
	if output == "json" {
		enc := json.NewEncoder(w)
		for _, r := range rules {
			if err := enc.Encode(ruleListing{Name: r.Name, Description: r.Description, Severity: r.Severity, Pattern: r.Pattern,
				Period: r.Period.String(), Threshold: r.Threshold, EvaluationPeriods: r.EvaluationPeriods,
				References: r.References, Source: r.Source, Notes: r.Notes}); err != nil {
				return err
			}
		}
		return nil
	}
	for i, r := range rules {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s  [%s]  alarm: %s in %d x %s\n", sanitize(r.Name), r.Severity, r.Threshold, r.EvaluationPeriods, r.Period)
		if r.Description != "" {
			fmt.Fprintf(w, "  %s\n", sanitize(r.Description))
		}
		fmt.Fprintf(w, "  source:  %s\n", sanitize(r.Source))
		fmt.Fprintf(w, "  pattern: %s\n", sanitize(r.Pattern))
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  note:    %s\n", sanitize(n))
		}
	}
	return nil
}
