package detect

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/query"
)

// WatchDir holds watchers' high-water marks inside the lake.
const WatchDir = partition.MetaDir + "/watch/"

// watchStateVersion is the format of a watch state object.
const watchStateVersion = 1

// countRetention is how long per-period counts are kept after the latest
// period a rule saw: events delivered later than this (CloudTrail delivers
// within minutes, rarely hours) no longer add to the sums of their window.
const countRetention = 24 * time.Hour

var watchNameRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) })

// ValidWatchName reports whether s can name a watcher's state.
func ValidWatchName(s string) bool { return watchNameRe().MatchString(s) }

// WatchConfig configures a watcher.
type WatchConfig struct {
	Name  string // names the high-water mark: _ctq/watch/<Name>.json
	Lake  *partition.Lake
	Rules []*Rule
	// Ingest, when set, runs before each evaluation (an incremental ingest
	// of the source into Lake). Without it the watcher evaluates what
	// other writers commit.
	Ingest *ingest.Config
	Every  time.Duration
	Query  query.Options // Accounts, Regions, Workers (time bounds are ignored)
	// MaxEventIDs bounds the eventIDs listed per alarm (0: the default).
	MaxEventIDs int
	// MaxGroups bounds a grouped rule's groups per cycle (0: the default;
	// see Options.MaxGroups).
	MaxGroups int
	// Notify is called for every alarm, in order, before the high-water
	// mark moves past its events. An error is reported through OnCycle and
	// does not stop the watcher.
	Notify func(ctx context.Context, a Alarm) error
	// OnCycle, when set, receives each cycle's report.
	OnCycle func(CycleReport)
}

// CycleReport describes one watch cycle.
type CycleReport struct {
	Ingest       *ingest.Result `json:"ingest,omitempty"`
	IngestError  string         `json:"ingestError,omitempty"`
	FromSeq      int64          `json:"fromSeq"` // high-water mark before the cycle
	ToSeq        int64          `json:"toSeq"`   // and after
	Files        int            `json:"files"`   // new data files evaluated
	Events       int64          `json:"events"`  // rows in them
	Alarms       int            `json:"alarms"`
	NotifyErrors []string       `json:"notifyErrors,omitempty"`
}

// watchState is the persisted high-water mark: the last commit whose files
// were evaluated, and recent per-period counts so that thresholds above 1
// sum across cycles.
type watchState struct {
	Version int                        `json:"version"`
	Seq     int64                      `json:"seq"`
	Updated time.Time                  `json:"updated"`
	Counts  map[string]map[int64]int64 `json:"counts,omitempty"` // rule -> period start (Unix s) -> matches
	// Distinct holds the values count_distinct rules saw: rule -> period
	// start (Unix s) -> sorted distinct values. A period's values may come
	// in several cycles (late deliveries, a period cut by a cycle); its
	// count is the size of their union.
	Distinct map[string]map[int64][]string `json:"distinct,omitempty"`
}

// Watcher evaluates rules on the data each cycle adds to the lake.
type Watcher struct {
	cfg WatchConfig
	key string
}

// NewWatcher checks the configuration.
func NewWatcher(cfg WatchConfig) (*Watcher, error) {
	if !ValidWatchName(cfg.Name) {
		return nil, fmt.Errorf("watch name %q: want 1-64 letters, digits, '.', '_' or '-'", cfg.Name)
	}
	if cfg.Lake == nil {
		return nil, fmt.Errorf("watch: no lake")
	}
	if len(cfg.Rules) == 0 {
		return nil, fmt.Errorf("watch: no rules")
	}
	if cfg.Ingest != nil {
		if err := cfg.Ingest.Validate(); err != nil {
			return nil, err
		}
	}
	return &Watcher{cfg: cfg, key: WatchDir + cfg.Name + ".json"}, nil
}

// StateKey returns the lake key of the watcher's high-water mark.
func (w *Watcher) StateKey() string { return w.key }

// Run runs cycles every cfg.Every until ctx is done, then returns nil. The
// first cycle starts at once. A failing cycle is reported through OnCycle
// and retried at the next tick; an interrupted cycle leaves the
// high-water mark where it was, so the next run redoes it.
func (w *Watcher) Run(ctx context.Context) error {
	if w.cfg.Every <= 0 {
		return fmt.Errorf("watch: interval %s must be positive", w.cfg.Every)
	}
	if err := w.Init(ctx); err != nil {
		return err
	}
	t := time.NewTicker(w.cfg.Every)
	defer t.Stop()
	for {
		if _, err := w.Cycle(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if w.cfg.OnCycle != nil {
				w.cfg.OnCycle(CycleReport{IngestError: err.Error()})
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Init creates the high-water mark at the lake's current commit if the
// watcher has none yet: a new watcher evaluates what is committed from now
// on (run `ctq detect` for the history).
func (w *Watcher) Init(ctx context.Context) error {
	_, ok, err := w.loadState(ctx)
	if err != nil || ok {
		return err
	}
	snap, err := w.cfg.Lake.FilesSnapshot(ctx)
	if err != nil {
		return err
	}
	return w.saveState(ctx, &watchState{Version: watchStateVersion, Seq: snap.Seq})
}

// Cycle ingests (when configured), evaluates the rules on the files
// committed since the high-water mark, notifies alarms and moves the mark.
func (w *Watcher) Cycle(ctx context.Context) (CycleReport, error) {
	var rep CycleReport
	if w.cfg.Ingest != nil {
		res, err := ingest.Run(ctx, *w.cfg.Ingest)
		rep.Ingest = res
		if err != nil {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			// Whatever was committed before the failure is still evaluated.
			rep.IngestError = err.Error()
		}
	}
	st, ok, err := w.loadState(ctx)
	if err != nil {
		return rep, err
	}
	if !ok {
		return rep, fmt.Errorf("watch state %s is missing: was it deleted while running?", w.key)
	}
	rep.FromSeq, rep.ToSeq = st.Seq, st.Seq
	commits, err := w.cfg.Lake.CommitsAfter(ctx, st.Seq)
	if err != nil {
		return rep, err
	}
	if len(commits) == 0 {
		w.report(rep)
		return rep, nil
	}
	snap := newFilesSnapshot(commits)
	rep.ToSeq = snap.Seq
	rep.Files = len(snap.Files)
	for _, f := range snap.Files {
		rep.Events += f.Rows
	}
	if len(snap.Files) > 0 {
		opts := Options{Query: w.cfg.Query, MaxEventIDs: w.cfg.MaxEventIDs, MaxGroups: w.cfg.MaxGroups}
		opts.Query.Since, opts.Query.Until = time.Time{}, time.Time{}
		if st.Counts == nil {
			st.Counts = map[string]map[int64]int64{}
		}
		if st.Distinct == nil {
			st.Distinct = map[string]map[int64][]string{}
		}
		results, accs, _, err := evaluate(ctx, w.cfg.Lake, snap, w.cfg.Rules, opts, st.Counts, st.Distinct)
		if err != nil {
			return rep, err
		}
		for _, res := range results {
			for _, a := range res.Alarms {
				rep.Alarms++
				if w.cfg.Notify == nil {
					continue
				}
				if err := w.cfg.Notify(ctx, a); err != nil {
					if ctx.Err() != nil {
						return rep, ctx.Err() // alarms of this cycle are redone by the next run
					}
					rep.NotifyErrors = append(rep.NotifyErrors, fmt.Sprintf("rule %s period %s: %v", a.Rule, a.Period.Format(time.RFC3339), err))
				}
			}
		}
		st.Counts = mergeCounts(st.Counts, accs)
		st.Distinct = mergeDistinct(st.Distinct, accs, opts.MaxGroups)
	}
	st.Seq = snap.Seq
	if err := w.saveState(ctx, st); err != nil {
		return rep, err
	}
	w.report(rep)
	return rep, nil
}

func (w *Watcher) report(rep CycleReport) {
	if w.cfg.OnCycle != nil {
		w.cfg.OnCycle(rep)
	}
}

// newFilesSnapshot is a snapshot holding only the data files that commits
// added (and did not remove again). Compaction commits rewrite data that
// was already evaluated and are skipped, unless one removed a file not yet
// evaluated: its outputs are then evaluated too (some of their events may
// alarm again, but none is missed).
func newFilesSnapshot(commits []*partition.Commit) *partition.Snapshot {
	snap := &partition.Snapshot{Files: map[string]partition.File{}}
	for _, c := range commits {
		pendingRemoved := false
		for _, p := range c.Remove {
			if _, ok := snap.Files[p]; ok {
				pendingRemoved = true
				delete(snap.Files, p)
			}
		}
		if c.Operation != "compact" || pendingRemoved {
			for _, f := range c.Add {
				snap.Files[f.Path] = f
			}
		}
		snap.Seq = c.Seq
		snap.Commits++
	}
	return snap
}

// priorKey is the key of a group's counts in the watch state: the rule's
// name, then a NUL and the group key for a grouped rule (rule names from
// YAML cannot hold a NUL).
func priorKey(r *Rule, group string) string {
	if group == "" {
		return r.Name
	}
	return r.Name + "\x00" + group
}

// priorOf returns a rule's prior state by group: its counts, or the values
// of a CountDistinct rule.
func priorOf[V any](prior map[string]map[int64]V, r *Rule) map[string]map[int64]V {
	out := map[string]map[int64]V{}
	if len(r.GroupBy) == 0 {
		out[""] = prior[r.Name]
		return out
	}
	pfx := r.Name + "\x00"
	for k, c := range prior {
		if g, ok := strings.CutPrefix(k, pfx); ok {
			out[g] = c
		}
	}
	return out
}

// mergeCounts adds the new per-period counts to the prior ones and drops
// periods older than countRetention before each rule's latest period.
func mergeCounts(prior map[string]map[int64]int64, accs []*accumulator) map[string]map[int64]int64 {
	for _, a := range accs {
		if a.rule.CountDistinct != "" {
			continue
		}
		for group := range a.groups {
			if group == "" && len(a.rule.GroupBy) > 0 {
				continue
			}
			mergeGroup(prior, a, priorKey(a.rule, group), a.counts(group))
		}
	}
	return prior
}

func mergeGroup(prior map[string]map[int64]int64, a *accumulator, name string, counts map[int64]int64) {
	m := prior[name]
	if m == nil {
		m = map[int64]int64{}
	}
	for p, n := range counts {
		m[p] += n
	}
	if len(m) == 0 {
		delete(prior, name)
		return
	}
	_, last, _ := seriesRange(a.rule.Period, map[string]map[int64]int64{"": m}, time.Time{}, time.Time{})
	cut := retentionCut(a.rule, last)
	for p := range m {
		if p < cut {
			delete(m, p)
		}
	}
	prior[name] = m
}

// mergeDistinct adds the values count_distinct rules saw this cycle to
// the prior ones and drops periods older than countRetention before each
// rule's latest period. A rule keeps at most maxValues values (0: the
// default of Options.MaxGroups), its oldest periods dropped first: values
// come from the logs, and the state must not grow with them.
func mergeDistinct(prior map[string]map[int64][]string, accs []*accumulator, maxValues int) map[string]map[int64][]string {
	if maxValues <= 0 {
		maxValues = DefaultMaxGroups
	}
	for _, a := range accs {
		r := a.rule
		if r.CountDistinct == "" {
			continue
		}
		for group, byPeriod := range a.distinct {
			if group == "" && len(r.GroupBy) > 0 {
				continue
			}
			name := priorKey(r, group)
			if prior[name] == nil {
				prior[name] = map[int64][]string{}
			}
			for p, vals := range byPeriod {
				merged := prior[name][p]
				for v := range vals {
					merged = append(merged, v)
				}
				slices.Sort(merged)
				prior[name][p] = slices.Compact(merged)
			}
		}
		trimDistinct(prior, r, maxValues)
	}
	return prior
}

// trimDistinct applies the retention and the bound of mergeDistinct to
// every group of rule r: newest periods first, a period goes when it is
// older than the retention or the values up to it exceed maxValues.
func trimDistinct(prior map[string]map[int64][]string, r *Rule, maxValues int) {
	groups := priorOf(prior, r)
	type period struct {
		group string
		p     int64
	}
	var periods []period
	for g, m := range groups {
		for p := range m {
			periods = append(periods, period{g, p})
		}
	}
	if len(periods) == 0 {
		return
	}
	slices.SortFunc(periods, func(x, y period) int { return cmp.Compare(y.p, x.p) })
	cut := retentionCut(r, periods[0].p)
	held := 0
	for _, pe := range periods {
		m := groups[pe.group]
		held += len(m[pe.p])
		if pe.p < cut || held > maxValues {
			delete(m, pe.p)
		}
	}
	for g, m := range groups {
		if len(m) == 0 {
			delete(prior, priorKey(r, g))
		}
	}
}

// retentionCut is the oldest period start (Unix s) kept for rule r when its
// latest period starts at last: countRetention and one window before it.
func retentionCut(r *Rule, last int64) int64 {
	return last - int64(countRetention/time.Second) - int64(r.EvaluationPeriods)*int64(r.Period/time.Second)
}

func (w *Watcher) loadState(ctx context.Context) (*watchState, bool, error) {
	rc, _, err := w.cfg.Lake.Bucket().Open(ctx, w.key)
	if errors.Is(err, objstore.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read watch state %s: %w", w.key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return nil, false, fmt.Errorf("read watch state %s: %w", w.key, err)
	}
	var st watchState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, false, fmt.Errorf("watch state %s is corrupt: %w", w.key, err)
	}
	if st.Version > watchStateVersion {
		return nil, false, fmt.Errorf("watch state %s has version %d; this ctq reads up to %d", w.key, st.Version, watchStateVersion)
	}
	return &st, true, nil
}

// saveState replaces the state object (Put is atomic: readers see the old
// or the new state, never a partial one).
func (w *Watcher) saveState(ctx context.Context, st *watchState) error {
	st.Version = watchStateVersion
	st.Updated = time.Now().UTC()
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := w.cfg.Lake.Bucket().Put(ctx, w.key, bytes.NewReader(data), int64(len(data))); err != nil {
		return fmt.Errorf("write watch state %s: %w", w.key, err)
	}
	return nil
}
