package integrity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"

	"github.com/ctq-dev/ctq/pkg/layout"
	"github.com/ctq-dev/ctq/pkg/objstore"
)

// Config configures a validation.
type Config struct {
	// Source is the trail bucket (or a local copy), rooted where the user
	// pointed: at the bucket root or at a prefix above AWSLogs/.
	Source objstore.Bucket
	// Bucket and Prefix are the S3 bucket name and key prefix Source is
	// rooted at. Every digest must name exactly the bucket and key it was
	// read from. An empty Bucket means a local copy: the bucket name is not
	// known and only object keys are checked, relative to the copy's root.
	Bucket, Prefix string
	// Keys finds the public keys digests were signed with.
	Keys KeySource

	// Since and Until are the event-time window (Since <= eventTime <
	// Until; zero is unbounded). The log files checked are those that can
	// hold its events: delivered in [Since, Until + MaxDeliveryDelay), as
	// ingest selects them. Digests are read up to digestLag past that end,
	// since a file is covered by the digest after it.
	Since, Until time.Time
	// MaxDeliveryDelay is how long after an event its log file may be
	// delivered; 0 means layout.DefaultMaxDeliveryDelay, a negative value
	// none (the window then bounds delivery times).
	MaxDeliveryDelay time.Duration
	Accounts         []string // only these accounts (empty: all)
	Regions          []string // only these source regions (empty: all)

	// Logs, when not nil, replaces listing and reading log files: it maps
	// the layout keys of the log files to check to the hex SHA-256 of their
	// uncompressed bytes, computed earlier (ingest --verify). Log files
	// outside the map are neither read nor reported.
	Logs map[string]string

	// Concurrency bounds parallel object reads; 0 means 16.
	Concurrency int
}

// digestLag is how long after the end of a delivery window its digest may
// end: digests are hourly, so a file is listed in the digest ending at most
// an hour after its delivery; the rest is margin for late digests.
const digestLag = 2 * time.Hour

// maxDigestBytes bounds a digest's uncompressed size: real digests are a few
// hundred kilobytes at most.
const maxDigestBytes = 64 << 20

// Validate checks the digests and log files under cfg.Source and returns one
// verdict per digest, per log file and per chain gap. An error is returned
// only when the validation itself could not run (listing failed, context
// done); bad digests and files are verdicts.
func Validate(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Source == nil || cfg.Keys == nil {
		return nil, fmt.Errorf("integrity: no source or no public keys")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	v := &validator{cfg: cfg, rep: &Report{}}
	if err := v.list(ctx); err != nil {
		return nil, err
	}
	if err := v.loadDigests(ctx); err != nil {
		return nil, err
	}
	v.findMount()
	v.checkDigests(ctx)
	if err := v.checkLogs(ctx); err != nil {
		return nil, err
	}
	v.rep.sort()
	return v.rep, nil
}

type validator struct {
	cfg Config
	rep *Report

	digestKeys []listedDigest
	logKeys    []layout.Key      // listed log files (layout keys) with their source keys in logSrc
	logSrc     map[string]string // layout -> key in Source
	digests    []*loaded
	mount      string // what precedes a Source key in digestS3Object / s3Object
}

type listedDigest struct {
	key string
	dk  layout.DigestKey
}

// loaded is one digest read from the source.
type loaded struct {
	key   string
	dk    layout.DigestKey
	d     *Digest
	sha   [32]byte
	sig   string // from x-amz-meta-signature or the sidecar; "" if none
	item  Item
	moved bool
}

// list finds the digest and log keys in the window.
func (v *validator) list(ctx context.Context) error {
	roots, err := layout.FindRoots(ctx, v.prefixes)
	if err != nil {
		return err
	}
	if len(roots) == 0 {
		return fmt.Errorf("no AWSLogs/ prefix found in %s", v.cfg.Source)
	}
	var accounts []string
	for _, r := range roots {
		subs, err := v.prefixes(ctx, r)
		if err != nil {
			return err
		}
		for i := 0; i < len(subs); i++ {
			s := subs[i]
			name := layout.LastSegment(s)
			if strings.HasPrefix(name, "o-") && strings.Count(s[len(r):], "/") == 1 {
				accts, err := v.prefixes(ctx, s)
				if err != nil {
					return err
				}
				subs = append(subs, accts...)
				continue
			}
			if layout.ValidAccount(name) && (len(v.cfg.Accounts) == 0 || slices.Contains(v.cfg.Accounts, name)) {
				accounts = append(accounts, s)
			}
		}
	}
	var mu sync.Mutex
	logSrc := map[string]string{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(v.cfg.Concurrency)
	for _, a := range accounts {
		for _, kind := range []string{layout.KindDigest, layout.KindCloudTrail} {
			if kind == layout.KindCloudTrail && v.cfg.Logs != nil {
				continue
			}
			regions, err := v.prefixes(ctx, a+kind+"/")
			if err != nil {
				return err
			}
			for _, rp := range regions {
				region := layout.LastSegment(rp)
				if !layout.ValidRegion(region) || len(v.cfg.Regions) > 0 && !slices.Contains(v.cfg.Regions, region) {
					continue
				}
				for _, p := range v.dayPrefixes(rp, kind == layout.KindDigest) {
					g.Go(func() error {
						return v.cfg.Source.List(gctx, objstore.ListOptions{Prefix: p}, func(e objstore.Entry) error {
							if e.IsPrefix {
								return nil
							}
							mu.Lock()
							defer mu.Unlock()
							if kind == layout.KindDigest {
								if strings.HasSuffix(e.Key, SignatureSuffix) {
									return nil
								}
								dk, err := layout.ParseDigestKey(e.Key)
								if err != nil || !v.digestInWindow(dk.End) {
									return nil
								}
								v.digestKeys = append(v.digestKeys, listedDigest{key: e.Key, dk: dk})
								return nil
							}
							k, err := layout.ParseKey(e.Key)
							if err != nil || !strings.HasSuffix(k.File, ".json.gz") || !v.inWindow(k.Delivery) {
								return nil
							}
							v.logKeys = append(v.logKeys, k)
							logSrc[k.Layout] = e.Key
							return nil
						})
					})
				}
			}
		}
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("list %s: %w", v.cfg.Source, err)
	}
	if v.cfg.Logs != nil {
		for lk := range v.cfg.Logs {
			k, err := layout.ParseKey(lk)
			if err != nil || !v.wantKey(k.Account, k.Region) {
				continue
			}
			v.logKeys = append(v.logKeys, k)
		}
	}
	v.logSrc = logSrc
	sort.Slice(v.digestKeys, func(i, j int) bool { return v.digestKeys[i].key < v.digestKeys[j].key })
	sort.Slice(v.logKeys, func(i, j int) bool { return v.logKeys[i].Layout < v.logKeys[j].Layout })
	return nil
}

func (v *validator) wantKey(account, region string) bool {
	return (len(v.cfg.Accounts) == 0 || slices.Contains(v.cfg.Accounts, account)) &&
		(len(v.cfg.Regions) == 0 || slices.Contains(v.cfg.Regions, region))
}

// deliveryUntil returns the end of the delivery window: Until plus the
// maximum delivery delay (zero if Until is).
func (v *validator) deliveryUntil() time.Time {
	d := v.cfg.MaxDeliveryDelay
	switch {
	case v.cfg.Until.IsZero():
		return time.Time{}
	case d == 0:
		d = layout.DefaultMaxDeliveryDelay
	case d < 0:
		d = 0
	}
	return v.cfg.Until.Add(d)
}

// inWindow reports whether a log file delivered at t can hold events of the
// window: Since <= t < Until + the maximum delivery delay.
func (v *validator) inWindow(t time.Time) bool {
	until := v.deliveryUntil()
	return (v.cfg.Since.IsZero() || !t.Before(v.cfg.Since)) && (until.IsZero() || t.Before(until))
}

// digestInWindow selects the digests that can cover deliveries in the
// delivery window: those ending after Since and at most digestLag after its
// end.
func (v *validator) digestInWindow(end time.Time) bool {
	until := v.deliveryUntil()
	return (v.cfg.Since.IsZero() || end.After(v.cfg.Since)) && (until.IsZero() || !end.After(until.Add(digestLag)))
}

// maxDayPrefixes is the longest window listed day by day; a longer one is
// listed whole per region (fewer requests than thousands of empty days).
const maxDayPrefixes = 400

// dayPrefixes returns the prefixes to list below a region prefix: one per
// day of the window, or the region prefix itself for an open window.
func (v *validator) dayPrefixes(regionPrefix string, digests bool) []string {
	if v.cfg.Since.IsZero() || v.cfg.Until.IsZero() {
		return []string{regionPrefix}
	}
	until := v.deliveryUntil()
	if digests {
		until = until.Add(digestLag)
	}
	first := v.cfg.Since.UTC().Truncate(24 * time.Hour)
	if until.Sub(first) > maxDayPrefixes*24*time.Hour {
		return []string{regionPrefix}
	}
	var out []string
	for d := first; d.Before(until); d = d.AddDate(0, 0, 1) {
		out = append(out, regionPrefix+d.Format("2006/01/02/"))
	}
	return out
}

func (v *validator) prefixes(ctx context.Context, p string) ([]string, error) {
	return objstore.ListPrefixes(ctx, v.cfg.Source, p)
}

// loadDigests reads, hashes and parses every listed digest.
func (v *validator) loadDigests(ctx context.Context) error {
	v.digests = make([]*loaded, len(v.digestKeys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(v.cfg.Concurrency)
	for i, ld := range v.digestKeys {
		g.Go(func() error {
			v.digests[i] = v.loadDigest(gctx, ld)
			return gctx.Err()
		})
	}
	return g.Wait()
}

func (v *validator) loadDigest(ctx context.Context, ld listedDigest) *loaded {
	l := &loaded{key: ld.key, dk: ld.dk}
	l.item = Item{Kind: KindDigest, Key: ld.key, Layout: ld.dk.Layout, Account: ld.dk.Account, Region: ld.dk.Region, End: ld.dk.End, Start: ld.dk.End.Add(-time.Hour)}
	raw, info, err := readObject(ctx, v.cfg.Source, ld.key, maxDigestBytes)
	if err != nil {
		l.item.Status, l.item.Detail = readFailure(err)
		return l
	}
	l.sha = sha256.Sum256(raw)
	l.item.SHA256 = hex.EncodeToString(l.sha[:])
	d, err := ParseDigest(raw)
	if err != nil {
		l.item.Status, l.item.Detail = InvalidFormat, "digest: "+err.Error()
		return l
	}
	l.d = d
	l.item.Start, l.item.End = d.Start, d.End
	l.sig = strings.TrimSpace(info.Metadata[MetaSignature])
	if l.sig == "" {
		if b, _, err := readObject(ctx, v.cfg.Source, ld.key+SignatureSuffix, 4<<10); err == nil {
			l.sig = strings.TrimSpace(string(b))
		}
	}
	return l
}

// errFormat marks content that is not a gzip (or plain) JSON object.
var errFormat = errors.New("invalid format")

// readObject reads an object and returns its uncompressed bytes (gzip is
// detected by its magic number), at most limit of them.
func readObject(ctx context.Context, b objstore.Bucket, key string, limit int64) ([]byte, objstore.ObjectInfo, error) {
	rc, info, err := b.Open(ctx, key)
	if err != nil {
		return nil, info, err
	}
	defer rc.Close()
	var sum [32]byte
	data, err := readUncompressed(rc, limit, &sum, true)
	return data, info, err
}

// readUncompressed reads r, gunzipping it when it starts with the gzip magic
// number. It hashes the uncompressed bytes into sum and returns them when
// keep is set (at most limit bytes).
func readUncompressed(r io.Reader, limit int64, sum *[32]byte, keep bool) ([]byte, error) {
	br := newPeekReader(r)
	head, err := br.peek2()
	if err != nil {
		return nil, err
	}
	var src io.Reader = br
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %v: %w", err, errFormat)
		}
		defer zr.Close()
		src = zr
	}
	h := sha256.New()
	var data []byte
	var w io.Writer = h
	var buf *limitedBuffer
	if keep {
		buf = &limitedBuffer{limit: limit}
		w = io.MultiWriter(h, buf)
	}
	if _, err := io.Copy(w, src); err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, fmt.Errorf("larger than %d bytes: %w", limit, errFormat)
		}
		if isGzipError(err) {
			return nil, fmt.Errorf("gzip: %v: %w", err, errFormat)
		}
		return nil, err
	}
	h.Sum(sum[:0])
	if buf != nil {
		data = buf.b
	}
	return data, nil
}

func isGzipError(err error) bool {
	return errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "flate")
}

var errTooLarge = errors.New("object too large")

type limitedBuffer struct {
	b     []byte
	limit int64
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if int64(len(l.b)+len(p)) > l.limit {
		return 0, errTooLarge
	}
	l.b = append(l.b, p...)
	return len(p), nil
}

// peekReader lets readUncompressed look at the first two bytes.
type peekReader struct {
	r    io.Reader
	head []byte
}

func newPeekReader(r io.Reader) *peekReader { return &peekReader{r: r} }

func (p *peekReader) peek2() ([]byte, error) {
	buf := make([]byte, 2)
	n, err := io.ReadFull(p.r, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	p.head = buf[:n]
	return p.head, nil
}

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		n := copy(b, p.head)
		p.head = p.head[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// readFailure turns a read error into a verdict.
func readFailure(err error) (Status, string) {
	switch {
	case errors.Is(err, objstore.ErrNotExist):
		return LogMissing, "not found"
	case errors.Is(err, errFormat):
		return InvalidFormat, err.Error()
	default:
		return Unreadable, err.Error()
	}
}

// findMount determines what precedes a Source key in the S3 object names
// digests record: the Prefix on S3; for a local copy, the most common
// difference between a digest's digestS3Object and the key it was read from.
func (v *validator) findMount() {
	if v.cfg.Bucket != "" {
		v.mount = ""
		if p := strings.Trim(v.cfg.Prefix, "/"); p != "" {
			v.mount = p + "/"
		}
		return
	}
	votes := map[string]int{}
	for _, l := range v.digests {
		if l.d == nil {
			continue
		}
		if m, ok := strings.CutSuffix(l.d.DigestS3Object, l.key); ok && (m == "" || strings.HasSuffix(m, "/")) {
			votes[m]++
		}
	}
	best, n := "", 0
	for m, c := range votes {
		if c > n || c == n && m < best {
			best, n = m, c
		}
	}
	v.mount = best
}

// sourceKey maps an S3 object name from a digest to a key in Source.
func (v *validator) sourceKey(bucket, object string) (string, error) {
	if v.cfg.Bucket != "" && bucket != v.cfg.Bucket {
		return "", fmt.Errorf("in bucket %q, not in the source bucket %q", bucket, v.cfg.Bucket)
	}
	k, ok := strings.CutPrefix(object, v.mount)
	if !ok || k == "" {
		return "", fmt.Errorf("object %q is outside the source %s", object, v.cfg.Source)
	}
	return k, nil
}

// checkDigests gives every loaded digest its verdict, walking each chain
// from the newest digest back: a digest's signature is the next digest's
// previousDigestSignature, or, for the newest, its own metadata.
func (v *validator) checkDigests(ctx context.Context) {
	// Location first: a moved digest never vouches for another.
	for _, l := range v.digests {
		if l.d == nil {
			continue
		}
		want := v.mount + l.key
		switch {
		case v.cfg.Bucket != "" && l.d.DigestS3Bucket != v.cfg.Bucket:
			l.moved = true
			l.item.Status, l.item.Detail = Moved, fmt.Sprintf("digest names bucket %q but was read from bucket %q", l.d.DigestS3Bucket, v.cfg.Bucket)
		case l.d.DigestS3Object != want:
			l.moved = true
			l.item.Status, l.item.Detail = Moved, fmt.Sprintf("digest names key %q but was read from %q (moved or copied from its original location)", l.d.DigestS3Object, want)
		}
	}
	// linker: the in-place digest naming each S3 object as its previous.
	linker := map[string]*loaded{}
	for _, l := range v.digests {
		if l.d == nil || l.moved || l.d.Starting() {
			continue
		}
		obj := *l.d.PreviousDigestS3Bucket + "/" + *l.d.PreviousDigestS3Object
		if cur, ok := linker[obj]; !ok || l.d.End.Before(cur.d.End) {
			linker[obj] = l
		}
	}
	for _, l := range v.digests {
		if l.d == nil || l.moved {
			continue
		}
		v.checkDigest(ctx, l, linker[l.d.DigestS3Bucket+"/"+l.d.DigestS3Object])
	}
	v.checkChains()
	for _, l := range v.digests {
		v.rep.Items = append(v.rep.Items, l.item)
	}
}

func (v *validator) checkDigest(ctx context.Context, l *loaded, next *loaded) {
	d := l.d
	key, err := v.cfg.Keys.PublicKey(ctx, l.dk.Region, d.DigestPublicKeyFingerprint, d.End)
	if errors.Is(err, ErrKeyNotFound) && l.dk.HomeRegion != l.dk.Region {
		key, err = v.cfg.Keys.PublicKey(ctx, l.dk.HomeRegion, d.DigestPublicKeyFingerprint, d.End)
	}
	if err != nil {
		status := KeyNotFound
		if !errors.Is(err, ErrKeyNotFound) {
			status = Unreadable
		}
		l.item.Status, l.item.Detail = status, err.Error()
		return
	}
	sig, from := l.sig, "x-amz-meta-signature"
	if next != nil {
		sig, from = *next.d.PreviousDigestSignature, "previousDigestSignature of "+next.key
	}
	if sig == "" {
		l.item.Status, l.item.Detail = SignatureMissing, "no x-amz-meta-signature metadata (or "+SignatureSuffix+" sidecar) and no newer digest names it as previous"
		return
	}
	if err := VerifySignature(key.Key, StringToSign(d, l.sha), sig); err != nil {
		l.item.Status, l.item.Detail = SignatureInvalid, fmt.Sprintf("%v (signature from %s, key %s)", err, from, key.Fingerprint)
		return
	}
	if next != nil && !strings.EqualFold(*next.d.PreviousDigestHashValue, l.item.SHA256) {
		l.item.Status, l.item.Detail = ChainMismatch, fmt.Sprintf("SHA-256 %s differs from previousDigestHashValue %s of %s", l.item.SHA256, *next.d.PreviousDigestHashValue, next.key)
		return
	}
	l.item.Status = Valid
}

// checkChains reports digests that newer digests name but that are gone,
// and gaps where a chain restarts.
func (v *validator) checkChains() {
	byObject := map[string]*loaded{}
	chains := map[string][]*loaded{}
	for _, l := range v.digests {
		if l.d == nil || l.moved {
			continue
		}
		byObject[l.d.DigestS3Bucket+"/"+l.d.DigestS3Object] = l
		chains[l.dk.Chain()] = append(chains[l.dk.Chain()], l)
	}
	for _, ch := range chains {
		sort.Slice(ch, func(i, j int) bool { return ch[i].d.End.Before(ch[j].d.End) })
		for i, l := range ch {
			var older *loaded
			if i > 0 {
				older = ch[i-1]
			}
			d := l.d
			if d.Starting() {
				if older != nil {
					v.rep.Items = append(v.rep.Items, Item{
						Kind: KindGap, Key: l.key, Layout: l.dk.Layout, Account: l.dk.Account, Region: l.dk.Region,
						Status: ChainGap, Start: older.d.End, End: d.Start,
						Detail: fmt.Sprintf("the chain restarts at this digest (validation or logging was stopped): no digest covers deliveries between %s and %s", older.d.DigestEndTime, d.DigestStartTime),
					})
				}
				continue
			}
			prevObj := *d.PreviousDigestS3Bucket + "/" + *d.PreviousDigestS3Object
			if _, ok := byObject[prevObj]; ok {
				continue
			}
			prevKey, err := v.sourceKey(*d.PreviousDigestS3Bucket, *d.PreviousDigestS3Object)
			var pk layout.DigestKey
			if err == nil {
				pk, err = layout.ParseDigestKey(prevKey)
			}
			if err != nil {
				v.rep.Items = append(v.rep.Items, Item{
					Kind: KindDigest, Key: *d.PreviousDigestS3Object, Account: l.dk.Account, Region: l.dk.Region,
					Status: DigestMissing, Start: d.Start.Add(-time.Hour), End: d.Start,
					Detail: fmt.Sprintf("previous digest of %s: %v", l.key, err),
				})
				continue
			}
			if !v.cfg.Since.IsZero() && !pk.End.After(v.cfg.Since) {
				continue // outside the window: not listed, not missing
			}
			start := pk.End.Add(-time.Hour)
			if older != nil && older.d.End.Before(start) {
				start = older.d.End
			}
			v.rep.Items = append(v.rep.Items, Item{
				Kind: KindDigest, Key: prevKey, Layout: pk.Layout, Account: pk.Account, Region: pk.Region,
				Status: DigestMissing, Start: start, End: d.Start,
				Detail: fmt.Sprintf("named as previous digest by %s but not found: files delivered between %s and %s are not covered", l.key, start.Format(time.RFC3339), d.DigestStartTime),
			})
		}
	}
}

// logRef is a log file referenced by a digest.
type logRef struct {
	key    string // in Source
	layout string
	want   string // hashValue
	digest *loaded
}

// checkLogs checks every referenced log file and reports unreferenced ones.
func (v *validator) checkLogs(ctx context.Context) error {
	refs := map[string]*logRef{} // by layout
	var bad []Item
	for _, l := range v.digests {
		if l.d == nil || l.moved {
			continue
		}
		for _, f := range l.d.LogFiles {
			key, err := v.sourceKey(f.S3Bucket, f.S3Object)
			var k layout.Key
			if err == nil {
				k, err = layout.ParseKey(key)
			}
			if err != nil {
				bad = append(bad, Item{Kind: KindLog, Key: f.S3Object, Account: l.dk.Account, Region: l.dk.Region, Start: l.d.Start,
					Status: LogMissing, Digest: l.dk.Layout, Detail: fmt.Sprintf("referenced by %s: %v", l.key, err)})
				continue
			}
			if v.cfg.Logs != nil {
				if _, ok := v.cfg.Logs[k.Layout]; !ok {
					continue
				}
			}
			if cur, ok := refs[k.Layout]; ok && (cur.digest.item.Status == Valid || l.item.Status != Valid) {
				continue
			}
			refs[k.Layout] = &logRef{key: key, layout: k.Layout, want: strings.ToLower(f.HashValue), digest: l}
		}
	}
	if v.cfg.Logs == nil {
		v.rep.Items = append(v.rep.Items, bad...)
	}
	list := make([]*logRef, 0, len(refs))
	for _, r := range refs {
		list = append(list, r)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].layout < list[j].layout })
	items := make([]Item, len(list))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(v.cfg.Concurrency)
	for i, r := range list {
		g.Go(func() error {
			items[i] = v.checkLog(gctx, r)
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	v.rep.Items = append(v.rep.Items, items...)
	v.unreferenced(refs)
	return nil
}

func (v *validator) checkLog(ctx context.Context, r *logRef) Item {
	k, _ := layout.ParseKey(r.key)
	it := Item{Kind: KindLog, Key: r.key, Layout: r.layout, Account: k.Account, Region: k.Region, Start: k.Delivery, Digest: r.digest.dk.Layout}
	var got string
	if v.cfg.Logs != nil {
		got = strings.ToLower(v.cfg.Logs[r.layout])
	} else {
		rc, _, err := v.cfg.Source.Open(ctx, r.key)
		if err != nil {
			it.Status, it.Detail = readFailure(err)
			it.Detail = fmt.Sprintf("%s (referenced by %s)", it.Detail, r.digest.key)
			return it
		}
		var sum [32]byte
		_, err = readUncompressed(rc, 0, &sum, false)
		rc.Close()
		if err != nil {
			it.Status, it.Detail = readFailure(err)
			return it
		}
		got = hex.EncodeToString(sum[:])
	}
	it.SHA256 = got
	switch {
	case got != r.want:
		it.Status, it.Detail = HashMismatch, fmt.Sprintf("SHA-256 of the uncompressed file is %s; digest %s records %s", got, r.digest.key, r.want)
	case r.digest.item.Status != Valid:
		it.Status, it.Detail = Untrusted, fmt.Sprintf("matches digest %s, which is not valid (%s)", r.digest.key, r.digest.item.Status)
	default:
		it.Status = Valid
	}
	return it
}

// unreferenced reports log files in the window that no digest references:
// pending when delivered after the newest digest of their account and
// region, else unreferenced.
func (v *validator) unreferenced(refs map[string]*logRef) {
	newest := map[string]time.Time{}
	for _, l := range v.digests {
		if l.d == nil || l.moved {
			continue
		}
		ar := l.dk.Account + "/" + l.dk.Region
		if l.d.End.After(newest[ar]) {
			newest[ar] = l.d.End
		}
	}
	for _, k := range v.logKeys {
		if _, ok := refs[k.Layout]; ok {
			continue
		}
		key := v.logSrc[k.Layout]
		if key == "" {
			key = k.Layout
		}
		it := Item{Kind: KindLog, Key: key, Layout: k.Layout, Account: k.Account, Region: k.Region, Start: k.Delivery}
		if v.cfg.Logs != nil {
			it.SHA256 = v.cfg.Logs[k.Layout]
		}
		last := newest[k.Account+"/"+k.Region]
		// File names carry minutes; a file named in the newest digest's
		// last minute may still belong to the next digest.
		switch {
		case last.IsZero():
			it.Status, it.Detail = Unreferenced, "no digest found for its account and region (log file validation disabled, or digests deleted)"
		case !k.Delivery.Before(last.Truncate(time.Minute)):
			it.Status, it.Detail = Pending, "delivered after the newest digest of its account and region; the next digest covers it"
		default:
			it.Status, it.Detail = Unreferenced, "no digest references this log file (not delivered by CloudTrail, or its digest is missing)"
		}
		v.rep.Items = append(v.rep.Items, it)
	}
}
