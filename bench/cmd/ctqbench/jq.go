package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/ctq-dev/ctq/bench/internal/measure"
)

// jqPipeline is the zcat | jq peer of ingest: what a jq user does to turn
// the archive into something line-oriented, one JSON record per line. It
// reads the CloudTrail log objects only (never digest files), in key order.
func jqPipeline(archiveDir, out string) string {
	return "cd " + measure.ShellQuote(archiveDir) +
		" && find AWSLogs -path '*/CloudTrail/*' -name '*.json.gz' -print0 | LC_ALL=C sort -z | xargs -0 -r zcat | jq -c '.Records[]' > " +
		measure.ShellQuote(out)
}

type jqRun struct {
	measure.Usage
	command  string
	lines    int64
	outBytes int64
}

// runJQ runs the jq pipeline once, measured, and counts the records it
// wrote. The output (as large as the archive's JSON) is removed after.
func runJQ(ctx context.Context, archiveDir, work string) (*jqRun, error) {
	out := filepath.Join(work, "jq-records.ndjson")
	defer os.Remove(out)
	r := &jqRun{command: jqPipeline(archiveDir, out)}
	u, _, err := measure.Run(exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", r.command))
	if err != nil {
		return nil, fmt.Errorf("zcat | jq: %w", err)
	}
	r.Usage = u
	f, err := os.Open(out)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	buf := make([]byte, 1<<20)
	for {
		n, err := br.Read(buf)
		r.lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
		r.outBytes += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read jq output: %w", err)
		}
	}
	return r, nil
}

func (r *jqRun) result(a archiveInfo) toolResult {
	t := newToolResult("jq-ndjson", r.Usage, r.lines, a, r.outBytes)
	t.OutputFiles = 1
	t.Threads = "1 (jq) + zcat"
	t.SQL = r.command
	return t
}
