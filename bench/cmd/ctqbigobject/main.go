// Command ctqbigobject measures ctq ingest on an archive made of one very
// large log object: every record of a generated archive (one account, one
// region) in a single {"Records":[...]} object. It ingests that archive
// with the default batch budget, where the object spills to staged files
// in the middle, and with a budget so large that it never spills, and
// records wall time, CPU and peak RSS of each, checking that every record
// lands in the lake exactly once.
//
//	cd bench && go run ./cmd/ctqbigobject -events 200000
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/ctq-dev/ctq/bench/internal/measure"
	"github.com/ctq-dev/ctq/pkg/gen"
)

type options struct {
	events int
	runs   int
	work   string
	out    string
	smoke  bool
}

func main() {
	measure.Main()
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ctqbigobject: FAIL:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "ctqbigobject: "+format+"\n", args...) }

// variant is one way of ingesting the archive.
type variant struct {
	Name   string   `json:"name"`
	Flags  []string `json:"flags"`
	Runs   []figure `json:"runs"`
	Events int64    `json:"events"` // records in the lake after each run (all equal)
}

type figure struct {
	WallSeconds float64 `json:"wallSeconds"`
	CPUSeconds  float64 `json:"cpuSeconds"`
	PeakRSSMiB  float64 `json:"peakRSSMiB"`
	Files       int64   `json:"files"`
}

type report struct {
	Started   string     `json:"started"`
	Machine   string     `json:"machine"`
	Command   string     `json:"command"`
	Events    int        `json:"events"`
	JSONBytes int64      `json:"jsonBytes"`
	GzipBytes int64      `json:"gzipBytes"`
	Variants  []*variant `json:"variants"`
}

func run(ctx context.Context, args []string) (err error) {
	var o options
	fs := flag.NewFlagSet("ctqbigobject", flag.ContinueOnError)
	fs.IntVar(&o.events, "events", 200000, "records in the one log object")
	fs.IntVar(&o.runs, "runs", 2, "measured runs per variant")
	fs.StringVar(&o.work, "work", "", "work directory (default: a new temporary directory, removed after a passing run)")
	fs.StringVar(&o.out, "out", "", "results directory (default <repo>/bench/results/bigobject; -smoke: <work>/results)")
	fs.BoolVar(&o.smoke, "smoke", false, "a small object and a 1 MiB batch budget, one run: for CI")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.smoke {
		o.events, o.runs = 20000, 1
	}
	root, err := measure.RepoRoot()
	if err != nil {
		return err
	}
	var tw *measure.TempWork
	o.work, tw, err = measure.WorkDir(o.work, "", o.smoke, "ctqbigobject-")
	if err != nil {
		return err
	}
	defer func() { err = tw.Finish(err, logf) }()
	if o.out == "" {
		o.out = filepath.Join(root, "bench", "results", "bigobject")
		if o.smoke {
			o.out = filepath.Join(o.work, "results")
		}
	}
	for _, d := range []string{o.work, o.out} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	rep := &report{Started: time.Now().UTC().Format(time.RFC3339), Machine: measure.DescribeMachine().String(),
		Command: "ctqbigobject " + measure.ShellJoin(args), Events: o.events}
	ctq, err := measure.BuildCtq(ctx, root, o.work)
	if err != nil {
		return err
	}
	archive := filepath.Join(o.work, "archive")
	if rep.JSONBytes, rep.GzipBytes, err = writeBigObject(ctx, archive, o.events); err != nil {
		return err
	}
	logf("one object of %d records: %.1f MB of JSON, %.1f MB gzip", o.events, float64(rep.JSONBytes)/1e6, float64(rep.GzipBytes)/1e6)

	spillBudget := "" // the default budget: the object spills
	if o.smoke {
		spillBudget = strconv.Itoa(1 << 20)
	}
	rep.Variants = []*variant{
		{Name: "spilling (default budget)", Flags: budgetFlags(spillBudget)},
		{Name: "no spill (1 GiB budget)", Flags: budgetFlags(strconv.Itoa(1 << 30))},
	}
	for r := 0; r < o.runs; r++ {
		for _, v := range rep.Variants {
			lake := filepath.Join(o.work, "lake")
			if err := os.RemoveAll(lake); err != nil {
				return err
			}
			args := append([]string{"ingest", archive, "--lake", lake, "--json"}, v.Flags...)
			use, out, err := measure.Run(exec.CommandContext(ctx, ctq, args...))
			if err != nil {
				return err
			}
			var sum struct {
				Events int64 `json:"events"`
				Files  int64 `json:"files"`
			}
			if err := json.Unmarshal(out, &sum); err != nil {
				return fmt.Errorf("ctq ingest --json: %w", err)
			}
			count, err := lakeCount(ctx, ctq, lake)
			if err != nil {
				return err
			}
			if sum.Events != int64(o.events) || count != int64(o.events) {
				return fmt.Errorf("%s: ingest reported %d events and the lake holds %d, want %d", v.Name, sum.Events, count, o.events)
			}
			v.Events = count
			v.Runs = append(v.Runs, figure{WallSeconds: use.Wall.Seconds(), CPUSeconds: use.CPU().Seconds(), PeakRSSMiB: use.PeakRSSMiB, Files: sum.Files})
			logf("%s: %.2fs wall, %.2fs cpu, %.0f MiB peak RSS, %d files", v.Name, use.Wall.Seconds(), use.CPU().Seconds(), use.PeakRSSMiB, sum.Files)
		}
	}
	if spill := rep.Variants[0]; spill.Runs[0].Files < 2 {
		return fmt.Errorf("the object did not spill: %d file(s) for its one partition", spill.Runs[0].Files)
	}
	data, _ := json.MarshalIndent(rep, "", "  ")
	if err := measure.WriteRedacted(filepath.Join(o.out, "bigobject.json"), append(data, '\n'), o.work); err != nil {
		return err
	}
	if err := measure.WriteRedacted(filepath.Join(o.out, "bigobject.md"), []byte(rep.markdown()), o.work); err != nil {
		return err
	}
	logf("PASS: every record in the lake exactly once in every run; wrote %s", filepath.Join(o.out, "bigobject.md"))
	return nil
}

func budgetFlags(bytes string) []string {
	if bytes == "" {
		return nil
	}
	return []string{"--memory-per-worker", bytes}
}

// writeBigObject generates an archive of one account and region and writes
// all of its records into one log object under dir, returning the JSON and
// gzip sizes.
func writeBigObject(ctx context.Context, dir string, events int) (int64, int64, error) {
	cfg := gen.DefaultConfig()
	cfg.Seed, cfg.Events, cfg.Accounts, cfg.Days, cfg.Regions = 11, events, 1, 1, []string{"us-east-1"}
	cfg.OrgID, cfg.Digest, cfg.Insight = "", false, false
	var (
		buf     bytes.Buffer
		zw      = gzip.NewWriter(&buf)
		key     string
		n       int
		jsonLen int64
	)
	write := func(b []byte) {
		zw.Write(b)
		jsonLen += int64(len(b))
	}
	write([]byte(`{"Records":[`))
	_, err := gen.Generate(ctx, cfg, func(obj gen.Object) error {
		if obj.Kind != gen.KindLog {
			return nil
		}
		if key == "" {
			key = obj.Key[:strings.LastIndex(obj.Key, "/")+1] + "big-object.json.gz"
		}
		zr, err := gzip.NewReader(bytes.NewReader(obj.Data))
		if err != nil {
			return err
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			return err
		}
		var doc struct{ Records []json.RawMessage }
		if err := json.Unmarshal(raw, &doc); err != nil {
			return fmt.Errorf("%s: %w", obj.Key, err)
		}
		for _, r := range doc.Records {
			if n > 0 {
				write([]byte{','})
			}
			write(r)
			n++
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	write([]byte(`]}`))
	if err := zw.Close(); err != nil {
		return 0, 0, err
	}
	if n != events {
		return 0, 0, fmt.Errorf("generated %d records, want %d", n, events)
	}
	p := filepath.Join(dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return 0, 0, err
	}
	return jsonLen, int64(buf.Len()), os.WriteFile(p, buf.Bytes(), 0o644)
}

// lakeCount counts the lake's records with ctq itself.
func lakeCount(ctx context.Context, ctq, lake string) (int64, error) {
	out, err := exec.CommandContext(ctx, ctq, "query", "", "--lake", lake, "--count").Output()
	if err != nil {
		return 0, fmt.Errorf("ctq query --count: %w", err)
	}
	return strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
}

func (r *report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# ctq ingest of one very large log object\n\n")
	fmt.Fprintf(&b, "Command: `%s` (from `bench/`, `go run ./cmd/ctqbigobject`)  \nStarted: %s  \nMachine: %s\n\n", r.Command, r.Started, r.Machine)
	fmt.Fprintf(&b, "Archive: one log object holding all %d records of a generated archive (pkg/gen, seed 11, one account, one region): %.1f MB of JSON, %.1f MB gzip. ", r.Events, float64(r.JSONBytes)/1e6, float64(r.GzipBytes)/1e6)
	b.WriteString("Each run is `ctq ingest ARCHIVE --lake LAKE --json` into a fresh lake, measured as a child process (wall, user+sys CPU, ru_maxrss); every run's lake held every record exactly once (`ctq query '' --count`).\n\n")
	b.WriteString("| variant | flags | wall s | CPU s | peak RSS MiB | files |\n|---|---|--:|--:|--:|--:|\n")
	for _, v := range r.Variants {
		for i, f := range v.Runs {
			name := v.Name
			if i > 0 {
				name = ""
			}
			flags := "(none)"
			if len(v.Flags) > 0 {
				flags = "`" + strings.Join(v.Flags, " ") + "`"
			}
			fmt.Fprintf(&b, "| %s | %s | %.2f | %.2f | %.0f | %d |\n", name, flags, f.WallSeconds, f.CPUSeconds, f.PeakRSSMiB, f.Files)
		}
	}
	b.WriteString("\nWith the default budget the worker writes its batches in the middle of the object whenever they pass 1.5x the budget and commits those files only once the object has been read to the end, so memory does not grow with the object. With a 1 GiB budget nothing spills and the whole object's records stay in memory until its end.\n")
	return b.String()
}
