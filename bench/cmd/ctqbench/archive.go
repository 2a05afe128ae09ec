package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/ctq-dev/ctq/pkg/gen"
)

const smokeEvents = 5000

// paramsVersion changes when the harness generates archives differently,
// so an old archive in the work dir is not reused by mistake.
const paramsVersion = 1

// archiveParams identifies a generated archive; it is stored beside the
// archive and compared before reuse.
type archiveParams struct {
	Version  int      `json:"version"`
	Seed     uint64   `json:"seed"`
	Events   int      `json:"events"`
	OrgID    string   `json:"orgId"`
	Accounts int      `json:"accounts"`
	Regions  []string `json:"regions"`
	Days     int      `json:"days"`
	Start    string   `json:"start"`
}

// archiveInfo describes the archive in the report.
type archiveInfo struct {
	archiveParams
	Dir             string  `json:"dir"`
	Objects         int     `json:"objects"`
	Duplicates      int     `json:"duplicates"`
	RawJSONBytes    int64   `json:"rawJsonBytes"`
	GzipBytes       int64   `json:"gzipBytes"`
	Reused          bool    `json:"reused"`
	GenerateSeconds float64 `json:"generateSeconds,omitempty"`
}

type archive struct {
	dir  string
	cfg  gen.Config
	info archiveInfo
}

// archiveConfig is the org archive the harness generates for n events:
// 20 accounts, 4 regions and 7 days for large runs, fewer for small ones.
// days > 0 overrides the number of days (the scale runs grow the archive
// in time, at a constant density per day, as a real trail grows).
func archiveConfig(n, days int) gen.Config {
	c := gen.DefaultConfig()
	c.Seed = 20250314
	c.Events = n
	c.Accounts, c.Days = 20, 7
	c.Regions = []string{"us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"}
	if n < 100_000 {
		c.Accounts, c.Days = 4, 2
		c.Regions = c.Regions[:2]
	}
	if days > 0 {
		c.Days = days
	}
	return c
}

func paramsOf(c gen.Config) archiveParams {
	return archiveParams{
		Version: paramsVersion, Seed: c.Seed, Events: c.Events, OrgID: c.OrgID,
		Accounts: c.Accounts, Regions: c.Regions, Days: c.Days, Start: c.Start.Format(time.DateOnly),
	}
}

// prepareArchive returns the archive for cfg under work, generating it
// unless a complete one with the same parameters is already there.
func prepareArchive(ctx context.Context, work string, cfg gen.Config) (*archive, error) {
	p := paramsOf(cfg)
	name := fmt.Sprintf("archive-%d-events", cfg.Events)
	a := &archive{dir: filepath.Join(work, name), cfg: cfg}
	paramsFile := filepath.Join(work, name+".params.json")

	if b, err := os.ReadFile(paramsFile); err == nil {
		var old archiveInfo
		if json.Unmarshal(b, &old) == nil && sameParams(old.archiveParams, p) {
			if _, err := os.Stat(a.dir); err == nil {
				old.Reused, old.GenerateSeconds, old.Dir = true, 0, a.dir
				a.info = old
				return a, nil
			}
		}
	}
	// Anything left is stale or incomplete: start over.
	if err := os.Remove(paramsFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("remove stale params file: %w", err)
	}
	if err := os.RemoveAll(a.dir); err != nil {
		return nil, fmt.Errorf("remove stale archive: %w", err)
	}
	logf("generating %d events into %s", cfg.Events, a.dir)
	t0 := time.Now()
	st, err := gen.WriteDir(ctx, cfg, a.dir)
	if err != nil {
		return nil, fmt.Errorf("generate archive: %w", err)
	}
	a.info = archiveInfo{
		archiveParams: p, Dir: a.dir, Objects: st.Objects, Duplicates: st.Duplicates,
		RawJSONBytes: st.RawBytes, GzipBytes: st.GzipBytes, GenerateSeconds: time.Since(t0).Seconds(),
	}
	b, err := json.MarshalIndent(a.info, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode archive params: %w", err)
	}
	// Written last: its presence marks a complete archive.
	if err := os.WriteFile(paramsFile, b, 0o644); err != nil {
		return nil, fmt.Errorf("write archive params: %w", err)
	}
	return a, nil
}

func sameParams(a, b archiveParams) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// reference holds counts computed by streaming the source archive in Go,
// independently of ctq and DuckDB.
type reference struct {
	objects   int
	events    int
	eventIDs  int            // distinct eventID values
	byName    map[string]int // eventName -> records
	byAccount map[string]int // account (from the object key) -> records
}

// scanArchive gunzips and decodes every log object under dir/AWSLogs, in
// parallel, and counts records by eventName and account.
func scanArchive(ctx context.Context, dir string) (*reference, error) {
	var files []string
	err := filepath.WalkDir(filepath.Join(dir, "AWSLogs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json.gz") && strings.Contains(filepath.ToSlash(p), "/CloudTrail/") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list archive: %w", err)
	}

	type part struct {
		events    int
		ids       map[string]struct{}
		byName    map[string]int
		byAccount map[string]int
	}
	n := runtime.GOMAXPROCS(0)
	parts := make([]part, n)
	errs := make([]error, n)
	next := make(chan string)
	var wg sync.WaitGroup
	for i := range n {
		parts[i] = part{ids: map[string]struct{}{}, byName: map[string]int{}, byAccount: map[string]int{}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				if errs[i] != nil || ctx.Err() != nil {
					continue
				}
				acct, err := accountOfKey(dir, f)
				if err != nil {
					errs[i] = err
					continue
				}
				errs[i] = readLog(f, func(id, name string) {
					p := &parts[i]
					p.events++
					p.ids[id] = struct{}{}
					p.byName[name]++
					p.byAccount[acct]++
				})
			}
		}()
	}
	for _, f := range files {
		next <- f
	}
	close(next)
	wg.Wait()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return nil, fmt.Errorf("scan archive: %w", err)
	}

	ref := &reference{objects: len(files), byName: map[string]int{}, byAccount: map[string]int{}}
	ids := parts[0].ids
	for i, p := range parts {
		ref.events += p.events
		for k, v := range p.byName {
			ref.byName[k] += v
		}
		for k, v := range p.byAccount {
			ref.byAccount[k] += v
		}
		if i > 0 {
			for id := range p.ids {
				ids[id] = struct{}{}
			}
		}
	}
	ref.eventIDs = len(ids)
	return ref, nil
}

// accountOfKey returns the account element of a key
// AWSLogs/[o-org/]ACCOUNT/CloudTrail/....
func accountOfKey(dir, file string) (string, error) {
	rel, err := filepath.Rel(dir, file)
	if err != nil {
		return "", fmt.Errorf("key of %s: %w", file, err)
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	for i := 1; i+1 < len(parts); i++ {
		if parts[i+1] == "CloudTrail" {
			return parts[i], nil
		}
	}
	return "", fmt.Errorf("key %s: no account element", rel)
}

type logRecord struct {
	EventID   string `json:"eventID"`
	EventName string `json:"eventName"`
}

func readLog(file string, each func(id, name string)) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("open %s: %w", file, err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return fmt.Errorf("gunzip %s: %w", file, err)
	}
	var doc struct {
		Records []logRecord `json:"Records"`
	}
	if err := json.NewDecoder(zr).Decode(&doc); err != nil {
		return fmt.Errorf("decode %s: %w", file, err)
	}
	for _, r := range doc.Records {
		each(r.EventID, r.EventName)
	}
	return nil
}
