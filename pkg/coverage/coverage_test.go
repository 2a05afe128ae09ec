package coverage

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/partition"
)

const (
	acctA = "111122223333"
	acctB = "444455556666"
)

func key(account, region string, t time.Time) string {
	return fmt.Sprintf("AWSLogs/o-exampleorg/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_x%d.json.gz",
		account, region, t.Format("2006/01/02"), account, region, t.Format("20060102T1504Z"), t.UnixNano())
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// deliveries returns one source per delivery time, with the given verdict.
func deliveries(m map[string]partition.Source, account, region, verdict string, times ...time.Time) {
	for _, t := range times {
		k := key(account, region, t)
		m[k] = partition.Source{Key: k, Events: 10, Status: partition.StatusOK, Verified: verdict}
	}
}

// hourly returns the times from start every step until end (exclusive).
func hourly(start, end time.Time, step time.Duration) []time.Time {
	var out []time.Time
	for t := start; t.Before(end); t = t.Add(step) {
		out = append(out, t)
	}
	return out
}

func TestGaps(t *testing.T) {
	day := at("2024-03-01T00:00:00Z")
	tests := []struct {
		name      string
		times     []time.Time
		cfg       Config
		wantGaps  []Gap
		wantHours int // hours with data
	}{
		{
			name:      "every hour",
			times:     hourly(day.Add(5*time.Minute), day.Add(24*time.Hour), time.Hour),
			wantGaps:  []Gap{},
			wantHours: 24,
		},
		{
			name:      "one empty hour is below the default minimum",
			times:     append(hourly(day, day.Add(10*time.Hour), 30*time.Minute), hourly(day.Add(11*time.Hour), day.Add(24*time.Hour), 30*time.Minute)...),
			wantGaps:  []Gap{},
			wantHours: 23,
		},
		{
			name:      "three empty hours in the middle",
			times:     append(hourly(day, day.Add(10*time.Hour), 30*time.Minute), hourly(day.Add(13*time.Hour), day.Add(24*time.Hour), 30*time.Minute)...),
			wantGaps:  []Gap{{Start: day.Add(10 * time.Hour), End: day.Add(13 * time.Hour), Hours: 3}},
			wantHours: 21,
		},
		{
			name:      "a one-hour minimum reports the single empty hour",
			times:     append(hourly(day, day.Add(10*time.Hour), 30*time.Minute), hourly(day.Add(11*time.Hour), day.Add(24*time.Hour), 30*time.Minute)...),
			cfg:       Config{MinGap: time.Hour},
			wantGaps:  []Gap{{Start: day.Add(10 * time.Hour), End: day.Add(11 * time.Hour), Hours: 1}},
			wantHours: 23,
		},
		{
			name:  "explicit window: late start and early stop are edge gaps",
			times: hourly(day.Add(4*time.Hour), day.Add(20*time.Hour), 15*time.Minute),
			cfg:   Config{Since: day, Until: day.Add(24 * time.Hour)},
			wantGaps: []Gap{
				{Start: day, End: day.Add(4 * time.Hour), Hours: 4, Edge: "start"},
				{Start: day.Add(20 * time.Hour), End: day.Add(24 * time.Hour), Hours: 4, Edge: "end"},
			},
			wantHours: 16,
		},
		{
			name:      "window bounds round out to whole hours",
			times:     hourly(day.Add(4*time.Hour), day.Add(6*time.Hour), 15*time.Minute),
			cfg:       Config{Since: day.Add(4*time.Hour + 20*time.Minute), Until: day.Add(5*time.Hour + 10*time.Minute)},
			wantGaps:  []Gap{},
			wantHours: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]partition.Source{}
			deliveries(m, acctA, "us-east-1", "", tt.times...)
			rep, err := FromSources(m, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Streams) != 1 {
				t.Fatalf("got %d streams, want 1", len(rep.Streams))
			}
			s := rep.Streams[0]
			if !reflect.DeepEqual(s.Gaps, tt.wantGaps) {
				t.Errorf("gaps = %+v, want %+v", s.Gaps, tt.wantGaps)
			}
			if s.HoursWithData != tt.wantHours {
				t.Errorf("hours with data = %d, want %d", s.HoursWithData, tt.wantHours)
			}
		})
	}
}

// A region that stops delivering while the others go on ends in a gap even
// without --until: the window ends at the lake's newest delivery.
func TestStoppedStreamEndsInGap(t *testing.T) {
	day := at("2024-03-01T00:00:00Z")
	m := map[string]partition.Source{}
	deliveries(m, acctA, "us-east-1", "valid", hourly(day, day.Add(48*time.Hour), 20*time.Minute)...)
	deliveries(m, acctA, "eu-west-1", "valid", hourly(day, day.Add(30*time.Hour), 20*time.Minute)...)
	deliveries(m, acctB, "us-east-1", "", hourly(day.Add(24*time.Hour), day.Add(48*time.Hour), 20*time.Minute)...)
	rep, err := FromSources(m, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Since.Equal(day) || !rep.Until.Equal(day.Add(48*time.Hour)) || rep.Hours != 48 {
		t.Fatalf("window [%s, %s) %dh, want the 48 hours of the data", rep.Since, rep.Until, rep.Hours)
	}
	byID := map[string]Stream{}
	for _, s := range rep.Streams {
		byID[s.Account+"/"+s.Region] = s
	}
	if got := byID[acctA+"/us-east-1"]; len(got.Gaps) != 0 || got.HoursWithData != 48 || got.Verification.Valid != 144 {
		t.Errorf("intact stream: %+v", got)
	}
	stopped := byID[acctA+"/eu-west-1"]
	want := []Gap{{Start: day.Add(30 * time.Hour), End: day.Add(48 * time.Hour), Hours: 18, Edge: "end"}}
	if !reflect.DeepEqual(stopped.Gaps, want) {
		t.Errorf("stopped stream gaps = %+v, want %+v", stopped.Gaps, want)
	}
	late := byID[acctB+"/us-east-1"]
	want = []Gap{{Start: day, End: day.Add(24 * time.Hour), Hours: 24, Edge: "start"}}
	if !reflect.DeepEqual(late.Gaps, want) || late.Verification.Unverified != 72 {
		t.Errorf("late stream: gaps %+v, verification %+v", late.Gaps, late.Verification)
	}
	if !reflect.DeepEqual(late.Days, []int{0, 24}) {
		t.Errorf("late stream hours per day = %v, want [0 24]", late.Days)
	}
	gaps, failed := rep.Problems()
	if gaps != 2 || failed != 0 {
		t.Errorf("problems = %d gaps, %d failed; want 2, 0", gaps, failed)
	}
	// A selection narrows the streams but not the window's end.
	rep, err = FromSources(m, Config{Regions: []string{"eu-west-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Streams) != 1 || len(rep.Streams[0].Gaps) != 1 || rep.Streams[0].Gaps[0].Hours != 18 {
		t.Errorf("selected stream: %+v", rep.Streams)
	}
}

func TestVerificationAndFaults(t *testing.T) {
	day := at("2024-03-01T00:00:00Z")
	m := map[string]partition.Source{}
	deliveries(m, acctA, "us-east-1", "valid", day, day.Add(10*time.Minute))
	deliveries(m, acctA, "us-east-1", "pending", day.Add(20*time.Minute))
	deliveries(m, acctA, "us-east-1", "hash-mismatch", day.Add(30*time.Minute))
	deliveries(m, acctA, "us-east-1", "", day.Add(40*time.Minute))
	k := key(acctA, "us-east-1", day.Add(50*time.Minute))
	m[k] = partition.Source{Key: k, Events: 3, Status: partition.StatusPartial}
	// Not CloudTrail log keys: never counted.
	m["AWSLogs/o-exampleorg/111122223333/CloudTrail-Insight/us-east-1/2024/03/01/x.json.gz"] = partition.Source{Key: "AWSLogs/o-exampleorg/111122223333/CloudTrail-Insight/us-east-1/2024/03/01/x.json.gz"}
	rep, err := FromSources(m, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Skipped != 1 || len(rep.Streams) != 1 {
		t.Fatalf("skipped %d, streams %d; want 1, 1", rep.Skipped, len(rep.Streams))
	}
	s := rep.Streams[0]
	want := Verification{Valid: 2, Pending: 1, Failed: 1, Unverified: 2}
	if s.Verification != want || s.Faulty != 1 || s.Objects != 6 || s.Events != 53 {
		t.Errorf("stream = %+v, want verification %+v, 1 faulty, 6 objects, 53 events", s, want)
	}
	if _, failed := rep.Problems(); failed != 1 {
		t.Errorf("failed = %d, want 1", failed)
	}
}

func TestBadConfig(t *testing.T) {
	day := at("2024-03-01T00:00:00Z")
	for _, cfg := range []Config{
		{MinGap: 30 * time.Minute},
		{Since: day, Until: day},
		{Since: day.Add(time.Hour), Until: day},
	} {
		if _, err := FromSources(nil, cfg); err == nil {
			t.Errorf("config %+v: no error", cfg)
		}
	}
}

func TestEmptyLake(t *testing.T) {
	rep, err := FromSources(nil, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Hours != 0 || len(rep.Streams) != 0 {
		t.Errorf("empty lake: %+v", rep)
	}
}

// A window that starts after the newest delivery runs to Now: every stream
// is one gap (the lake holds nothing recent), not an empty report.
func TestWindowAfterNewestDelivery(t *testing.T) {
	day := at("2024-03-01T00:00:00Z")
	m := map[string]partition.Source{}
	deliveries(m, acctA, "us-east-1", "", hourly(day, day.Add(24*time.Hour), 20*time.Minute)...)
	rep, err := FromSources(m, Config{Since: day.Add(48 * time.Hour), Now: day.Add(72 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Hours != 24 || len(rep.Streams) != 1 {
		t.Fatalf("hours %d, streams %d; want 24, 1", rep.Hours, len(rep.Streams))
	}
	s := rep.Streams[0]
	want := []Gap{{Start: day.Add(48 * time.Hour), End: day.Add(72 * time.Hour), Hours: 24, Edge: "all"}}
	if s.Objects != 0 || !reflect.DeepEqual(s.Gaps, want) {
		t.Errorf("stream = %+v, want no objects and gaps %+v", s, want)
	}
}
