package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/coverage"
	"github.com/ctq-dev/ctq/pkg/termtext"
)

const coverageLong = `Per account and region: which hours of the window have delivered log files in
the lake, the gaps (runs of hours without a file, --min-gap or longer), and the
integrity state of the files (valid, pending, failed, or unverified when
ingested without --verify). Gaps often mean that logging was stopped or that
log files were deleted. Computed from the lake's manifest; no data is read.

The window is --since/--until by delivery time, rounded out to whole hours. By
default it spans the lake's deliveries, so a region that stopped delivering
while others went on ends in a gap. Exit code 5 when there is a gap or a failed
verdict.`

func init() { addCommand(65, "coverage", newCoverageCmd) }

type coverageFlags struct {
	lf     lakeFlags
	win    windowFlags
	parts  partitionFlags
	out    outputFlags
	minGap time.Duration
}

func newCoverageCmd(e *env) *cobra.Command {
	var f coverageFlags
	c := &cobra.Command{
		Use:     "coverage",
		Short:   "per account and region: hours with delivered log files, gaps, integrity state; gaps exit 5",
		Long:    coverageLong,
		GroupID: "check",
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runCoverage(c.Context(), e, &f)
		},
	}
	f.lf.register(c)
	f.win.register(c, "log files delivered")
	f.parts.register(c, &f.lf, e)
	f.out.register(c, "", "table", "json", "csv")
	durationFlag(c, &f.minGap, "min-gap", 2*time.Hour, "shortest run of hours without a delivered file reported as a gap (1h, 6h, 1d)")
	return c
}

func runCoverage(ctx context.Context, e *env, f *coverageFlags) error {
	output, err := f.out.format(e)
	if err != nil {
		return err
	}
	var cfg coverage.Config
	if cfg.Since, cfg.Until, err = f.win.resolve(time.Now()); err != nil {
		return err
	}
	if err := f.parts.validate(); err != nil {
		return err
	}
	cfg.Accounts, cfg.Regions = f.parts.accounts, f.parts.regions
	if f.minGap < time.Hour {
		return usagef("--min-gap %s: want a duration of at least 1h (1h, 6h, 1d)", formatDuration(f.minGap))
	}
	cfg.MinGap = f.minGap
	l, err := f.lf.open(ctx, e)

	if err != nil {
		return err
	}
	snap, err := readFullSnapshot(ctx, l)
	if err != nil {
		return err
	}
	rep, err := coverage.FromSources(snap.Sources, cfg)
	if err != nil {
		return usagef("%v", err)
	}
	switch output {
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	case "csv":
		if err := writeCoverageCSV(e.stdout, rep); err != nil {
			return err
		}
	default:
		writeCoverageTable(e.stdout, rep, l.String())
	}
	if rep.Hours == 0 {
		fmt.Fprintln(e.stderr, "coverage: the lake records no CloudTrail log files")
		return nil
	}
	gaps, failed := rep.Problems()
	if gaps+failed > 0 {
		return integrityf("coverage: %d gap(s) of %s or more, %d file(s) failed integrity verification", gaps, fmtHours(rep.MinGapHours), failed)
	}
	return nil
}

// fmtHours renders a number of hours as "5h" or "2d3h".
func fmtHours(h int) string {
	if h < 24 {
		return strconv.Itoa(h) + "h"
	}
	if h%24 == 0 {
		return strconv.Itoa(h/24) + "d"
	}
	return fmt.Sprintf("%dd%dh", h/24, h%24)
}

func fmtVerification(v coverage.Verification) string {
	var parts []string
	for _, p := range []struct {
		n    int
		name string
	}{{v.Valid, "valid"}, {v.Pending, "pending"}, {v.Failed, "FAILED"}, {v.Unverified, "unverified"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.name))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// dayStrip draws the hours with data per day as one block character per day
// (several days per character for long windows): blank for none, a full
// block for every hour of the day's part of the window.
func dayStrip(rep *coverage.Report, days []int) string {
	const levels = " ▁▂▃▄▅▆▇█"
	blocks := []rune(levels)
	per := (len(days) + 59) / 60 // at most 60 characters
	start := rep.Since.Truncate(24 * time.Hour)
	var sb strings.Builder
	for i := 0; i < len(days); i += per {
		have, total := 0, 0
		for d := i; d < min(i+per, len(days)); d++ {
			have += days[d]
			lo := start.Add(time.Duration(d) * 24 * time.Hour)
			hi := lo.Add(24 * time.Hour)
			lo, hi = maxTime(lo, rep.Since), minTime(hi, rep.Until)
			total += int(hi.Sub(lo) / time.Hour)
		}
		lvl := 0
		if have > 0 && total > 0 {
			lvl = max(1, (have*8+total-1)/total)
		}
		sb.WriteRune(blocks[min(lvl, 8)])
	}
	return sb.String()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

const hourFormat = "2006-01-02T15:04Z"

func writeCoverageTable(w io.Writer, rep *coverage.Report, lake string) {
	if rep.Hours == 0 {
		return
	}
	fmt.Fprintf(w, "coverage of %s, %s to %s (%s); gaps of %s or more\n\n", termtext.Escape(lake),
		rep.Since.Format(hourFormat), rep.Until.Format(hourFormat), fmtHours(rep.Hours), fmtHours(rep.MinGapHours))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tREGION\tHOURS\tOBJECTS\tEVENTS\tGAPS\tLONGEST\tINTEGRITY\tPER DAY")
	for _, s := range rep.Streams {
		longest := "-"
		if n := s.Longest(); n > 0 {
			longest = fmtHours(n)
		}
		integ := fmtVerification(s.Verification)
		if s.Faulty > 0 {
			integ += fmt.Sprintf("; %d partial/invalid", s.Faulty)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%d\t%d\t%d\t%s\t%s\t|%s|\n", s.Account, s.Region, s.HoursWithData, rep.Hours,
			s.Objects, s.Events, len(s.Gaps), longest, integ, dayStrip(rep, s.Days))
	}
	tw.Flush()
	var gaps []string
	for _, s := range rep.Streams {
		for _, g := range s.Gaps {
			note := ""
			switch g.Edge {
			case "all":
				note = "  (no deliveries in the window)"
			case "start":
				note = "  (no deliveries before)"
			case "end":
				note = "  (no deliveries since: logging stopped or files deleted?)"
			}
			gaps = append(gaps, fmt.Sprintf("  %s  %-14s  %s .. %s  %6s%s", s.Account, s.Region, g.Start.Format(hourFormat), g.End.Format(hourFormat), fmtHours(g.Hours), note))
		}
	}
	if len(gaps) > 0 {
		fmt.Fprintf(w, "\ngaps (%d):\n", len(gaps))
		for i, g := range gaps {
			if i == 200 {
				fmt.Fprintf(w, "  ... and %d more (--output json lists them all)\n", len(gaps)-i)
				break
			}
			fmt.Fprintln(w, g)
		}
	}
}

// writeCoverageCSV writes a header and one row per stream (the gaps
// themselves are in the JSON output).
func writeCoverageCSV(w io.Writer, rep *coverage.Report) error {
	cw := csv.NewWriter(w)
	rows := [][]string{{"account", "region", "hoursWithData", "hours", "objects", "events", "gaps", "longestGapHours",
		"valid", "pending", "failed", "unverified", "faulty", "first", "last"}}
	for _, s := range rep.Streams {
		first, last := "", ""
		if !s.First.IsZero() {
			first, last = s.First.Format(time.RFC3339), s.Last.Format(time.RFC3339)
		}
		v := s.Verification
		rows = append(rows, []string{s.Account, s.Region, strconv.Itoa(s.HoursWithData), strconv.Itoa(rep.Hours),
			strconv.Itoa(s.Objects), strconv.FormatInt(s.Events, 10), strconv.Itoa(len(s.Gaps)), strconv.Itoa(s.Longest()),
			strconv.Itoa(v.Valid), strconv.Itoa(v.Pending), strconv.Itoa(v.Failed), strconv.Itoa(v.Unverified),
			strconv.Itoa(s.Faulty), first, last})
	}
	return cw.WriteAll(rows)
}
