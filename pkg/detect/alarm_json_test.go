package detect_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/detect"
)

// alarmFor builds an alarm whose text fields hold s.
func alarmFor(s string) detect.Alarm {
	at := time.Date(2024, 3, 1, 10, 5, 0, 0, time.UTC)
	return detect.Alarm{
		Rule: "r-" + s, Severity: "high", Description: s, Source: "rules.yaml:" + s,
		Period: at, PeriodEnd: at.Add(5 * time.Minute), PeriodSeconds: 300,
		Group: map[string]string{"b": s, "a": "x", s: "k"}, Sum: 3, CountDistinct: s,
		Threshold: detect.Threshold{Op: ">=", Value: 2.5}, EvaluationPeriods: 2,
		EventIDs: []string{"e1", s}, EventIDsTruncated: true,
	}
}

// TestAlarm_AppendJSON: the hand-written encoding is byte for byte what
// encoding/json writes, for plain alarms, empty and omitted fields, and
// values that need escaping.
func TestAlarm_AppendJSON(t *testing.T) {
	at := time.Date(2024, 3, 1, 10, 5, 0, 0, time.UTC)
	cases := map[string]detect.Alarm{
		"minimal":      {Rule: "r", Source: "builtin", Period: at, PeriodEnd: at.Add(time.Minute), PeriodSeconds: 60, Threshold: detect.Threshold{Op: ">=", Value: 1}, EvaluationPeriods: 1, EventIDs: []string{}},
		"nil eventIDs": {Rule: "r", Period: at, PeriodEnd: at, Threshold: detect.Threshold{Op: "<", Value: 1e21}},
		"nanoseconds":  {Rule: "r", Period: at.Add(123456789), PeriodEnd: at.Add(time.Millisecond), EventIDs: []string{"a"}},
		"zone":         {Rule: "r", Period: at.In(time.FixedZone("x", 5*3600+1800)), PeriodEnd: at},
		"year 10000":   {Rule: "r", Period: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"plain":        alarmFor("plain-value_1.2"),
		"html":         alarmFor("<script>&amp;</script>"),
		"quotes":       alarmFor(`say "hi" \ there`),
		"control":      alarmFor("tab\there\nnew\x00nul\x1b[31m"),
		"unicode":      alarmFor("ünïcødé \u2028 \u2029 😀"),
		"bad utf-8":    alarmFor("bad \xff\xfe utf8"),
		"empty":        alarmFor(""),
	}
	for name, a := range cases {
		t.Run(name, func(t *testing.T) {
			want, wantErr := json.Marshal(a)
			got, err := a.AppendJSON([]byte("prefix"))
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("error %v; encoding/json: %v", err, wantErr)
			}
			if err != nil {
				return
			}
			if string(got) != "prefix"+string(want) {
				t.Errorf("got\n%s\nwant\nprefix%s", got, want)
			}
		})
	}
}

func FuzzAlarm_AppendJSON(f *testing.F) {
	f.Add("plain", "id-1", int64(0))
	f.Add("<&>\"\\\x01", "\xff\u2028", int64(1e9))
	f.Fuzz(func(t *testing.T, s, id string, ns int64) {
		a := alarmFor(s)
		a.EventIDs = append(a.EventIDs, id)
		a.Period = a.Period.Add(time.Duration(ns))
		want, wantErr := json.Marshal(a)
		got, err := a.AppendJSON(nil)
		if (err != nil) != (wantErr != nil) || (err == nil && string(got) != string(want)) {
			t.Fatalf("got %s (%v); encoding/json %s (%v)", got, err, want, wantErr)
		}
	})
}

func BenchmarkAlarm_AppendJSON(b *testing.B) {
	a := alarmFor("Management console sign-in without MFA")
	a.Group, a.CountDistinct = nil, ""
	a.EventIDs = []string{"a8706b78-6262-4e01-b989-8ec1558647f0", "51a8132b-77bf-488b-90d7-ea0129106c37", "53d901f6-6d4d-42e6-bf3b-66d9db15cf17"}
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf, _ = a.AppendJSON(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}
