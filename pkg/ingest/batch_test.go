package ingest

import (
	"math/rand/v2"
	"testing"
)

// The cached partition day must equal a fresh formatting for every
// timestamp, in any order: at and around midnight, before 1970 (negative
// microseconds), and after long runs on one day.
func TestDayCache_MatchesFormatting(t *testing.T) {
	const day = int64(microsPerDay)
	midnight := int64(1710460800) * 1_000_000 // 2024-03-15T00:00:00Z
	fixed := []int64{
		midnight, midnight - 1, midnight + 1, midnight + day - 1, midnight + day,
		0, -1, 1, -day, -day - 1, -day + 1,
		midnight, midnight - 1, // back across the boundary after moving on
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		fixed = append(fixed, midnight+rng.Int64N(3*day)-day, rng.Int64N(200*day)-100*day)
	}
	var c dayCache
	for i, us := range fixed {
		if got, want := c.of(us), dayOfMicros(us); got != want {
			t.Fatalf("timestamp %d (#%d): cached day %s, want %s", us, i, got, want)
		}
	}
}
