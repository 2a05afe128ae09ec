// Package gen generates deterministic, realistic CloudTrail archives: the
// gzip-compressed `{"Records":[...]}` log files an organization (or single
// account) trail delivers to S3, laid out under the same keys, plus optional
// CloudTrail-Insight and CloudTrail-Digest objects.
//
// The same Config always yields byte-identical objects in the same order,
// whatever the number of CPUs. Records cover many services and event names
// with a Zipf-like frequency, every userIdentity type, errors, console
// sign-ins, data and management events, nested request parameters, strings
// that need JSON escaping, duplicate deliveries and late deliveries that
// cross day boundaries.
package gen

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Config describes the archive to generate. Zero fields take defaults, see
// the field comments.
type Config struct {
	// Seed selects the archive; the same Config always gives the same bytes.
	Seed uint64
	// Events is the total number of records written to log files,
	// duplicates included. Insight records are not counted.
	Events int
	// OrgID is the organization id ("o-xxxxxxxxxx"). Empty selects the
	// single-account layout without the organization path element.
	OrgID string
	// Prefix is an optional key prefix before AWSLogs/, e.g. "trail".
	Prefix string
	// Accounts is the number of 12-digit accounts (default 1). Ids are
	// derived from Seed; the second account (the only one when there is
	// one) has a leading zero. See AccountIDs.
	Accounts int
	// AccountList, when not empty, names the accounts (12-digit ids) and
	// overrides Accounts.
	AccountList []string
	// Regions lists the regions (default us-east-1, eu-west-1,
	// ap-southeast-2). Global-service events (IAM, STS, sign-in,
	// Organizations) go to us-east-1, or to the first region when
	// us-east-1 is not listed.
	Regions []string
	// Start is the earliest event time (default 2025-03-14T00:00:00Z). It
	// is converted to UTC and truncated to the second.
	Start time.Time
	// Days is the number of days the events are spread over (default 1).
	// Deliveries, and late events, may fall after Start+Days.
	Days int
	// DuplicateRate is the fraction of records that re-deliver an earlier
	// record (same bytes, same eventID) in a later file of the same account
	// and region. 0 means the default 0.002; a negative value disables
	// duplicates.
	DuplicateRate float64
	// LateRate is the fraction of records delivered one to twelve hours
	// after their eventTime. 0 means the default 0.01; a negative value
	// disables late deliveries.
	LateRate float64
	// Insight also writes a few CloudTrail-Insight objects. Their records
	// are not API events and must not be ingested as such by default.
	Insight bool
	// Digest also writes hourly CloudTrail-Digest objects per account and
	// region. They list the log files with their SHA-256 like real digests
	// but carry a placeholder signature.
	Digest bool
	// DigestKey, when set with Digest, signs each digest as CloudTrail does
	// (SHA256withRSA over the documented string to sign) instead of writing
	// a placeholder signature; DigestKeyFingerprint is the fingerprint the
	// digests name. The signature goes into Object.Metadata["signature"].
	DigestKey            *rsa.PrivateKey
	DigestKeyFingerprint string
	// Bucket is the bucket name written into digests and trail events
	// (default "aws-cloudtrail-logs-ctq").
	Bucket string
	// Lineages is the number of credential lineage scenarios woven into
	// the archive (lineage.go): keys issued by AssumeRole and friends,
	// then used by later events, across accounts and through service
	// roles. Their records count towards Events, which must leave room
	// for them. 0 means none.
	Lineages int
}

// DefaultStart is the Start used when Config.Start is zero.
var DefaultStart = time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)

// DefaultRegions are the regions used when Config.Regions is empty.
var DefaultRegions = []string{"us-east-1", "eu-west-1", "ap-southeast-2"}

// DefaultConfig returns a small organization archive: 5000 events in
// 3 accounts and 3 regions over 2 days.
func DefaultConfig() Config {
	return Config{
		Seed:          1,
		Events:        5000,
		OrgID:         "o-a1b2c3d4e5",
		Accounts:      3,
		Regions:       slices.Clone(DefaultRegions),
		Start:         DefaultStart,
		Days:          2,
		DuplicateRate: 0.002,
		LateRate:      0.01,
	}
}

// AccountIDs returns the account ids the Config generates, in order.
func (c Config) AccountIDs() []string {
	if len(c.AccountList) > 0 {
		return slices.Clone(c.AccountList)
	}
	n := c.Accounts
	if n <= 0 {
		n = 1
	}
	return accountIDs(c.Seed, n)
}

func (c Config) normalize() (Config, error) {
	if c.Events < 0 {
		return c, fmt.Errorf("gen: negative Events %d", c.Events)
	}
	for _, a := range c.AccountList {
		if len(a) != 12 || strings.Trim(a, "0123456789") != "" {
			return c, fmt.Errorf("gen: account %q is not a 12-digit id", a)
		}
	}
	if len(c.AccountList) > 0 {
		c.AccountList = slices.Clone(c.AccountList)
		c.Accounts = len(c.AccountList)
	}
	if c.Accounts <= 0 {
		c.Accounts = 1
	}
	if c.Lineages < 0 {
		return c, fmt.Errorf("gen: negative Lineages %d", c.Lineages)
	}
	if c.Accounts > 1_000_000 {
		return c, fmt.Errorf("gen: too many accounts %d", c.Accounts)
	}
	if len(c.Regions) == 0 {
		c.Regions = DefaultRegions
	}
	c.Regions = slices.Clone(c.Regions)
	for _, r := range c.Regions {
		if r == "" || strings.ContainsAny(r, "/_ ") {
			return c, fmt.Errorf("gen: invalid region %q", r)
		}
	}
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	c.Start = c.Start.UTC().Truncate(time.Second)
	if c.Days <= 0 {
		c.Days = 1
	}
	switch {
	case c.DuplicateRate == 0:
		c.DuplicateRate = 0.002
	case c.DuplicateRate < 0:
		c.DuplicateRate = 0
	case c.DuplicateRate > 0.5:
		return c, fmt.Errorf("gen: DuplicateRate %v above 0.5", c.DuplicateRate)
	}
	switch {
	case c.LateRate == 0:
		c.LateRate = 0.01
	case c.LateRate < 0:
		c.LateRate = 0
	case c.LateRate > 1:
		return c, fmt.Errorf("gen: LateRate %v above 1", c.LateRate)
	}
	c.Prefix = strings.Trim(c.Prefix, "/")
	for _, part := range strings.Split(c.Prefix, "/") {
		if part == "." || part == ".." || strings.ContainsAny(part, "\\\x00") {
			return c, fmt.Errorf("gen: invalid Prefix %q: it becomes part of object keys and paths", c.Prefix)
		}
	}
	if strings.ContainsAny(c.OrgID, "/ .\\") {
		return c, fmt.Errorf("gen: invalid OrgID %q", c.OrgID)
	}
	if c.Bucket == "" {
		c.Bucket = "aws-cloudtrail-logs-ctq"
	}
	return c, nil
}

// Kind tells what an Object is.
type Kind uint8

const (
	// KindLog is a CloudTrail log file holding API events.
	KindLog Kind = iota
	// KindInsight is a CloudTrail-Insight file (not API events).
	KindInsight
	// KindDigest is a CloudTrail-Digest file (not events).
	KindDigest
)

// String returns "log", "insight" or "digest".
func (k Kind) String() string {
	switch k {
	case KindLog:
		return "log"
	case KindInsight:
		return "insight"
	case KindDigest:
		return "digest"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Object is one generated S3 object.
type Object struct {
	Key  string // S3 key, e.g. AWSLogs/o-.../123456789012/CloudTrail/us-east-1/2025/03/14/...json.gz
	Data []byte // gzip-compressed JSON; owned by the receiver
	// Events is the number of CloudTrail event records in a log file; it
	// is 0 for Insight and Digest objects.
	Events    int
	Kind      Kind
	Delivered time.Time // delivery time (the time in the file name)
	// Metadata is the object's S3 user metadata (x-amz-meta-*, without the
	// prefix): a signed digest's "signature" and "signature-algorithm".
	Metadata map[string]string
}

// Stats summarizes a generated archive.
type Stats struct {
	Objects    int   // objects emitted, of every kind
	Events     int   // records in log files, duplicates included
	Duplicates int   // records that re-deliver an earlier record
	Late       int   // original records delivered an hour or more after their eventTime
	RawBytes   int64 // uncompressed JSON bytes of all objects
	GzipBytes  int64 // compressed bytes of all objects
	// LogObjects, InsightObjects and DigestObjects count objects by kind.
	LogObjects, InsightObjects, DigestObjects int
	// LogRawBytes is the uncompressed size of the log files alone.
	LogRawBytes int64
	Start, End  time.Time // earliest and latest eventTime in log files
}

type slot struct {
	seq   uint64
	t     int64
	flags uint8
}

type job struct {
	idx     int
	kind    Kind
	key     string
	acct    int
	region  int
	wStart  int64
	deliver int64
	slots   []slot
	pre     []linRec // rendered lineage records (lineage.go); a job has slots or pre
	ins     insightJob

	data       []byte
	raw        int
	sha        [32]byte
	minT, maxT int64
	dups, late int
}

// Generate produces the archive's objects and calls emit for each, from a
// single goroutine and in a deterministic order. Records are built and
// compressed in parallel. Generation stops at the first error from emit or
// when ctx is done, and that error is returned.
func Generate(ctx context.Context, cfg Config, emit func(Object) error) (Stats, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return Stats{}, err
	}
	m := newModel(cfg)
	m.lineages = m.planLineages()
	if n := lineageEvents(m.lineages); n > cfg.Events {
		return Stats{}, fmt.Errorf("gen: Events %d leaves no room for the %d records of %d lineages", cfg.Events, n, cfg.Lineages)
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	nw := max(1, runtime.GOMAXPROCS(0))
	window := 32 * nw
	tokens := make(chan struct{}, window)
	jobs := make(chan *job, window)
	results := make(chan *job, window)

	go func() {
		defer close(jobs)
		m.plan(func(j *job) bool {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return false
			}
			select {
			case jobs <- j:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	var wg sync.WaitGroup
	for range nw {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker(m)
			for j := range jobs {
				if ctx.Err() == nil {
					w.run(j)
				}
				results <- j // never blocks: at most window jobs are in flight
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	var st Stats
	var dg *digester
	if cfg.Digest {
		dg = newDigester(m)
	}
	minT, maxT := int64(math.MaxInt64), int64(math.MinInt64)
	out := func(o Object, raw int) error {
		st.Objects++
		st.RawBytes += int64(raw)
		st.GzipBytes += int64(len(o.Data))
		switch o.Kind {
		case KindLog:
			st.LogObjects++
			st.LogRawBytes += int64(raw)
		case KindInsight:
			st.InsightObjects++
		case KindDigest:
			st.DigestObjects++
		}
		return emit(o)
	}
	emitJob := func(j *job) error {
		o := Object{Key: j.key, Data: j.data, Kind: j.kind, Delivered: time.Unix(j.deliver, 0).UTC()}
		if j.kind == KindLog {
			o.Events = len(j.slots) + len(j.pre)
			st.Events += o.Events
			st.Duplicates += j.dups
			st.Late += j.late
			minT, maxT = min(minT, j.minT), max(maxT, j.maxT)
		}
		if err := out(o, j.raw); err != nil {
			return err
		}
		if dg != nil && j.kind == KindLog {
			dg.add(j)
			return dg.flush(j.wStart+minDeliveryDelay, out)
		}
		return nil
	}

	pending := make(map[int]*job)
	next := 0
	var firstErr error
	for j := range results {
		if firstErr != nil {
			continue
		}
		pending[j.idx] = j
		for {
			p, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-tokens
			if ctx.Err() != nil {
				firstErr = ctx.Err()
				break
			}
			if err := emitJob(p); err != nil {
				firstErr = err
				cancel()
				break
			}
		}
	}
	if firstErr == nil && parent.Err() != nil {
		firstErr = parent.Err()
	}
	if firstErr == nil && dg != nil {
		firstErr = dg.finish(out)
	}
	if st.Events > 0 {
		st.Start, st.End = time.Unix(minT, 0).UTC(), time.Unix(maxT, 0).UTC()
	}
	if firstErr != nil {
		if errors.Is(firstErr, context.Canceled) && parent.Err() != nil {
			firstErr = parent.Err()
		}
		return st, firstErr
	}
	return st, nil
}

// WriteDir generates the archive under dir, using each key as a path
// relative to dir. Files get their delivery time as modification time.
func WriteDir(ctx context.Context, cfg Config, dir string) (Stats, error) {
	made := make(map[string]bool)
	return Generate(ctx, cfg, func(o Object) error {
		p := filepath.Join(dir, filepath.FromSlash(o.Key))
		d := filepath.Dir(p)
		if !made[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
			made[d] = true
		}
		if err := os.WriteFile(p, o.Data, 0o644); err != nil {
			return err
		}
		if sig := o.Metadata["signature"]; sig != "" {
			// A local copy keeps a digest's signature in a sidecar file.
			if err := os.WriteFile(p+".signature", []byte(sig+"\n"), 0o644); err != nil {
				return err
			}
		}
		return os.Chtimes(p, o.Delivered, o.Delivered)
	})
}

// worker builds and compresses jobs.
type worker struct {
	m   *model
	r   *rec
	raw []byte
	buf bytes.Buffer
	zw  *gzip.Writer
}

func newWorker(m *model) *worker {
	w := &worker{m: m, r: newRec(m)}
	w.zw, _ = gzip.NewWriterLevel(&w.buf, gzip.BestSpeed)
	return w
}

func (w *worker) run(j *job) {
	switch j.kind {
	case KindLog:
		w.raw = w.buildLog(j, w.raw[:0])
	case KindInsight:
		w.raw = w.buildInsight(j, w.raw[:0])
	}
	j.raw = len(w.raw)
	if w.m.cfg.Digest && j.kind == KindLog {
		j.sha = sha256Sum(w.raw)
	}
	j.data = w.compress(w.raw)
}

func (w *worker) compress(raw []byte) []byte {
	w.buf.Reset()
	w.buf.Grow(len(raw)/5 + 64)
	w.zw.Reset(&w.buf)
	w.zw.Write(raw) // writes to a bytes.Buffer cannot fail
	w.zw.Close()
	return bytes.Clone(w.buf.Bytes())
}

func (w *worker) buildLog(j *job, b []byte) []byte {
	r := w.r
	r.a = w.m.accounts[j.acct]
	r.region = w.m.regions[j.region]
	r.regIdx = j.region
	r.b = append(b, `{"Records":[`...)
	j.minT, j.maxT = math.MaxInt64, math.MinInt64
	for i, p := range j.pre {
		if i > 0 {
			r.b = append(r.b, ',')
		}
		r.b = append(r.b, p.raw...)
		j.minT, j.maxT = min(j.minT, p.t), max(j.maxT, p.t)
	}
	for i, s := range j.slots {
		if i > 0 || len(j.pre) > 0 {
			r.b = append(r.b, ',')
		}
		r.build(s.seq, s.t, s.flags)
		j.minT, j.maxT = min(j.minT, s.t), max(j.maxT, s.t)
		if s.flags&flagDup != 0 {
			j.dups++
		} else if s.flags&flagLate != 0 {
			j.late++
		}
	}
	r.b = append(r.b, "]}"...)
	return r.b
}

// Records decompresses a log or insight object and returns its records,
// each the raw JSON text of one record.
func (o Object) Records() ([]json.RawMessage, error) {
	if o.Kind == KindDigest {
		return nil, fmt.Errorf("gen: %s is a digest, not a log file", o.Key)
	}
	zr, err := gzip.NewReader(bytes.NewReader(o.Data))
	if err != nil {
		return nil, fmt.Errorf("gen: %s: %w", o.Key, err)
	}
	var doc struct{ Records []json.RawMessage }
	if err := json.NewDecoder(zr).Decode(&doc); err != nil {
		return nil, fmt.Errorf("gen: %s: %w", o.Key, err)
	}
	return doc.Records, nil
}
