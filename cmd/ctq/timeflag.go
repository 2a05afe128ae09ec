package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseTimeBound parses --since/--until values: RFC 3339, a date
// (yyyy-mm-dd, midnight UTC), or a duration before now such as 90m, 24h, 7d.
func parseTimeBound(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02T15:04", s); err == nil {
		return t, nil
	}
	if d, ok := parseRelative(s); ok {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("invalid time %q: use RFC 3339 (2024-03-01T12:00:00Z), a date (2024-03-01) or a duration ago (90m, 24h, 7d)", s)
}

func parseRelative(s string) (time.Duration, bool) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.ParseFloat(n, 64)
		if err != nil || v < 0 {
			return 0, false
		}
		return time.Duration(v * float64(24*time.Hour)), true
	}
	if n, ok := strings.CutSuffix(s, "w"); ok {
		v, err := strconv.ParseFloat(n, 64)
		if err != nil || v < 0 {
			return 0, false
		}
		return time.Duration(v * float64(7*24*time.Hour)), true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, false
	}
	return d, true
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
