package detect

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/query"
)

// Options shape an evaluation.
type Options struct {
	Query   query.Options // Since, Until, Accounts, Regions, Workers
	Samples int           // matching events kept per rule, earliest first (with their raw record)
	// MaxEventIDs bounds the eventIDs listed per alarm; the alarm still
	// counts every event.
	MaxEventIDs int
	// MaxGroups bounds the groups of one grouped rule, and the distinct
	// values one CountDistinct rule holds (0: DefaultMaxGroups): past it
	// the evaluation stops with an error naming the rule and the limit,
	// so that memory stays bounded whatever the data.
	MaxGroups int
}

// DefaultMaxGroups is the default of Options.MaxGroups.
const DefaultMaxGroups = 100000

// DefaultMaxEventIDs is the default bound on eventIDs per alarm: enough to
// act on any real alarm, small enough that a rule matching millions of
// events does not hold them all.
const DefaultMaxEventIDs = 1000

// Result is what one rule found.
type Result struct {
	Rule        *Rule
	Hits        int64
	First, Last time.Time // eventTime of the first and last match (zero if none)
	Untimed     int64     // matches without an eventTime (in no period)
	Alarms      []Alarm
	Samples     []query.Match // the earliest matches, with Raw
}

// Alarm is one period in ALARM: the sum over the evaluation window ending
// with Period met the rule's threshold. For a grouped rule it is one group's
// window.
type Alarm struct {
	Rule          string    `json:"rule"`
	Severity      string    `json:"severity"`
	Description   string    `json:"description,omitempty"`
	Source        string    `json:"source"`
	Period        time.Time `json:"period"`    // start of the period
	PeriodEnd     time.Time `json:"periodEnd"` // end of the period (exclusive)
	PeriodSeconds int64     `json:"periodSeconds"`
	// Group holds the values of the rule's GroupBy fields that this alarm
	// is for (absent for a rule without groups).
	Group map[string]string `json:"group,omitempty"`
	// Sum is the number of matches in the evaluation window, or, with
	// CountDistinct, the number of distinct values of that field.
	Sum               int64     `json:"sum"`
	CountDistinct     string    `json:"countDistinct,omitempty"` // the rule's CountDistinct field
	Threshold         Threshold `json:"threshold"`
	EvaluationPeriods int       `json:"evaluationPeriods"`
	EventIDs          []string  `json:"eventIDs"` // matching events of the window, in (eventTime, eventID) order
	EventIDsTruncated bool      `json:"eventIDsTruncated,omitempty"`
}

// GroupText is the alarm's group as "field=value, field=value" in the
// rule's GroupBy order ("" without groups).
func (a Alarm) GroupText(groupBy []string) string {
	var parts []string
	for _, f := range groupBy {
		if v, ok := a.Group[f]; ok {
			parts = append(parts, f+"="+v)
		}
	}
	return strings.Join(parts, ", ")
}

// event is the part of a match an accumulator keeps.
type event struct {
	t  int64 // Unix microseconds
	id string
}

// accumulator is one rule's view of its matches: the rule, its prior
// counts (watch mode), and the tally it shares with the rules that count
// the same matches alike.
type accumulator struct {
	rule *Rule
	*tally
	// prior holds counts from earlier evaluations (watch mode) by group:
	// they add to the window sums, but only periods whose window received
	// new matches are evaluated.
	prior map[string]map[int64]int64
	// priorDistinct holds, for a CountDistinct rule in watch mode, the
	// values earlier evaluations saw by group and period: a period's count
	// is the size of the union with the values seen now.
	priorDistinct map[string]map[int64][]string
}

// distinctCounts is counts for a CountDistinct rule with prior values:
// per period, the values seen now plus the prior ones not among them.
func (a *accumulator) distinctCounts(group string) map[int64]int64 {
	out := map[int64]int64{}
	prior := a.priorDistinct[group]
	for p, vals := range a.distinct[group] {
		n := int64(len(vals))
		for _, v := range prior[p] {
			if _, seen := vals[v]; !seen {
				n++
			}
		}
		out[p] = n
	}
	return out
}

// tally gathers the matches of one pattern for every rule that counts them
// alike: same pattern, period, groups and distinct field (the CIS versions
// and the classics share many), so each match is added once for all of
// them. Only thresholds and evaluation periods tell such rules apart, and
// those apply when alarms are evaluated.
type tally struct {
	rule   *Rule // the first of the rules: period, groups, and the name in errors
	hits   int64
	first  time.Time
	last   time.Time
	metric *Metric                       // the rule's metric: one series per group ("" without groups)
	ids    map[string]map[int64]*[]event // group -> period start -> its earliest MaxEventIDs events (a heap)
	// lastIDs is the heap the previous match went to (period lastP of
	// group lastGroup): a pattern's matches come in time order within a
	// file, so most land in the same period.
	lastIDs   *[]event
	lastP     int64
	lastGroup string
	// distinct holds, with CountDistinct, the values seen per group and
	// period; the series counts those instead of the matches.
	distinct map[string]map[int64]map[string]struct{}
	// groups maps a group key to its field values.
	groups  map[string][]string
	values  int // distinct values held (CountDistinct)
	samples []query.Match
}

// tallyKey identifies the rules one tally serves.
func tallyKey(r *Rule) string {
	return fmt.Sprintf("%s\x00%d\x00%q\x00%s", r.Node.String(), r.Period, r.GroupBy, r.CountDistinct)
}

func newTally(r *Rule) (*tally, error) {
	m, err := NewMetric(r.Period)
	if err != nil {
		return nil, fmt.Errorf("rule %q: %w", r.Name, err)
	}
	a := &tally{rule: r, metric: m, ids: map[string]map[int64]*[]event{}, groups: map[string][]string{"": nil}}
	if r.CountDistinct != "" {
		a.distinct = map[string]map[int64]map[string]struct{}{}
	}
	return a, nil
}

// counts returns a group's counts per period start (Unix s): matches, or
// distinct values with CountDistinct.
func (a *tally) counts(group string) map[int64]int64 {
	if a.distinct == nil {
		return a.metric.counts[group]
	}
	out := map[int64]int64{}
	for p, vals := range a.distinct[group] {
		out[p] = int64(len(vals))
	}
	return out
}

// groupOf returns the group key of a match and, with CountDistinct, the
// values of that field.
func (a *tally) groupOf(m query.Match) (string, []string, error) {
	r := a.rule
	if !r.Grouped() {
		return "", nil, nil
	}
	if m.Raw == nil {
		return "", nil, fmt.Errorf("rule %q: match %s has no raw record to group by", r.Name, m.EventID)
	}
	sels := r.groupSels
	if r.CountDistinct != "" {
		sels = append(sels[:len(sels):len(sels)], r.distinctSel)
	}
	vals, _ := query.SelectText(m.Raw, sels)
	if vals == nil {
		vals = make([][]string, len(sels)) // not JSON: every field absent
	}
	var distinct []string
	if r.CountDistinct != "" {
		distinct = vals[len(vals)-1]
		vals = vals[:len(vals)-1]
	}
	if len(vals) == 0 {
		return "", distinct, nil
	}
	key := make([]string, len(vals))
	for i, v := range vals {
		key[i] = strings.Join(v, ",")
	}
	k, err := json.Marshal(key) // unambiguous whatever the values hold
	if err != nil {
		return "", nil, err
	}
	if _, ok := a.groups[string(k)]; !ok {
		a.groups[string(k)] = key
	}
	return string(k), distinct, nil
}

// limitError is the error of a rule past Options.MaxGroups.
func limitError(r *Rule, what string, max int) error {
	return fmt.Errorf("rule %q: more than %d %s (the limit; raise it with MaxGroups, --max-groups on the command line, or narrow the rule)", r.Name, max, what)
}

func (a *tally) add(m query.Match, opts *Options) error {
	group, distinct, err := a.groupOf(m)
	if err != nil {
		return err
	}
	if len(a.groups) > opts.MaxGroups+1 { // +1: the "" group
		return limitError(a.rule, "groups", opts.MaxGroups)
	}
	a.hits++
	if m.Time.IsZero() {
		a.metric.untimed++
	} else {
		if a.first.IsZero() || m.Time.Before(a.first) {
			a.first = m.Time
		}
		if m.Time.After(a.last) {
			a.last = m.Time
		}
		p := a.metric.periodOf(m.Time)
		a.metric.addAt(p, group)
		h := a.lastIDs
		if h == nil || a.lastP != p || a.lastGroup != group {
			ids := a.ids[group]
			if ids == nil {
				ids = map[int64]*[]event{}
				a.ids[group] = ids
			}
			if h = ids[p]; h == nil {
				h = new([]event)
				ids[p] = h
			}
			a.lastIDs, a.lastP, a.lastGroup = h, p, group
		}
		*h = keepEarliest(*h, event{t: m.Time.UnixMicro(), id: m.EventID}, opts.MaxEventIDs)
		if a.distinct != nil {
			byPeriod := a.distinct[group]
			if byPeriod == nil {
				byPeriod = map[int64]map[string]struct{}{}
				a.distinct[group] = byPeriod
			}
			set := byPeriod[p]
			if set == nil {
				set = map[string]struct{}{}
				byPeriod[p] = set
			}
			for _, v := range distinct {
				if _, ok := set[v]; !ok {
					set[v] = struct{}{}
					if a.values++; a.values > opts.MaxGroups {
						return limitError(a.rule, "distinct values of "+a.rule.CountDistinct, opts.MaxGroups)
					}
				}
			}
		}
	}
	if opts.Samples > 0 && m.Raw != nil {
		a.samples = insertSample(a.samples, m, opts.Samples)
	}
	return nil
}

// keepEarliest adds e to h, a max-heap (by later) of at most n events, so
// that h holds the n earliest events seen whatever order they come in.
func keepEarliest(h []event, e event, n int) []event {
	if h == nil {
		h = make([]event, 0, min(n, 8)) // most periods hold a few events
	}
	if len(h) < n {
		h = append(h, e)
		for i := len(h) - 1; i > 0; {
			parent := (i - 1) / 2
			if !later(h[i], h[parent]) {
				break
			}
			h[i], h[parent] = h[parent], h[i]
			i = parent
		}
		return h
	}
	if !later(h[0], e) {
		return h // e is not earlier than the latest kept
	}
	h[0] = e
	for i := 0; ; {
		l, r, big := 2*i+1, 2*i+2, i
		if l < len(h) && later(h[l], h[big]) {
			big = l
		}
		if r < len(h) && later(h[r], h[big]) {
			big = r
		}
		if big == i {
			return h
		}
		h[i], h[big] = h[big], h[i]
		i = big
	}
}

func later(a, b event) bool {
	if a.t != b.t {
		return a.t > b.t
	}
	return a.id > b.id
}

// compareEvents orders events by (time, eventID).
func compareEvents(a, b event) int {
	if c := cmp.Compare(a.t, b.t); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

func matchBefore(a, b query.Match) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.Before(b.Time)
	}
	return a.EventID < b.EventID
}

// insertSample keeps the n earliest matches, sorted.
func insertSample(s []query.Match, m query.Match, n int) []query.Match {
	i := sort.Search(len(s), func(i int) bool { return matchBefore(m, s[i]) })
	if i >= n {
		return s
	}
	s = append(s, query.Match{})
	copy(s[i+1:], s[i:])
	s[i] = m
	if len(s) > n {
		s = s[:n]
	}
	return s
}

// Evaluate runs every rule over the snapshot in one pass (one scan of each
// file for all rules) and returns one result per rule, in rule order.
func Evaluate(ctx context.Context, lake *partition.Lake, snap *partition.Snapshot, rules []*Rule, opts Options) ([]*Result, *query.MultiStats, error) {
	p, err := NewPass(rules, opts)
	if err != nil {
		return nil, nil, err
	}
	return p.Run(ctx, lake, snap)
}

// Pass is one evaluation of rules, planned once: rules with the same
// pattern (the CIS versions and the classics share many) are evaluated
// once, and their matches go to every tally of such rules.
type Pass struct {
	rules []*Rule
	opts  Options
	of    []int // per rule: the index of its pattern in mp
	mp    *query.MultiPlan
}

// NewPass compiles the rules and plans their pass.
func NewPass(rules []*Rule, opts Options) (*Pass, error) {
	if opts.MaxEventIDs <= 0 {
		opts.MaxEventIDs = DefaultMaxEventIDs
	}
	if opts.MaxGroups <= 0 {
		opts.MaxGroups = DefaultMaxGroups
	}
	var nodes []query.Node
	byText := map[string]int{}
	of := make([]int, len(rules))
	raw := opts.Samples
	for i, r := range rules {
		if r.Node == nil || len(r.groupSels) != len(r.GroupBy) || (r.CountDistinct != "" && r.distinctSel.Steps == nil) {
			if err := r.Compile(); err != nil {
				return nil, err
			}
		}
		key := r.Node.String()
		j, ok := byText[key]
		if !ok {
			j = len(nodes)
			byText[key] = j
			nodes = append(nodes, r.Node)
		}
		of[i] = j
		if r.Grouped() {
			raw = -1 // the group key comes from the raw record of every match
		}
	}
	mp, err := query.NewMultiPlan(nodes, query.MultiOptions{Options: opts.Query, RawPerFile: raw})
	if err != nil {
		return nil, err
	}
	return &Pass{rules: rules, opts: opts, of: of, mp: mp}, nil
}

// Snapshot reads the lake's snapshot for one Run of the pass: only the
// files some rule's pattern may match, selected while the manifest streams
// in (query.MultiPlan.Snapshot), so that the pass does not hold the
// lake's whole manifest.
func (p *Pass) Snapshot(ctx context.Context, lake *partition.Lake) (*partition.Snapshot, error) {
	return p.mp.Snapshot(ctx, lake)
}

// Run evaluates every rule over the snapshot and returns one result per
// rule, in rule order.
func (p *Pass) Run(ctx context.Context, lake *partition.Lake, snap *partition.Snapshot) ([]*Result, *query.MultiStats, error) {
	res, _, st, err := p.run(ctx, lake, snap, nil, nil)
	return res, st, err
}

// evaluate is Evaluate with prior per-period counts, and distinct values
// of CountDistinct rules, by rule name (watch mode; see priorKey); it also
// returns the accumulators.
func evaluate(ctx context.Context, lake *partition.Lake, snap *partition.Snapshot, rules []*Rule, opts Options, prior map[string]map[int64]int64, priorDistinct map[string]map[int64][]string) ([]*Result, []*accumulator, *query.MultiStats, error) {
	p, err := NewPass(rules, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	return p.run(ctx, lake, snap, prior, priorDistinct)
}

func (p *Pass) run(ctx context.Context, lake *partition.Lake, snap *partition.Snapshot, prior map[string]map[int64]int64, priorDistinct map[string]map[int64][]string) ([]*Result, []*accumulator, *query.MultiStats, error) {
	opts := p.opts
	fanout := make([][]*tally, p.mp.Len()) // distinct pattern -> its tallies
	tallies := map[string]*tally{}
	accs := make([]*accumulator, len(p.rules))
	for i, r := range p.rules {
		tk := tallyKey(r)
		t := tallies[tk]
		if t == nil {
			var err error
			if t, err = newTally(r); err != nil {
				return nil, nil, nil, err
			}
			tallies[tk] = t
			fanout[p.of[i]] = append(fanout[p.of[i]], t)
		}
		accs[i] = &accumulator{rule: r, tally: t}
		switch {
		case prior == nil:
		case r.CountDistinct == "":
			accs[i].prior = priorOf(prior, r)
		default:
			// Counts of value sets add as unions, not sums: no prior
			// counts, the prior values instead.
			accs[i].prior = map[string]map[int64]int64{}
			accs[i].priorDistinct = priorOf(priorDistinct, r)
		}
	}
	st, err := p.mp.Run(ctx, lake, snap, func(i int, m query.Match) error {
		for _, t := range fanout[i] {
			if err := t.add(m, &opts); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, st, err
	}
	out, err := results(accs, opts.Query)
	if err != nil {
		return nil, nil, st, err
	}
	return out, accs, st, nil
}

// results evaluates the accumulators' alarms, one rule per worker at a time
// (opts.Workers, default GOMAXPROCS): rules are independent, and a pack's
// alarms are many. The first error in rule order is returned.
func results(accs []*accumulator, opts query.Options) ([]*Result, error) {
	out := make([]*Result, len(accs))
	errs := make([]error, len(accs))
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(workers, len(accs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(accs); i = int(next.Add(1) - 1) {
				out[i], errs[i] = accs[i].result(opts.Since, opts.Until)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (a *accumulator) result(since, until time.Time) (*Result, error) {
	r := a.rule
	res := &Result{Rule: r, Hits: a.hits, First: a.first, Last: a.last, Untimed: a.metric.Untimed(), Samples: slices.Clone(a.samples)}
	keys := make([]string, 0, len(a.groups))
	for k := range a.groups {
		if k != "" || len(r.GroupBy) == 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	// The range of the rule's series, over all groups.
	lo, hi, ok := seriesRange(r.Period, a.metric.counts, since, until)
	if !ok {
		return res, nil
	}
	for _, k := range keys {
		if err := a.groupAlarms(res, k, lo, hi); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(res.Alarms, func(x, y Alarm) int { return x.Period.Compare(y.Period) })
	return res, nil
}

// groupAlarms appends the alarms of one group (the only one, "", for a
// rule without groups); lo and hi are the first and last period of the
// rule's series. A group is evaluated in the windows holding at least one
// of its matches: a group without matches does not exist.
func (a *accumulator) groupAlarms(res *Result, group string, lo, hi int64) error {
	r := a.rule
	step := int64(r.Period / time.Second)
	E := int64(r.EvaluationPeriods)
	counts := a.counts(group)
	if a.priorDistinct != nil {
		counts = a.distinctCounts(group)
	}
	var prior map[int64]int64
	if a.prior != nil {
		prior = a.prior[group]
	}
	// The periods whose window may meet the threshold.
	var candidates []int64
	if r.Threshold.Met(0) && a.prior == nil && len(r.GroupBy) == 0 {
		// Even empty windows alarm: walk the whole series, as `ctq count`.
		if (hi-lo)/step > MaxSeriesPeriods {
			return fmt.Errorf("rule %q: the series would have %d periods; narrow --since/--until", r.Name, (hi-lo)/step)
		}
		for t := lo; t <= hi; t += step {
			if windowEvaluated(t, lo, step, r.EvaluationPeriods) {
				candidates = append(candidates, t)
			}
		}
	} else {
		// Outside watch mode the series is that of `ctq count`: windows
		// are evaluated from the first full one to the series' last period.
		candidates = make([]int64, 0, len(counts)*int(E))
		for p := range counts {
			for k := int64(0); k < E; k++ {
				t := p + k*step
				if a.prior == nil && (!windowEvaluated(t, lo, step, r.EvaluationPeriods) || t > hi) {
					continue
				}
				candidates = append(candidates, t)
			}
		}
		slices.Sort(candidates)
		candidates = slices.Compact(candidates)
	}
	var groupVals map[string]string
	if len(r.GroupBy) > 0 {
		groupVals = map[string]string{}
		for i, f := range r.GroupBy {
			groupVals[f] = a.groups[group][i]
		}
	}
	ids := a.ids[group]
	events := a.metric.counts[group]
	var evs []event // scratch, reused across windows
	res.Alarms = slices.Grow(res.Alarms, len(candidates))
	for _, t := range candidates {
		sum := windowSum(counts, prior, t, step, r.EvaluationPeriods)
		if !r.Threshold.Met(float64(sum)) {
			continue
		}
		al := Alarm{
			Rule: r.Name, Severity: r.Severity, Description: r.Description, Source: r.Source,
			Period: time.Unix(t, 0).UTC(), PeriodEnd: time.Unix(t+step, 0).UTC(), PeriodSeconds: step,
			Group: groupVals, Sum: sum, CountDistinct: r.CountDistinct,
			Threshold: r.Threshold, EvaluationPeriods: r.EvaluationPeriods, EventIDs: []string{},
		}
		evs = evs[:0]
		for k := E - 1; k >= 0; k-- {
			var held []event
			if h := ids[t-k*step]; h != nil {
				held = *h
			}
			evs = append(evs, held...)
			if int64(len(held)) < events[t-k*step] {
				al.EventIDsTruncated = true
			}
		}
		slices.SortFunc(evs, compareEvents)
		al.EventIDs = make([]string, len(evs))
		for i, e := range evs {
			al.EventIDs[i] = e.id
		}
		res.Alarms = append(res.Alarms, al)
	}
	return nil
}
