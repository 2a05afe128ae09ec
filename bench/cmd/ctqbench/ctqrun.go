package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/ctq-dev/ctq/bench/internal/measure"
)

// ctqSummary is the part of `ctq ingest --json` the harness uses.
type ctqSummary struct {
	Objects           int64             `json:"objects"`
	ObjectsPartial    int64             `json:"objectsPartial"`
	ObjectsInvalid    int64             `json:"objectsInvalid"`
	ObjectsFailed     int64             `json:"objectsFailed"`
	Events            int64             `json:"events"`
	BytesRead         int64             `json:"bytesRead"`
	BytesDecompressed int64             `json:"bytesDecompressed"`
	BytesWritten      int64             `json:"bytesWritten"`
	Files             int64             `json:"files"`
	Partitions        int               `json:"partitions"`
	ElapsedSeconds    float64           `json:"elapsedSeconds"`
	Problems          []json.RawMessage `json:"problems"`
}

type ctqRun struct {
	measure.Usage
	lake      string
	summary   ctqSummary
	lakeBytes int64 // Parquet bytes on disk under the partitions
	lakeFiles int
}

// runCtq ingests the archive into a fresh lake with the ctq binary.
func runCtq(ctx context.Context, bin, archiveDir, lake string) (*ctqRun, error) {
	if err := os.RemoveAll(lake); err != nil {
		return nil, fmt.Errorf("remove old lake: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, "ingest", archiveDir, "--lake", lake, "--json")
	u, out, err := measure.Run(cmd)
	if err != nil {
		return nil, fmt.Errorf("ctq ingest failed: %w", err)
	}
	r := &ctqRun{Usage: u, lake: lake}
	if err := json.Unmarshal(out, &r.summary); err != nil {
		return nil, fmt.Errorf("parse ctq ingest --json output: %w; output: %.500q", err, out)
	}
	r.lakeBytes, r.lakeFiles, err = parquetBytes(lake)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// parquetBytes sums the sizes of the .parquet files under dir, skipping
// ctq's metadata directory _ctq.
func parquetBytes(dir string) (n int64, files int, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "_ctq" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".parquet") {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
			files++
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("size of %s: %w", dir, err)
	}
	return n, files, nil
}

func (r *ctqRun) result(a archiveInfo) toolResult {
	t := newToolResult("ctq", r.Usage, r.summary.Events, a, r.lakeBytes)
	t.OutputFiles = r.lakeFiles
	t.ReportedBytesWritten = r.summary.BytesWritten
	t.ReportedElapsedSeconds = r.summary.ElapsedSeconds
	t.Threads = fmt.Sprintf("%d (default --workers = CPUs)", runtime.NumCPU())
	return t
}
