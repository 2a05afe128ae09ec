package main

import (
	"slices"
	"testing"
)

func TestParseSizes(t *testing.T) {
	got, err := parseSizes("4000000, 250000,1000000,250000")
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{250000, 1000000, 4000000}; !slices.Equal(got, want) {
		t.Fatalf("parseSizes = %v, want %v (sorted, unique)", got, want)
	}
	for _, bad := range []string{"", "1e6", "-5", "0", "100,x"} {
		if _, err := parseSizes(bad); err == nil {
			t.Fatalf("parseSizes(%q): want an error", bad)
		}
	}
}

func TestHumanEvents(t *testing.T) {
	for n, want := range map[int]string{250000: "250k", 1000000: "1M", 4000000: "4M", 2500000: "2.5M", 2000: "2k", 123: "123"} {
		if got := humanEvents(n); got != want {
			t.Fatalf("humanEvents(%d) = %q, want %q", n, got, want)
		}
	}
}
