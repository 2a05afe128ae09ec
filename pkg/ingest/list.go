package ingest

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ctq-dev/ctq/pkg/layout"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// unit is the work of one source day prefix (account x region x delivery
// day): the objects to ingest, in key order.
type unit struct {
	prefix   string // full source key prefix ".../CloudTrail/REGION/YYYY/MM/DD/"
	layout   string // the same from "AWSLogs/"
	account  string
	region   string
	day      time.Time
	objects  []objstore.ObjectInfo
	keys     []layout.Key
	complete bool   // the unit covers the whole day (no time filter cut it)
	upTo     string // largest layout key listed, for the day mark
}

// lister fans out over the key hierarchy with delimiter listings, so no part
// of the bucket is walked sequentially: roots -> org -> account -> region ->
// year -> month -> day, each level listed in parallel.
type lister struct {
	cfg  *Config
	src  objstore.Bucket
	snap *partition.Snapshot
	out  chan<- unit
	rep  *reporter

	sem  chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	err  error
	ctx  context.Context
	stop context.CancelFunc
}

// lateMargin is how far before the last ingested key an incremental listing
// restarts, so objects delivered out of name order are still found.
const lateMargin = time.Hour

func (l *lister) run(ctx context.Context) error {
	l.ctx, l.stop = context.WithCancel(ctx)
	defer l.stop()
	l.spawn(l.roots)
	l.wg.Wait()
	close(l.out)
	return l.err
}

// spawn runs fn in a goroutine holding one of the listing slots.
func (l *lister) spawn(fn func() error) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		select {
		case l.sem <- struct{}{}:
		case <-l.ctx.Done():
			return
		}
		err := fn()
		<-l.sem
		if err != nil {
			l.mu.Lock()
			if l.err == nil {
				l.err = err
				l.stop()
			}
			l.mu.Unlock()
		}
	}()
}

// prefixes lists the common prefixes under p.
func (l *lister) prefixes(p string) ([]string, error) {
	return objstore.ListPrefixes(l.ctx, l.src, p)
}

// roots finds the source's AWSLogs/ prefixes and lists each.
func (l *lister) roots() error {
	roots, err := layout.FindRoots(l.ctx, func(ctx context.Context, p string) ([]string, error) {
		return objstore.ListPrefixes(ctx, l.src, p)
	})
	if err != nil {
		return err
	}
	if len(roots) == 0 {
		if top, err := l.prefixes(""); err == nil && len(top) == 0 {
			return fmt.Errorf("no AWSLogs/ prefix found in %s: it is empty", l.src)
		}
		return fmt.Errorf("no AWSLogs/ prefix found in %s", l.src)
	}
	for _, r := range roots {
		l.spawn(func() error { return l.awsLogs(r) })
	}
	return nil
}

func (l *lister) awsLogs(root string) error {
	subs, err := l.prefixes(root)
	if err != nil {
		return err
	}
	for _, s := range subs {
		name := layout.LastSegment(s)
		switch {
		case layout.ValidOrgID(name):
			org := s
			l.spawn(func() error {
				accts, err := l.prefixes(org)
				if err != nil {
					return err
				}
				for _, a := range accts {
					l.account(a)
				}
				return nil
			})
		default:
			l.account(s)
		}
	}
	return nil
}

func (l *lister) account(p string) {
	name := layout.LastSegment(p)
	if !layout.ValidAccount(name) {
		l.rep.problem(Problem{Key: p, Msg: fmt.Sprintf("skipped prefix: %q is neither a 12-digit account id nor an organization id", name)})
		return
	}
	if !l.cfg.wantAccount(name) {
		return
	}
	kinds := []string{layout.KindCloudTrail}
	if l.cfg.IncludeInsight {
		kinds = append(kinds, layout.KindInsight)
	}
	if l.cfg.IncludeNetworkActivity {
		kinds = append(kinds, layout.KindNetworkActivity)
	}
	for _, k := range kinds {
		kp := p + k + "/"
		l.spawn(func() error { return l.regions(kp) })
	}
}

func (l *lister) regions(p string) error {
	subs, err := l.prefixes(p)
	if err != nil {
		return err
	}
	for _, s := range subs {
		name := layout.LastSegment(s)
		if !layout.ValidRegion(name) {
			l.rep.problem(Problem{Key: s, Msg: fmt.Sprintf("skipped prefix: %q is not a valid region name", name)})
			continue
		}
		if !l.cfg.wantRegion(name) {
			continue
		}
		rp := s
		l.spawn(func() error { return l.dates(rp, 0, "") })
	}
	return nil
}

// dates descends year -> month -> day. Levels outside the delivery window
// [Since, Until+MaxDeliveryDelay) are not listed at all.
func (l *lister) dates(p string, level int, acc string) error {
	subs, err := l.prefixes(p)
	if err != nil {
		return err
	}
	widths := [3]int{4, 2, 2}
	for _, s := range subs {
		name := layout.LastSegment(s)
		if len(name) != widths[level] || strings.Trim(name, "0123456789") != "" {
			l.rep.problem(Problem{Key: s, Msg: "skipped prefix: not a date component of the CloudTrail layout"})
			continue
		}
		cur := acc + name
		if !l.cfg.dateOverlaps(cur, level) {
			continue
		}
		sp := s
		if level < 2 {
			l.spawn(func() error { return l.dates(sp, level+1, cur) })
			continue
		}
		l.spawn(func() error { return l.day(sp) })
	}
	return nil
}

// day lists one day's objects and emits them as a unit.
func (l *lister) day(p string) error {
	_, layoutPrefix, _ := layout.SplitRoot(p)
	u := unit{prefix: p, layout: layoutPrefix, complete: true}
	start := ""
	if mark := l.snap.Days[layoutPrefix]; mark != "" {
		start = restartKey(p, mark[strings.LastIndexByte(mark, '/')+1:])
		u.upTo = mark
	}
	err := l.src.List(l.ctx, objstore.ListOptions{Prefix: p, StartAfter: start}, func(e objstore.Entry) error {
		if e.IsPrefix {
			return nil
		}
		k, err := layout.ParseKey(e.Key)
		if err != nil {
			l.rep.problem(Problem{Key: e.Key, Msg: "skipped: " + err.Error()})
			return nil
		}
		if k.Kind == layout.KindDigest || !strings.HasPrefix(k.Layout, layoutPrefix) || strings.Contains(k.Layout[len(layoutPrefix):], "/") {
			l.rep.problem(Problem{Key: e.Key, Warning: true, Msg: "skipped: not a log file of this day prefix"})
			return nil
		}
		if !strings.HasSuffix(k.File, ".json.gz") && !strings.HasSuffix(k.File, ".json") {
			l.rep.problem(Problem{Key: e.Key, Warning: true, Msg: "skipped: not a CloudTrail log file name (want *.json.gz)"})
			return nil
		}
		if !l.cfg.inDelivery(k.Delivery) {
			u.complete = false
			return nil
		}
		if k.Layout > u.upTo {
			u.upTo = k.Layout
		}
		if !l.cfg.inShard(k) {
			return nil
		}
		if prev, ok := l.snap.Sources[k.Layout]; ok && prev.Status != statusRetry {
			l.rep.skipped.Add(1)
			if prev.Size != e.Size {
				l.rep.problem(Problem{Key: e.Key, Warning: true, Msg: fmt.Sprintf("object changed since it was ingested (size %d, was %d); not ingested again", e.Size, prev.Size)})
			}
			return nil
		}
		u.account, u.region, u.day = k.Account, k.Region, k.Day
		u.objects = append(u.objects, e.ObjectInfo)
		u.keys = append(u.keys, k)
		return nil
	})
	if err != nil {
		return fmt.Errorf("list %s/%s: %w", l.src, p, err)
	}
	if len(u.objects) == 0 {
		return nil
	}
	sort.Sort(byKey(u))
	select {
	case l.out <- u:
		return nil
	case <-l.ctx.Done():
		return l.ctx.Err()
	}
}

type byKey unit

func (u byKey) Len() int           { return len(u.objects) }
func (u byKey) Less(i, j int) bool { return u.objects[i].Key < u.objects[j].Key }
func (u byKey) Swap(i, j int) {
	u.objects[i], u.objects[j] = u.objects[j], u.objects[i]
	u.keys[i], u.keys[j] = u.keys[j], u.keys[i]
}

// restartKey returns the StartAfter key for an incremental listing of a day
// prefix whose objects up to file name mark were ingested: lateMargin before
// the mark's delivery time, so late deliveries named earlier are not missed.
func restartKey(prefix, mark string) string {
	t, at, ok := layout.FileTime(mark)
	if !ok {
		return ""
	}
	return prefix + mark[:at] + layout.FormatFileTime(t.Add(-lateMargin))
}

// shardOf maps an account x region x day to one of n shards.
func shardOf(k layout.Key, n int) int {
	h := fnv.New32a()
	h.Write([]byte(k.Account + "/" + k.Region + "/" + k.Day.Format("2006-01-02")))
	return int(h.Sum32() % uint32(n))
}
