package detect

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseAggregation(t *testing.T) {
	cases := []struct {
		in     string
		want   aggregation
		err    string // substring of the error; "" for success
		unsupp bool   // the error wraps ErrUnsupported
	}{
		{in: " count() > 5", want: aggregation{threshold: Threshold{">", 5}}},
		{in: "count()>=5", want: aggregation{threshold: Threshold{">=", 5}}},
		{in: "count() by sourceIPAddress > 10", want: aggregation{by: []string{"sourceIPAddress"}, threshold: Threshold{">", 10}}},
		{in: "count(userIdentity.arn) by sourceIPAddress >= 3", want: aggregation{field: "userIdentity.arn", by: []string{"sourceIPAddress"}, threshold: Threshold{">=", 3}}},
		{in: "COUNT( eventName ) BY awsRegion, userIdentity.arn < 2", want: aggregation{field: "eventName", by: []string{"awsRegion", "userIdentity.arn"}, threshold: Threshold{"<", 2}}},
		{in: "count() <= 0", want: aggregation{threshold: Threshold{"<=", 0}}},
		{in: "count() == 7", want: aggregation{threshold: Threshold{"=", 7}}},
		{in: "count() = 7", want: aggregation{threshold: Threshold{"=", 7}}},
		{in: "count() by a b > 1", err: "want field names separated by commas"},
		{in: "count() > many", err: "want an operator"},
		{in: "count() != 3", err: "want count() or count(field)"},
		{in: "count > 3", err: "want count() or count(field)"},
		{in: "count() by > 3", err: "want count() or count(field)"},
		{in: "", err: "want count() or count(field)"},
		{in: "max(requestParameters.size) by userIdentity.arn > 100", err: "aggregation function max()", unsupp: true},
		{in: "avg(x) > 1", err: "aggregation function avg()", unsupp: true},
	}
	for _, c := range cases {
		got, err := parseAggregation(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q in it", c.in, err, c.err)
			} else if errors.Is(err, ErrUnsupported) != c.unsupp {
				t.Errorf("%q: error %v: unsupported %v, want %v", c.in, err, !c.unsupp, c.unsupp)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestParseSigmaDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"30s", 30 * time.Second, ""},
		{"5m", 5 * time.Minute, ""},
		{"1h", time.Hour, ""},
		{"2d", 48 * time.Hour, ""},
		{"1M", 0, "months and years"},
		{"1y", 0, "months and years"},
		{"0m", 0, "positive whole number"},
		{"m", 0, "want a number and a unit"},
		{"5w", 0, "unknown unit"},
		{"999d", 0, "longer than a year"},
	}
	for _, c := range cases {
		got, err := parseSigmaDuration(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q in it", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func FuzzParseAggregation(f *testing.F) {
	for _, s := range []string{"count() > 5", "count(userIdentity.arn) by sourceIPAddress >= 3", "count() by a, b == 2", "max(x) > 1", "count() by > 3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		agg, err := parseAggregation(s)
		if err != nil {
			return
		}
		if _, err := ParseThreshold(agg.threshold.String()); err != nil {
			t.Fatalf("%q: threshold %v does not parse again: %v", s, agg.threshold, err)
		}
		for _, g := range agg.by {
			if g == "" || strings.ContainsAny(g, " \t,") {
				t.Fatalf("%q: group field %q", s, g)
			}
		}
		if strings.ContainsAny(agg.field, " \t()") {
			t.Fatalf("%q: field %q", s, agg.field)
		}
	})
}
