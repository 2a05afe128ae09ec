package ingest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/ingest"
)

// TestRun_EventTimeWindow ingests the day D with Since = D, Until = D+1
// from an archive whose deliveries do not line up with event days: the
// day's last delivery lands after midnight (its key is dated D+1), one
// object is delivered late, and the first delivery of D holds events of
// D-1. Every event of D must be in the lake, the objects past the maximum
// delivery delay are not read, and the result counts the events of the
// window and those that came along.
func TestRun_EventTimeWindow(t *testing.T) {
	e := newEnv(t)
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) string { return day.Add(d).Format(time.RFC3339) }
	type object struct {
		delivered time.Duration // from D
		events    []time.Duration
	}
	objects := []object{
		{5 * time.Minute, []time.Duration{-2 * time.Minute, 1 * time.Minute}},                                          // D's first: one event of D-1
		{12 * time.Hour, []time.Duration{11*time.Hour + 55*time.Minute}},                                               // mid-day
		{24*time.Hour + 5*time.Minute, []time.Duration{23*time.Hour + 58*time.Minute, 24*time.Hour + time.Minute}},     // D's last, keyed D+1
		{24*time.Hour + 40*time.Minute, []time.Duration{23*time.Hour + 30*time.Minute, 24*time.Hour + 30*time.Minute}}, // late
		{26 * time.Hour, []time.Duration{25 * time.Hour}},                                                              // past the delay: not read
		{-10 * time.Minute, []time.Duration{-15 * time.Minute}},                                                        // before the window: not read
	}
	wantInLake := map[string]bool{} // eventIDs
	var inWindow, outside int64
	id := 0
	for i, o := range objects {
		var recs []string
		for _, ev := range o.events {
			id++
			recs = append(recs, simpleRecord(id, at(ev), ""))
			read := o.delivered >= 0 && o.delivered < 25*time.Hour
			if read {
				wantInLake[eventIDOf(id)] = true
				if ev >= 0 && ev < 24*time.Hour {
					inWindow++
				} else {
					outside++
				}
			} else if ev >= 0 && ev < 24*time.Hour {
				t.Fatalf("object %d: an event of the window in an object the test does not expect read", i)
			}
		}
		doc, _ := recordsDoc(recs...)
		key := logKey("", "111122223333", "us-west-2", day.Add(o.delivered), "obj"+string(rune('a'+i)))
		putObject(t, e.srcDir, key, gzipBytes(t, doc), toBytes(recs))
	}
	cfg := e.config()
	cfg.Since, cfg.Until = day, day.AddDate(0, 0, 1)
	if cfg.MaxDeliveryDelay != ingest.DefaultMaxDeliveryDelay || ingest.DefaultMaxDeliveryDelay != time.Hour {
		t.Fatalf("MaxDeliveryDelay %s; the test's objects assume the default of 1h", cfg.MaxDeliveryDelay)
	}
	res := e.run(cfg)
	if res.EventsInWindow != inWindow || res.EventsOutsideWindow != outside || res.Events != inWindow+outside {
		t.Errorf("events %d: %d in the window, %d outside; want %d and %d", res.Events, res.EventsInWindow, res.EventsOutsideWindow, inWindow, outside)
	}
	_, rows := e.readLake()
	got := map[string]bool{}
	for _, r := range rows {
		if r.EventID != nil {
			got[*r.EventID] = true
		}
	}
	for ev := range wantInLake {
		if !got[ev] {
			t.Errorf("event %s is not in the lake", ev)
		}
	}
	if len(got) != len(wantInLake) {
		t.Errorf("lake holds %d events, want %d (objects outside the delivery window were read)", len(got), len(wantInLake))
	}

	// Without the delay the window is one of delivery times, and the
	// events of D delivered after midnight are missed: what the delay is for.
	e.newLake()
	cfg = e.config()
	cfg.Since, cfg.Until, cfg.MaxDeliveryDelay = day, day.AddDate(0, 0, 1), 0
	if res := e.run(cfg); res.EventsInWindow >= inWindow {
		t.Errorf("without a delivery delay %d events of the window found; want fewer than %d", res.EventsInWindow, inWindow)
	}
}

// eventIDOf is the eventID simpleRecord gives record id.
func eventIDOf(id int) string {
	s := simpleRecord(id, "", "")
	i := strings.Index(s, `"eventID":"`) + len(`"eventID":"`)
	return s[i : i+strings.IndexByte(s[i:], '"')]
}

func TestConfig_NegativeDeliveryDelay(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.MaxDeliveryDelay = -time.Minute
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("Validate: %v, want an error about the negative delay", err)
	}
}
