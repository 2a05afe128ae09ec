package main

// Release builds stamp these at link time (scripts/release):
//
//	go build -ldflags "-X main.buildVersion=0.2.0 -X main.buildCommit=$(git rev-parse --short=12 HEAD)" ./cmd/ctq
var (
	buildVersion string
	buildCommit  string
)

// versionLine is the one version text of `ctq version` and `ctq --version`:
// "ctq VERSION (commit COMMIT)".
func versionLine() string {
	v, commit := version, "unknown"
	if buildVersion != "" {
		v = buildVersion
	}
	if buildCommit != "" {
		commit = buildCommit
	}
	return "ctq " + v + " (commit " + commit + ")"
}
