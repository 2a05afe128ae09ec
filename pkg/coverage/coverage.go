// Package coverage reports, per account and region, which hours of a time
// window have delivered CloudTrail log files in a lake, where the gaps are,
// and how much of the delivered data was verified against the trail's
// digests. Gaps often mean that logging was stopped or that log files were
// deleted before they were ingested.
//
// The report is computed from the lake's manifest alone (the source objects
// ingest recorded, with their delivery times and verdicts): no data file is
// read.
package coverage

import (
	"fmt"
	"sort"
	"time"

	"github.com/ctq-dev/ctq/pkg/layout"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// DefaultMinGap is the shortest run of hours without a delivered file that
// is reported as a gap. CloudTrail delivers a file about every 5 minutes
// while a region has activity; an org trail's active regions rarely go an
// hour without one, so an empty hour alone is common in quiet regions but
// two in a row are worth a look.
const DefaultMinGap = 2 * time.Hour

// Config selects what the report covers.
type Config struct {
	// Since and Until bound the window by delivery time (Since <= t <
	// Until), rounded out to whole hours. A zero Since starts at the
	// earliest delivery in the lake, a zero Until ends after the newest
	// delivery in the lake (any account or region), so a stream that
	// stopped delivering while others went on ends in a gap.
	Since, Until time.Time
	// Accounts and Regions narrow the streams (empty: all).
	Accounts, Regions []string
	// Now ends a window whose Since is after the newest delivery in the lake
	// (every stream is then one gap up to Now); zero: time.Now().
	Now time.Time
	// MinGap is the shortest gap reported; zero means DefaultMinGap.
	MinGap time.Duration
}

// Report is the coverage of every selected stream over one window.
type Report struct {
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	Hours int       `json:"hours"` // hours in the window
	// MinGapHours is the shortest gap reported, in hours.
	MinGapHours int `json:"minGapHours"`
	// Streams are ordered by account, then region.
	Streams []Stream `json:"streams"`
	// Newest is the newest delivery time in the lake (any stream).
	Newest time.Time `json:"newest"`
	// Skipped counts manifest entries whose key is not a CloudTrail log key
	// (they are never counted as coverage).
	Skipped int `json:"skipped,omitempty"`
}

// Stream is the coverage of one account and region.
type Stream struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	// First and Last are the earliest and newest delivery times in the
	// window.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// Objects and Events count the log files delivered in the window and
	// the events ingested from them.
	Objects int   `json:"objects"`
	Events  int64 `json:"events"`
	// HoursWithData counts the window's hours with at least one delivered
	// file.
	HoursWithData int `json:"hoursWithData"`
	// Gaps are the runs of hours without a delivered file that last at
	// least MinGap, including one at the start or end of the window.
	Gaps []Gap `json:"gaps"`
	// Verification counts the delivered files by integrity verdict.
	Verification Verification `json:"verification"`
	// Faulty counts files that ingest recorded as partial or invalid.
	Faulty int `json:"faulty,omitempty"`
	// Days holds, per day of the window from Since on, the number of hours
	// with data (0 to 24; the first and last day may be shorter).
	Days []int `json:"hoursPerDay"`
}

// Verification counts delivered files by integrity verdict.
type Verification struct {
	Valid      int `json:"valid"`
	Pending    int `json:"pending"`    // delivered after the newest digest at the time
	Failed     int `json:"failed"`     // hash mismatch, missing from a digest, ...
	Unverified int `json:"unverified"` // never checked (ingested without --verify)
}

// Gap is a run of hours without a delivered file.
type Gap struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Hours int       `json:"hours"`
	// Edge is "start" or "end" for a gap at an edge of the window (data
	// begins late or stops early), "all" for a window without deliveries,
	// empty for a gap between deliveries.
	Edge string `json:"edge,omitempty"`
}

// Longest returns the stream's longest gap in hours (0 without gaps).
func (s *Stream) Longest() int {
	n := 0
	for _, g := range s.Gaps {
		n = max(n, g.Hours)
	}
	return n
}

// Problems counts the report's gaps and failed verdicts.
func (r *Report) Problems() (gaps, failed int) {
	for _, s := range r.Streams {
		gaps += len(s.Gaps)
		failed += s.Verification.Failed
	}
	return gaps, failed
}

// source is one delivered log file of a stream.
type source struct {
	delivery time.Time
	src      partition.Source
}

// FromSources computes the coverage report from the lake's source objects
// (a snapshot's Sources).
func FromSources(sources map[string]partition.Source, cfg Config) (*Report, error) {
	minGap := cfg.MinGap
	if minGap == 0 {
		minGap = DefaultMinGap
	}
	if minGap < time.Hour {
		return nil, fmt.Errorf("minimum gap %s: want at least 1h (coverage is counted in whole hours)", minGap)
	}
	if !cfg.Since.IsZero() && !cfg.Until.IsZero() && !cfg.Since.Before(cfg.Until) {
		return nil, fmt.Errorf("window start %s is not before its end %s", cfg.Since.Format(time.RFC3339), cfg.Until.Format(time.RFC3339))
	}
	accounts, regions := toSet(cfg.Accounts), toSet(cfg.Regions)
	minHours := int((minGap + time.Hour - 1) / time.Hour)
	rep := &Report{MinGapHours: minHours, Streams: []Stream{}}
	streams := map[[2]string][]source{}
	var first, newest time.Time
	for _, s := range sources {
		k, err := layout.ParseKey(s.Key)
		if err != nil || k.Kind != layout.KindCloudTrail {
			rep.Skipped++
			continue
		}
		d := k.Delivery.UTC()
		if newest.IsZero() || d.After(newest) {
			newest = d // the lake's newest delivery, whatever the selection
		}
		if (accounts != nil && !accounts[k.Account]) || (regions != nil && !regions[k.Region]) {
			continue
		}
		if first.IsZero() || d.Before(first) {
			first = d
		}
		id := [2]string{k.Account, k.Region}
		streams[id] = append(streams[id], source{delivery: d, src: s})
	}
	rep.Newest = newest
	since, until := cfg.Since.UTC(), cfg.Until.UTC()
	if cfg.Since.IsZero() {
		since = first
	}
	if cfg.Until.IsZero() {
		until = newest.Truncate(time.Hour).Add(time.Hour)
		if !cfg.Since.IsZero() && !since.Before(until) {
			until = cfg.Now.UTC()
			if cfg.Now.IsZero() {
				until = time.Now().UTC()
			}
		}
	}
	since = since.Truncate(time.Hour)
	if u := until.Truncate(time.Hour); u.Before(until) {
		until = u.Add(time.Hour)
	}
	if since.IsZero() || !since.Before(until) {
		return rep, nil // nothing delivered, or a window after the newest delivery
	}
	rep.Since, rep.Until = since, until
	rep.Hours = int(until.Sub(since) / time.Hour)
	for id, srcs := range streams {
		// A stream with files in the lake but none in the window is kept:
		// the whole window is its gap.
		rep.Streams = append(rep.Streams, buildStream(id[0], id[1], srcs, since, until, minHours))
	}
	sort.Slice(rep.Streams, func(i, j int) bool {
		a, b := rep.Streams[i], rep.Streams[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		return a.Region < b.Region
	})
	return rep, nil
}

// buildStream computes one stream's figures over [since, until).
func buildStream(account, region string, srcs []source, since, until time.Time, minHours int) Stream {
	st := Stream{Account: account, Region: region, Gaps: []Gap{}}
	nHours := int(until.Sub(since) / time.Hour)
	has := make([]bool, nHours)
	for _, s := range srcs {
		if s.delivery.Before(since) || !s.delivery.Before(until) {
			continue
		}
		st.Objects++
		st.Events += s.src.Events
		if st.First.IsZero() || s.delivery.Before(st.First) {
			st.First = s.delivery
		}
		if s.delivery.After(st.Last) {
			st.Last = s.delivery
		}
		has[int(s.delivery.Sub(since)/time.Hour)] = true
		switch s.src.Verified {
		case "":
			st.Verification.Unverified++
		case "valid":
			st.Verification.Valid++
		case "pending":
			st.Verification.Pending++
		default:
			st.Verification.Failed++
		}
		if s.src.Status == partition.StatusPartial || s.src.Status == partition.StatusInvalid {
			st.Faulty++
		}
	}
	run := 0
	for h := 0; h <= nHours; h++ {
		if h < nHours && !has[h] {
			run++
			continue
		}
		if h < nHours {
			st.HoursWithData++
		}
		if run >= minHours {
			g := Gap{Start: since.Add(time.Duration(h-run) * time.Hour), End: since.Add(time.Duration(h) * time.Hour), Hours: run}
			switch {
			case h-run == 0 && h == nHours:
				g.Edge = "all"
			case h-run == 0:
				g.Edge = "start"
			case h == nHours:
				g.Edge = "end"
			}
			st.Gaps = append(st.Gaps, g)
		}
		run = 0
	}
	// Hours with data per day of the window.
	for h := 0; h < nHours; h++ {
		t := since.Add(time.Duration(h) * time.Hour)
		day := int(t.Sub(since.Truncate(24*time.Hour)) / (24 * time.Hour))
		for len(st.Days) <= day {
			st.Days = append(st.Days, 0)
		}
		if has[h] {
			st.Days[day]++
		}
	}
	return st
}

func toSet(xs []string) map[string]bool {
	if len(xs) == 0 {
		return nil
	}
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}
