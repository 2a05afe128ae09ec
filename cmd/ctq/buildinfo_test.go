package main

import (
	"runtime/debug"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	for _, c := range []struct {
		name         string
		bi           *debug.BuildInfo
		stampVersion string
		stampCommit  string
		want         string
	}{
		{"no build info", nil, "", "", "ctq " + version + " (commit unknown)"},
		{"checkout without vcs stamping", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "", "",
			"ctq " + version + " (commit unknown; go1.26.8)"},
		{"checkout with vcs stamping", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("0123abcd", "false")}, "", "",
			"ctq " + version + " (commit 0123abcd; go1.26.8)"},
		{"modified checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Settings: vcs("0123abcd", "true")}, "", "",
			"ctq " + version + " (commit 0123abcd, modified; go1.26.8)"},
		{"go install of a tag", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.3.1"}}, "", "",
			"ctq 0.3.1 (commit unknown; go1.26.8)"},
		{"ldflags override build info", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.3.1"}, Settings: vcs("0123abcd", "true")}, "v0.4.0", "feedbeef",
			"ctq 0.4.0 (commit feedbeef; go1.26.8)"},
	} {
		if got := formatVersion(c.bi, c.stampVersion, c.stampCommit); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
