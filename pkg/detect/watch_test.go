package detect_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/detect"
	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

func watchRules(t *testing.T) []*detect.Rule {
	t.Helper()
	rs, err := detect.ParseRules("w.yaml", []byte(`
- name: trail-deleted
  pattern: eventName=DeleteTrail
- name: two-users
  pattern: eventName=CreateUser
  threshold: ">=2"
`))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// newWatcher is a watcher of watchRules as a fresh process would build it.
func newWatcher(t *testing.T, archive, lakeDir string, alarms *[]detect.Alarm) *detect.Watcher {
	t.Helper()
	return newWatcherOf(t, "test", watchRules(t), archive, lakeDir, alarms)
}

// newWatcherOf is a watcher of rules, named name, as a fresh process would
// build it.
func newWatcherOf(t *testing.T, name string, rules []*detect.Rule, archive, lakeDir string, alarms *[]detect.Alarm) *detect.Watcher {
	t.Helper()
	src, err := objstore.OpenLocal(archive)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := objstore.OpenLocal(lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	lake := partition.Open(lb)
	ic := ingest.DefaultConfig()
	ic.Source, ic.Lake = src, lake
	w, err := detect.NewWatcher(detect.WatchConfig{
		Name: name, Lake: lake, Rules: rules, Ingest: &ic, Every: time.Hour,
		Notify: func(_ context.Context, a detect.Alarm) error {
			*alarms = append(*alarms, a)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w
}

func alarmIDs(alarms []detect.Alarm) []string {
	var out []string
	for _, a := range alarms {
		for _, id := range a.EventIDs {
			out = append(out, a.Rule+":"+id)
		}
	}
	sort.Strings(out)
	return out
}

// TestWatch_RestartNoDuplicatesNoGaps: a source directory receives new
// objects between cycles, and the watcher is restarted (a new Watcher on
// the same lake) between them: every matching event alarms exactly once.
func TestWatch_RestartNoDuplicatesNoGaps(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	archive, lakeDir := filepath.Join(dir, "archive"), filepath.Join(dir, "lake")
	day := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	trail := ev{"eventSource": "cloudtrail.amazonaws.com", "eventName": "DeleteTrail"}
	user := ev{"eventSource": "iam.amazonaws.com", "eventName": "CreateUser"}
	other := ev{}

	// Cycle 1: the first object.
	writeObject(t, archive, day, "aaaaaaaaaaaaaaaa", []map[string]any{
		record("w1", day.Add(1*time.Minute), trail), record("w2", day.Add(2*time.Minute), other),
		record("u1", day.Add(1*time.Minute), user),
	})
	var alarms []detect.Alarm
	w := newWatcher(t, archive, lakeDir, &alarms)
	rep, err := w.Cycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(alarmIDs(alarms), ","); got != "trail-deleted:w1" {
		t.Fatalf("cycle 1 alarms %s; want trail-deleted:w1 (one CreateUser is under the threshold)", got)
	}
	if rep.Files != 1 || rep.Events != 3 || rep.Alarms != 1 {
		t.Errorf("cycle 1 report %+v", rep)
	}

	// Restart, with a new object: only its events alarm, and the second
	// CreateUser of the period completes the >=2 threshold.
	writeObject(t, archive, day.Add(10*time.Minute), "bbbbbbbbbbbbbbbb", []map[string]any{
		record("w3", day.Add(40*time.Minute), trail), record("w4", day.Add(3*time.Minute), trail),
		record("u2", day.Add(2*time.Minute), user),
	})
	alarms = nil
	w = newWatcher(t, archive, lakeDir, &alarms)
	if _, err := w.Cycle(ctx); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(alarmIDs(alarms), ","); got != "trail-deleted:w3,trail-deleted:w4,two-users:u2" {
		t.Fatalf("cycle 2 alarms %s", got)
	}
	for _, a := range alarms {
		if a.Rule == "two-users" && a.Sum != 2 {
			t.Errorf("two-users sum %d, want 2 (one event from each cycle)", a.Sum)
		}
	}

	// Nothing new: no alarm.
	alarms = nil
	if _, err := w.Cycle(ctx); err != nil {
		t.Fatal(err)
	}
	if len(alarms) != 0 {
		t.Fatalf("idle cycle alarms %v", alarmIDs(alarms))
	}

	// An object committed by another writer while no watcher runs is
	// evaluated by the next one.
	writeObject(t, archive, day.Add(20*time.Minute), "cccccccccccccccc", []map[string]any{record("w5", day.Add(50*time.Minute), trail)})
	ingestDir(t, archive, lakeDir)
	alarms = nil
	w = newWatcher(t, archive, lakeDir, &alarms)
	rep, err = w.Cycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(alarmIDs(alarms), ","); got != "trail-deleted:w5" {
		t.Fatalf("cycle 4 alarms %s; want trail-deleted:w5", got)
	}
	if rep.Ingest == nil || rep.Ingest.Objects != 0 {
		t.Errorf("cycle 4 ingest %+v; want nothing new to ingest", rep.Ingest)
	}
}

// TestWatch_RunStopsOnCancel: Run returns nil once its context is
// cancelled (as SIGINT/SIGTERM do in the CLI).
func TestWatch_RunStopsOnCancel(t *testing.T) {
	dir := t.TempDir()
	archive, lakeDir := filepath.Join(dir, "archive"), filepath.Join(dir, "lake")
	day := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	writeObject(t, archive, day, "aaaaaaaaaaaaaaaa", []map[string]any{record("w1", day, ev{"eventName": "DeleteTrail"})})
	lb, _ := objstore.OpenLocal(lakeDir)
	src, _ := objstore.OpenLocal(archive)
	lake := partition.Open(lb)
	ic := ingest.DefaultConfig()
	ic.Source, ic.Lake = src, lake
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cycles := 0
	var alarms []detect.Alarm
	w, err := detect.NewWatcher(detect.WatchConfig{
		Name: "stop", Lake: lake, Rules: watchRules(t), Ingest: &ic, Every: time.Hour,
		Notify:  func(_ context.Context, a detect.Alarm) error { alarms = append(alarms, a); return nil },
		OnCycle: func(detect.CycleReport) { cycles++; cancel() },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if cycles != 1 || len(alarms) != 1 {
		t.Fatalf("cycles %d alarms %d; want 1 and 1", cycles, len(alarms))
	}
	if _, err := lb.Stat(context.Background(), w.StateKey()); err != nil {
		t.Fatalf("no high-water mark: %v", err)
	}
}

// cycleBench is a watcher of one rule over a source directory that
// receives CreateUser events between cycles; every cycle is a fresh
// Watcher, as after a restart.
type cycleBench struct {
	t       *testing.T
	archive string
	day     time.Time
	alarms  []detect.Alarm
	cycle   func()
}

func newCycleBench(t *testing.T, name, ruleYAML string) *cycleBench {
	t.Helper()
	dir := t.TempDir()
	cb := &cycleBench{t: t, archive: filepath.Join(dir, "archive"), day: time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)}
	rules, err := detect.ParseRules(name+".yaml", []byte(ruleYAML))
	if err != nil {
		t.Fatal(err)
	}
	lakeDir := filepath.Join(dir, "lake")
	cb.cycle = func() {
		t.Helper()
		if _, err := newWatcherOf(t, name, rules, cb.archive, lakeDir, &cb.alarms).Cycle(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(cb.archive, 0o755)
	cb.cycle() // the mark starts before any data
	return cb
}

// deliver writes one object, delivered at the given offset into the day,
// of CreateUser events from the given addresses (id:ip pairs) a minute
// after the delivery's previous one; then a cycle runs.
func (cb *cycleBench) deliver(name string, at time.Duration, users ...[2]string) {
	cb.t.Helper()
	var recs []map[string]any
	for _, u := range users {
		recs = append(recs, record(u[0], cb.day.Add(at/5), ev{"eventSource": "iam.amazonaws.com", "eventName": "CreateUser", "sourceIPAddress": u[1]}))
	}
	writeObject(cb.t, cb.archive, cb.day.Add(at), name, recs)
	cb.cycle()
}

// TestWatch_GroupedSumsAcrossCycles: a grouped rule's counts carry over
// between cycles per group, so a group alarms when its own matches of
// both cycles meet the threshold, and another group's do not count.
func TestWatch_GroupedSumsAcrossCycles(t *testing.T) {
	cb := newCycleBench(t, "grouped", "- name: users-per-ip\n  pattern: eventName=CreateUser\n  threshold: '>=2'\n  group_by: [sourceIPAddress]\n")
	cb.deliver("aaaaaaaaaaaaaaaa", 0, [2]string{"x1", "192.0.2.1"}, [2]string{"y1", "192.0.2.2"})
	if len(cb.alarms) != 0 {
		t.Fatalf("cycle 1 alarms %v; one match per group is under the threshold", alarmIDs(cb.alarms))
	}
	cb.deliver("bbbbbbbbbbbbbbbb", 10*time.Minute, [2]string{"x2", "192.0.2.1"}, [2]string{"z1", "192.0.2.3"})
	if len(cb.alarms) != 1 || cb.alarms[0].Group["sourceIPAddress"] != "192.0.2.1" || cb.alarms[0].Sum != 2 {
		t.Fatalf("cycle 2 alarms %+v; want one for 192.0.2.1 with sum 2", cb.alarms)
	}
}

// TestWatch_DistinctValuesAcrossCycles: a count_distinct rule counts the
// union of the values each cycle saw in a period, not the values of one
// cycle: a value seen again does not count twice, and a period whose
// values arrive in several cycles alarms once they reach the threshold.
func TestWatch_DistinctValuesAcrossCycles(t *testing.T) {
	cb := newCycleBench(t, "distinct", "- name: ips-creating-users\n  pattern: eventName=CreateUser\n  period: 1h\n  threshold: '>=2'\n  count_distinct: sourceIPAddress\n")
	cb.deliver("aaaaaaaaaaaaaaaa", 0, [2]string{"x1", "192.0.2.1"})
	cb.deliver("bbbbbbbbbbbbbbbb", 10*time.Minute, [2]string{"x2", "192.0.2.1"})
	if len(cb.alarms) != 0 {
		t.Fatalf("alarms %+v after two cycles of one address", cb.alarms)
	}
	cb.deliver("cccccccccccccccc", 20*time.Minute, [2]string{"x3", "192.0.2.9"})
	if len(cb.alarms) != 1 || cb.alarms[0].Sum != 2 || !cb.alarms[0].Period.Equal(cb.day) {
		t.Fatalf("cycle 3 alarms %+v; want one for the 10:00 hour with 2 distinct addresses", cb.alarms)
	}
}
