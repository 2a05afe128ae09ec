package main

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/ctq-dev/ctq/bench/internal/measure"
)

// jqDisplay is the shell pipeline that counts q's matches with zcat and jq
// over the source archive. It is also exactly what runJQ executes (with
// bash -o pipefail), so the command in the report is the one measured.
//
// The objects are CloudTrail log files only, as ctq ingests them:
// AWSLogs/[org/]<account>/CloudTrail/<region>/..., never CloudTrail-Digest
// (nor CloudTrail-Insight, which ctq ingests only on request). A query
// with a partition scope reads only that account's and region's objects:
// ctq's account and region partitions come from the object key, not from
// the record.
func jqDisplay(archive string, q query) string {
	path := "*/CloudTrail/*"
	if q.JQAccount != "" || q.JQRegion != "" {
		acct, region := q.JQAccount, q.JQRegion
		if acct == "" {
			acct = "*"
		}
		if region == "" {
			region = "*"
		}
		path = "*/" + acct + "/CloudTrail/" + region + "/*"
	}
	return "cd " + measure.ShellQuote(archive) +
		" && find AWSLogs -path " + measure.ShellQuote(path) + " -name '*.json.gz' -print0 | LC_ALL=C sort -z | xargs -0 -r zcat | jq -c " +
		measure.ShellQuote(jqProgram(q.JQ)) + " | wc -l"
}

// runJQ runs the jq pipeline of q once and parses its count.
func runJQ(ctx context.Context, archive string, q query) (measurement, error) {
	cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", jqDisplay(archive, q))
	u, out, err := measure.Run(cmd)
	if err != nil {
		return measurement{}, fmt.Errorf("jq (%s): %w", q.ID, err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		return measurement{}, fmt.Errorf("jq (%s): output %q is not a count", q.ID, out)
	}
	return measurement{Usage: u, count: n}, nil
}
