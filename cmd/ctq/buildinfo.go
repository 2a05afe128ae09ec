package main

import (
	"runtime/debug"
	"strings"
)

// Release builds may stamp these at link time, e.g.
//
//	go build -ldflags "-X main.buildVersion=v0.2.0 -X main.buildCommit=$(git rev-parse HEAD)" ./cmd/ctq
//
// When set, they take precedence over the build info the Go toolchain
// records (module version; VCS commit with -buildvcs=true, the default in a
// git checkout).
var (
	buildVersion string
	buildCommit  string
)

// versionLine is what `ctq version` prints.
func versionLine() string {
	bi, _ := debug.ReadBuildInfo()
	return formatVersion(bi, buildVersion, buildCommit)
}

// formatVersion renders "ctq VERSION (commit COMMIT[, modified]; GOVERSION)"
// from build info (may be nil) and link-time stamps (may be empty). Without
// a module version (a build inside the checkout reports "(devel)") it falls
// back to the source's version constant.
func formatVersion(bi *debug.BuildInfo, stampVersion, stampCommit string) string {
	v, commit, modified, goVersion := version, "", false, ""
	if bi != nil {
		if mv := bi.Main.Version; mv != "" && mv != "(devel)" {
			v = strings.TrimPrefix(mv, "v")
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		goVersion = bi.GoVersion
	}
	if stampVersion != "" {
		v = strings.TrimPrefix(stampVersion, "v")
	}
	if stampCommit != "" {
		commit, modified = stampCommit, false
	}
	var details []string
	switch {
	case commit == "":
		details = append(details, "commit unknown")
	case modified:
		details = append(details, "commit "+commit+", modified")
	default:
		details = append(details, "commit "+commit)
	}
	if goVersion != "" {
		details = append(details, goVersion)
	}
	return "ctq " + v + " (" + strings.Join(details, "; ") + ")"
}
