package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/detect"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/termtext"
)

const detectLong = `Runs detection rules over the lake, all in one pass over the data: the
built-in pack (CIS AWS Foundations v1.2.0 3.1-3.14 and v3.0.0 4.1-4.15
metric filters, plus classic CloudTrail alarms) unless --rules or --sigma
name others. A rule alarms in a period when its matches over the rule's
evaluation periods meet its threshold (default: >=1 in 5 minutes), as a
CloudWatch alarm on the metric filter would; ctq then exits with code 4.

--rules takes builtin (the default pack), builtin-all (every built-in rule),
cis, the name of a built-in rule, a rule file (YAML:
name, pattern, period, threshold, severity, ...) or a directory of them, and
may be repeated. A rule file's group_by (field paths) splits a rule's alarm:
the threshold applies per group and per period, and each alarm names its
group; count_distinct counts a field's distinct values instead of the
matches. --sigma takes Sigma rules (logsource aws/cloudtrail), including
count() aggregation conditions with a timeframe and event_count and
value_count correlation rules; unsupported rules are reported and skipped
with the reason.

Output: a table on a terminal (per rule: hits, first and last time, alarm
periods; --details adds each alarming rule's periods and sample events);
otherwise JSON lines, one object per alarm with the matching eventIDs, then
one summary object per rule ("type":"summary": hits, first, last,
alarmPeriods, severity), the table's totals.`

func init() { addCommand(40, "detect", newDetectCmd) }

// ruleFlags choose the rules of detect and watch.
type ruleFlags struct {
	rules       []string
	sigma       []string
	maxEventIDs int
	maxGroups   int
}

func (r *ruleFlags) register(c *cobra.Command) {
	c.Flags().StringArrayVar(&r.rules, "rules", nil, "`RULES`: builtin, builtin-all, cis, a built-in rule's name, a rule file or a directory of rule files (repeatable; default builtin)")
	c.Flags().StringArrayVar(&r.sigma, "sigma", nil, "Sigma rule file or directory `PATH` (repeatable)")
	c.Flags().IntVar(&r.maxEventIDs, "max-event-ids", detect.DefaultMaxEventIDs, "eventIDs listed per alarm (the alarm's sum counts all)")
	c.Flags().IntVar(&r.maxGroups, "max-groups", detect.DefaultMaxGroups, "groups (and distinct values) one grouped rule may hold before the run stops with an error")
	_ = c.RegisterFlagCompletionFunc("rules", completeRules)
}

type detectFlags struct {
	scanFlags
	ruleFlags
	out     outputFlags
	list    bool
	samples int
	details bool
}

func newDetectCmd(e *env) *cobra.Command {
	var f detectFlags
	c := &cobra.Command{
		Use:     "detect",
		Short:   "run detection rules (built-in CIS pack, rule files, Sigma) over the lake; alarms exit 4",
		Long:    detectLong,
		GroupID: "read",
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runDetect(c.Context(), e, &f)
		},
	}
	f.scanFlags.register(c, e)
	f.ruleFlags.register(c)
	f.out.register(c, "", "table", "json")
	c.Flags().BoolVar(&f.list, "list", false, "print the rules, their patterns and sources, and exit")
	c.Flags().BoolVar(&f.details, "details", false, "table: also list each alarming rule's periods and sample events")
	c.Flags().IntVar(&f.samples, "samples", 3, "sample events shown per rule with --details")
	return c
}

// loadRules loads --rules and --sigma (builtin when neither is given) and
// reports skipped Sigma rules on stderr.
func (f *ruleFlags) loadRules(e *env) ([]*detect.Rule, error) {
	specs := f.rules
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
			fmt.Fprintf(e.stderr, "skipped Sigma rule %s\n", termtext.Escape(sk.String()))
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
	if f.maxEventIDs < 1 {
		return nil, usagef("--max-event-ids must be >= 1")
	}
	if f.maxGroups < 1 {
		return nil, usagef("--max-groups must be >= 1")
	}
	return rules, nil
}

// detectMemoryLimit is the soft memory limit of detect (its pack holds
// match tallies besides the scan's buffers; measured in bench/RESULTS.md).
const detectMemoryLimit = 128 << 20

func runDetect(ctx context.Context, e *env, f *detectFlags) error {
	output, err := f.out.format(e)
	if err != nil {
		return err
	}
	if f.samples < 0 {
		return usagef("--samples must be >= 0")
	}
	rules, err := f.loadRules(e)
	if err != nil {
		return err
	}
	if f.list {
		return listRules(e.stdout, rules, output)
	}
	opts, err := f.options()
	if err != nil {
		return err
	}
	if e.getenv("GOGC") == "" {
		debug.SetGCPercent(400) // little live memory, many short-lived allocations
	}
	if e.getenv("GOMEMLIMIT") == "" {
		// The pack's live heap is its match tallies and the
		// scan's buffers; the limit keeps the 400% target from growing
		// fresh memory, whose page faults cost more than the collections
		// (measured: 0.38 s against 0.39-0.46 s for the default pack at 1M
		// events, 126 against 155 MiB).
		debug.SetMemoryLimit(detectMemoryLimit)
	}
	lake, err := f.lf.open(ctx, e)
	if err != nil {
		return err
	}
	var snap *partition.Snapshot
	if f.verifiedOnly {
		// The verdicts are in the full snapshot and become the scope.
		if snap, err = f.snapshot(ctx, e, lake, &opts); err != nil {
			return err
		}
	}
	samples := f.samples
	if output == "json" || !f.details {
		samples = 0 // JSON lists eventIDs; raw records are not read
	}
	pass, err := detect.NewPass(rules, detect.Options{Query: opts, Samples: samples, MaxEventIDs: f.maxEventIDs, MaxGroups: f.maxGroups})
	if err != nil {
		return err
	}
	if snap == nil {
		// Read through the rules' file filters: the pass holds the files
		// it may scan, not the lake's manifest.
		if snap, err = checkedSnapshot(ctx, lake, func(ctx context.Context) (*partition.Snapshot, error) {
			return pass.Snapshot(ctx, lake)
		}); err != nil {
			return err
		}
	}
	bar := newProgress(e, f.out.quiet, -1, false, fmt.Sprintf("%d rules over %d files", len(rules), len(snap.Files)))
	results, _, err := pass.Run(ctx, lake, snap)
	bar.done()
	if err != nil {
		return err
	}
	alarms := 0
	for _, r := range results {
		alarms += len(r.Alarms)
		if r.Untimed > 0 {
			fmt.Fprintf(e.stderr, "warning: rule %s: %d matching record(s) have no eventTime and are in no period\n", termtext.Escape(r.Rule.Name), r.Untimed)
		}
	}
	if output == "json" {
		w := bufio.NewWriterSize(e.stdout, 64<<10) // a pack's alarms are many lines
		var line []byte
		for _, r := range results {
			for i := range r.Alarms {
				if line, err = r.Alarms[i].AppendJSON(line[:0]); err != nil {
					return err
				}
				if _, err := w.Write(append(line, '\n')); err != nil {
					return err
				}
			}
		}
		enc := json.NewEncoder(w)
		for _, r := range results { // then the table's totals, one per rule
			if err := enc.Encode(r.Summary()); err != nil {
				return err
			}
		}
		if err := w.Flush(); err != nil {
			return err
		}
	} else if err := printDetectTable(e.stdout, results, f.details); err != nil {
		return err
	}
	if alarms > 0 {
		return alarmf("%d period(s) in ALARM", alarms)
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
func printDetectTable(w io.Writer, results []*detect.Result, details bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "rule\tseverity\thits\tfirst\tlast\talarms")
	for _, r := range results {
		s := r.Summary()
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\n", tableCell(s.Rule), s.Severity, s.Hits, fmtTime(s.First), fmtTime(s.Last), s.AlarmPeriods)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !details {
		alarming := 0
		for _, r := range results {
			if len(r.Alarms) > 0 {
				alarming++
			}
		}
		if alarming > 0 {
			fmt.Fprintf(w, "\n%d rule(s) in ALARM; --details lists their alarm periods and sample events, --output json every alarm\n", alarming)
		}
		return nil
	}
	for _, r := range results {
		if r.Hits == 0 {
			continue
		}
		if len(r.Alarms) > 0 {
			fmt.Fprintf(w, "\nALARM %s (%s, threshold %s over %d x %s): %d period(s)\n", termtext.Escape(r.Rule.Name), r.Rule.Severity,
				r.Rule.Threshold, r.Rule.EvaluationPeriods, r.Rule.Period, len(r.Alarms))
			const maxShown = 10
			for i, a := range r.Alarms {
				if i == maxShown {
					fmt.Fprintf(w, "  ... and %d more (use --output json for all)\n", len(r.Alarms)-maxShown)
					break
				}
				what := "sum"
				if a.CountDistinct != "" {
					what = "distinct " + a.CountDistinct
				}
				if g := a.GroupText(r.Rule.GroupBy); g != "" {
					fmt.Fprintf(w, "  %s  %s %d  %s\n", a.Period.Format(time.RFC3339), what, a.Sum, termtext.Escape(g))
				} else {
					fmt.Fprintf(w, "  %s  %s %d\n", a.Period.Format(time.RFC3339), what, a.Sum)
				}
			}
		} else {
			fmt.Fprintf(w, "\n%s: %d hit(s), no period met the threshold %s\n", termtext.Escape(r.Rule.Name), r.Hits, r.Rule.Threshold)
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
	GroupBy           []string         `json:"groupBy,omitempty"`
	CountDistinct     string           `json:"countDistinct,omitempty"`
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
				GroupBy: r.GroupBy, CountDistinct: r.CountDistinct, References: r.References, Source: r.Source, Notes: r.Notes}); err != nil {
				return err
			}
		}
		return nil
	}
	for i, r := range rules {
		if i > 0 {
			fmt.Fprintln(w)
		}
		alarm := fmt.Sprintf("%s in %d x %s", r.Threshold, r.EvaluationPeriods, r.Period)
		if r.CountDistinct != "" {
			alarm = "distinct " + r.CountDistinct + " " + alarm
		}
		if len(r.GroupBy) > 0 {
			alarm += " per " + strings.Join(r.GroupBy, ", ")
		}
		fmt.Fprintf(w, "%s  [%s]  alarm: %s\n", termtext.Escape(r.Name), r.Severity, termtext.Escape(alarm))
		if r.Description != "" {
			fmt.Fprintf(w, "  %s\n", termtext.Escape(r.Description))
		}
		fmt.Fprintf(w, "  source:  %s\n", termtext.Escape(r.Source))
		fmt.Fprintf(w, "  pattern: %s\n", termtext.Escape(r.Pattern))
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  note:    %s\n", termtext.Escape(n))
		}
	}
	return nil
}
