package lineage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ctq-dev/ctq/pkg/termtext"
)

// SummaryConfig describes a summary of activity.
type SummaryConfig struct {
	// By is the dotted field path to group by ("userIdentity.accessKeyId",
	// "sourceIPAddress"); empty groups by principal (principalOf).
	By string
	// Pattern narrows the events (filter-pattern syntax); empty means all.
	Pattern string
	// Since and Until bound eventTime (Since <= t < Until; zero is open).
	Since, Until time.Time
}

// Group is the activity of one principal or field value.
type Group struct {
	Key string `json:"key"`
	Summary
	// Keys are the distinct access key ids used.
	Keys []string `json:"accessKeyIds,omitempty"`
}

// Summarize groups the events of src matching cfg and summarises each
// group: calls, first/last, APIs, Regions, addresses, user agents, keys and
// errors. Groups come most events first. Events without the By field form
// the group "" (none).
func Summarize(ctx context.Context, src EventSource, cfg SummaryConfig) ([]Group, error) {
	key := principalOf
	if cfg.By != "" {
		by := cfg.By
		key = func(r *record) string { return r.field(by) }
	}
	groups := map[string]*accum{}
	err := scan(ctx, src, cfg.Pattern, cfg.Since, cfg.Until, func(r *record) {
		k := key(r)
		a := groups[k]
		if a == nil {
			a = &accum{}
			groups[k] = a
		}
		a.add(r)
	})
	if err != nil {
		return nil, err
	}
	out := make([]Group, 0, len(groups))
	for k, a := range groups {
		g := Group{Key: k, Keys: a.keys.sorted()}
		a.into(&g.Summary)
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b Group) int { return cmp.Or(cmp.Compare(b.Events, a.Events), cmp.Compare(a.Key, b.Key)) })
	return out, nil
}

// principalOf names the principal of a record: userIdentity.arn, else
// the principal node id trace uses (service:<name>, saml:…, account:…).
func principalOf(r *record) string {
	if r.ID.ARN != "" {
		return r.ID.ARN
	}
	if r.ID.Type == "" && r.ID.InvokedBy == "" {
		return ""
	}
	return principalNodeID(r)
}

// NewConfig describes a first-seen search: values of Field in the window
// [Since, Until) that never occurred in the baseline [BaselineSince,
// Since).
type NewConfig struct {
	// Field is the dotted path of the value ("sourceIPAddress",
	// "eventName", "userAgent"); it must not be empty.
	Field string
	// Per, when set, is the dotted path of the entity the values belong to
	// ("userIdentity.arn"): a value is new when that entity never had it.
	Per string
	// Pattern narrows the events (filter-pattern syntax); empty means all.
	Pattern string
	// BaselineSince starts the baseline; Since ends it and starts the
	// window; Until ends the window (zero: open). Since must be set and
	// after BaselineSince.
	BaselineSince, Since, Until time.Time
}

// NewValue is a value first seen in the window.
type NewValue struct {
	Entity       string    `json:"entity,omitempty"`
	Value        string    `json:"value"`
	First        time.Time `json:"first"`
	FirstEventID string    `json:"firstEventID"`
	Count        int       `json:"count"`
}

// NewValues returns the values of cfg.Field (per cfg.Per) seen in the
// window but not in the baseline, in order of first appearance.
func NewValues(ctx context.Context, src EventSource, cfg NewConfig) ([]NewValue, error) {
	switch {
	case cfg.Field == "":
		return nil, errors.New("lineage: new values: empty field")
	case cfg.Since.IsZero() || !cfg.BaselineSince.Before(cfg.Since):
		return nil, fmt.Errorf("lineage: new values: baseline start %s must be before window start %s", cfg.BaselineSince.Format(time.RFC3339), cfg.Since.Format(time.RFC3339))
	}
	pairKey := func(r *record) (string, string) {
		e := ""
		if cfg.Per != "" {
			e = r.field(cfg.Per)
		}
		return e, r.field(cfg.Field)
	}
	seen := map[[2]string]bool{}
	err := scan(ctx, src, cfg.Pattern, cfg.BaselineSince, cfg.Since, func(r *record) {
		e, v := pairKey(r)
		seen[[2]string{e, v}] = true
	})
	if err != nil {
		return nil, err
	}
	fresh := map[[2]string]*NewValue{}
	err = scan(ctx, src, cfg.Pattern, cfg.Since, cfg.Until, func(r *record) {
		e, v := pairKey(r)
		k := [2]string{e, v}
		if v == "" || seen[k] {
			return
		}
		nv := fresh[k]
		if nv == nil {
			nv = &NewValue{Entity: e, Value: v, First: r.Time, FirstEventID: r.EventID}
			fresh[k] = nv
		}
		nv.Count++
		if r.Time.Before(nv.First) {
			nv.First, nv.FirstEventID = r.Time, r.EventID
		}
	})
	if err != nil {
		return nil, err
	}
	out := make([]NewValue, 0, len(fresh))
	for _, nv := range fresh {
		out = append(out, *nv)
	}
	slices.SortFunc(out, func(a, b NewValue) int {
		return cmp.Or(a.First.Compare(b.First), cmp.Compare(a.Entity, b.Entity), cmp.Compare(a.Value, b.Value))
	})
	return out, nil
}

// scan feeds every decodable record of one lookup to fn, once per
// eventID. It is the one place summaries and first-seen read events, so
// their computation can move to an aggregation engine without touching
// their callers.
func scan(ctx context.Context, src EventSource, pattern string, since, until time.Time, fn func(*record)) error {
	dup := map[string]bool{}
	err := src.Events(ctx, pattern, since, until, func(raw []byte) error {
		r, err := decodeRecord(raw)
		if err != nil {
			return nil
		}
		if r.EventID != "" {
			if dup[r.EventID] {
				return nil
			}
			dup[r.EventID] = true
		}
		r.raw = nil // fn keeps nothing of raw, which the source may reuse
		fn(r)
		return nil
	})
	if err != nil {
		return fmt.Errorf("lineage: events %s: %w", pattern, err)
	}
	return nil
}

// WriteGroups writes summaries as an aligned table, values escaped.
func WriteGroups(w io.Writer, groups []Group) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tEVENTS\tFIRST\tLAST\tERRORS\tREGIONS\tIPS\tAGENTS\tKEYS\tTOP APIS")
	for _, g := range groups {
		apis := make([]string, len(g.TopAPIs))
		for i, a := range g.TopAPIs {
			apis[i] = fmt.Sprintf("%s(%d)", a.Value, a.N)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%s\t%d\t%d\t%d\t%s\n", termtext.Escape(orNone(g.Key)), g.Events, g.First.Format(time.RFC3339), g.Last.Format(time.RFC3339),
			g.Errors, termtext.Escape(strings.Join(g.Regions, ",")), len(g.SourceIPs), len(g.UserAgents), len(g.Keys), termtext.Escape(strings.Join(apis, ",")))
	}
	return tw.Flush()
}

// WriteNewValues writes first-seen values as an aligned table, values
// escaped.
func WriteNewValues(w io.Writer, vals []NewValue) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIRST\tENTITY\tVALUE\tCOUNT\tFIRST EVENT")
	for _, v := range vals {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", v.First.Format(time.RFC3339), termtext.Escape(orNone(v.Entity)), termtext.Escape(v.Value), v.Count, termtext.Escape(v.FirstEventID))
	}
	return tw.Flush()
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
