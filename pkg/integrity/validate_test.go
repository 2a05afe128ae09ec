package integrity_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/layout"

	"github.com/ctq-dev/ctq/internal/miniotest"
	"github.com/ctq-dev/ctq/pkg/integrity"
	"github.com/ctq-dev/ctq/pkg/objstore"
	s3store "github.com/ctq-dev/ctq/pkg/objstore/s3"
)

// want is an expected verdict: the item whose key ends with keySuffix (or,
// for a gap, the gap item) has this status.
type want struct {
	kind      string
	keySuffix string
	status    integrity.Status
}

type scenario struct {
	name string
	opts archiveOptions
	// mutate tampers with the archive; it returns the verdicts that must
	// differ from valid. Every other digest and log file must be valid.
	mutate func(t *testing.T, a *archive) []want
}

func base(k string) string { return k[strings.LastIndexByte(k, '/')+1:] }

func scenarios() []scenario {
	_, evil := testKeys(nil)
	five := archiveOptions{hours: 5}
	return []scenario{
		{"intact", five, func(*testing.T, *archive) []want { return nil }},
		{"modified-log", five, func(t *testing.T, a *archive) []want {
			k := a.logs[2][1]
			a.objects[k] = gz(t, []byte(`{"Records":[]}`))
			return []want{{integrity.KindLog, base(k), integrity.HashMismatch}}
		}},
		{"deleted-log", five, func(t *testing.T, a *archive) []want {
			k := a.logs[1][0]
			delete(a.objects, k)
			return []want{{integrity.KindLog, base(k), integrity.LogMissing}}
		}},
		{"deleted-digest", five, func(t *testing.T, a *archive) []want {
			k := a.digests[2]
			delete(a.objects, k)
			// Its log files are now referenced by no digest.
			return []want{
				{integrity.KindDigest, base(k), integrity.DigestMissing},
				{integrity.KindLog, base(a.logs[2][0]), integrity.Unreferenced},
				{integrity.KindLog, base(a.logs[2][1]), integrity.Unreferenced},
			}
		}},
		{"forged-newest-digest-real-fingerprint", five, func(t *testing.T, a *archive) []want {
			k := a.digests[4]
			a.rewriteDigest(t, k, evil, testFP, nil)
			return []want{
				{integrity.KindDigest, base(k), integrity.SignatureInvalid},
				{integrity.KindLog, base(a.logs[4][0]), integrity.Untrusted},
				{integrity.KindLog, base(a.logs[4][1]), integrity.Untrusted},
			}
		}},
		{"forged-digest-own-fingerprint", five, func(t *testing.T, a *archive) []want {
			k := a.digests[4]
			a.rewriteDigest(t, k, evil, "ffffffffffffffffffffffffffffffff", nil)
			return []want{
				{integrity.KindDigest, base(k), integrity.KeyNotFound},
				{integrity.KindLog, base(a.logs[4][0]), integrity.Untrusted},
				{integrity.KindLog, base(a.logs[4][1]), integrity.Untrusted},
			}
		}},
		{"forged-middle-digest-hides-a-log", five, func(t *testing.T, a *archive) []want {
			// The attacker drops a log file from digest 2 and re-signs it;
			// digest 3's previousDigestSignature no longer verifies it.
			k := a.digests[2]
			a.rewriteDigest(t, k, evil, testFP, func(d map[string]any) { d["logFiles"] = d["logFiles"].([]any)[:1] })
			delete(a.objects, a.logs[2][1])
			return []want{
				{integrity.KindDigest, base(k), integrity.SignatureInvalid},
				{integrity.KindLog, base(a.logs[2][0]), integrity.Untrusted},
			}
		}},
		{"digest-copied-to-another-key", five, func(t *testing.T, a *archive) []want {
			src := a.digests[1]
			dst := strings.Replace(src, "T020017Z", "T023017Z", 1)
			if dst == src {
				t.Fatalf("copy target equals source %s", src)
			}
			a.objects[dst], a.sigs[dst] = a.objects[src], a.sigs[src]
			return []want{{integrity.KindDigest, base(dst), integrity.Moved}}
		}},
		{"extra-unreferenced-log", five, func(t *testing.T, a *archive) []want {
			at := testBase.Add(2*time.Hour + 30*time.Minute)
			k := a.full(logKey(at, "Injected00000000"))
			a.objects[k] = gz(t, logContent(at, 999))
			return []want{{integrity.KindLog, base(k), integrity.Unreferenced}}
		}},
		{"log-after-newest-digest-is-pending", five, func(t *testing.T, a *archive) []want {
			at := testBase.Add(5*time.Hour + 30*time.Minute)
			k := a.full(logKey(at, "Late000000000000"))
			a.objects[k] = gz(t, logContent(at, 998))
			return []want{{integrity.KindLog, base(k), integrity.Pending}}
		}},
		{"chain-restart-is-a-gap", archiveOptions{hours: 5, restartAt: 3}, func(t *testing.T, a *archive) []want {
			return []want{{integrity.KindGap, base(a.digests[3]), integrity.ChainGap}}
		}},
	}
}

func (a *archive) full(k string) string {
	if a.prefix == "" {
		return k
	}
	return a.prefix + "/" + k
}

// check runs the validation and compares every verdict with the scenario's.
func check(t *testing.T, cfg integrity.Config, a *archive, wants []want) *integrity.Report {
	t.Helper()
	rep, err := integrity.Validate(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	matched := map[int]bool{}
	for _, it := range rep.Items {
		wi := slices.IndexFunc(wants, func(w want) bool { return w.kind == it.Kind && strings.HasSuffix(it.Key, w.keySuffix) })
		if wi < 0 {
			if it.Status != integrity.Valid {
				t.Errorf("%s %s: %s (%s), want valid", it.Kind, it.Key, it.Status, it.Detail)
			}
			continue
		}
		matched[wi] = true
		if it.Status != wants[wi].status {
			t.Errorf("%s %s: %s (%s), want %s", it.Kind, it.Key, it.Status, it.Detail, wants[wi].status)
		}
		if it.Status != integrity.Valid && it.Detail == "" {
			t.Errorf("%s %s: %s without a detail", it.Kind, it.Key, it.Status)
		}
	}
	for i, w := range wants {
		if !matched[i] {
			t.Errorf("no %s verdict for %s (want %s)", w.kind, w.keySuffix, w.status)
		}
	}
	// Every digest and log file of the archive that still exists has a verdict.
	s := rep.Summary()
	if s.Digests < len(a.digests)-1 || s.Logs < 2*len(a.digests)-2 {
		t.Errorf("summary %+v: too few verdicts for %d digests", s, len(a.digests))
	}
	return rep
}

func keySet(t *testing.T) *integrity.KeySet {
	t.Helper()
	ks, err := integrity.ParsePublicKeys(keysJSON(t, testBase.Add(-24*time.Hour), testBase.Add(30*24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func TestValidate_Local(t *testing.T) {
	for _, sc := range scenarios() {
		for _, prefix := range []string{"", "trail/prefix"} {
			t.Run(fmt.Sprintf("%s/prefix=%q", sc.name, prefix), func(t *testing.T) {
				a := buildArchive(t, "trail-bucket", prefix, sc.opts)
				wants := sc.mutate(t, a)
				dir := t.TempDir()
				a.writeLocal(t, dir, true)
				src, err := objstore.OpenLocal(dir)
				if err != nil {
					t.Fatal(err)
				}
				rep := check(t, integrity.Config{Source: src, Keys: keySet(t)}, a, wants)
				if sc.name == "intact" && len(rep.Failures()) != 0 {
					t.Errorf("intact archive has failures: %+v", rep.Failures())
				}
			})
		}
	}
}

func TestValidate_S3(t *testing.T) {
	srv := miniotest.Start(t)
	const bucket = "trail-bucket"
	srv.CreateBucket(t, bucket)
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			// Each scenario lives under its own prefix; the source is
			// rooted there, so the digests must name bucket and prefix.
			a := buildArchive(t, bucket, sc.name, sc.opts)
			wants := sc.mutate(t, a)
			a.writeS3(t, srv.Client(), bucket)
			src, err := s3store.Open(context.Background(), bucket, sc.name, srv.Options())
			if err != nil {
				t.Fatal(err)
			}
			check(t, integrity.Config{Source: src, Bucket: bucket, Prefix: sc.name, Keys: keySet(t)}, a, wants)
		})
	}
	t.Run("wrong-bucket-name-is-moved", func(t *testing.T) {
		a := buildArchive(t, "another-bucket", "elsewhere", archiveOptions{hours: 2})
		a.writeS3(t, srv.Client(), bucket)
		src, err := s3store.Open(context.Background(), bucket, "elsewhere", srv.Options())
		if err != nil {
			t.Fatal(err)
		}
		rep, err := integrity.Validate(context.Background(), integrity.Config{Source: src, Bucket: bucket, Prefix: "elsewhere", Keys: keySet(t)})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range rep.Items {
			if it.Kind == integrity.KindDigest && it.Status != integrity.Moved {
				t.Errorf("digest %s: %s, want moved", it.Key, it.Status)
			}
		}
	})
}

func TestValidate_LocalWithoutSidecars(t *testing.T) {
	// Without metadata the newest digest cannot be verified; older ones
	// are verified through the chain (previousDigestSignature).
	a := buildArchive(t, "trail-bucket", "", archiveOptions{hours: 3})
	dir := t.TempDir()
	a.writeLocal(t, dir, false)
	src, _ := objstore.OpenLocal(dir)
	check(t, integrity.Config{Source: src, Keys: keySet(t)}, a, []want{
		{integrity.KindDigest, base(a.digests[2]), integrity.SignatureMissing},
		{integrity.KindLog, base(a.logs[2][0]), integrity.Untrusted},
		{integrity.KindLog, base(a.logs[2][1]), integrity.Untrusted},
	})
}

func TestValidate_KeyOutsideValidityWindow(t *testing.T) {
	a := buildArchive(t, "trail-bucket", "", archiveOptions{hours: 2})
	dir := t.TempDir()
	a.writeLocal(t, dir, true)
	src, _ := objstore.OpenLocal(dir)
	ks, err := integrity.ParsePublicKeys(keysJSON(t, testBase.Add(-48*time.Hour), testBase.Add(-24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := integrity.Validate(context.Background(), integrity.Config{Source: src, Keys: ks})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range rep.Items {
		if it.Kind == integrity.KindDigest && it.Status != integrity.KeyNotFound {
			t.Errorf("digest %s: %s, want key-not-found", it.Key, it.Status)
		}
	}
}

func TestValidate_TimeWindow(t *testing.T) {
	// Only hours 1 and 2 are selected: digest 1 names digest 0, which is
	// outside the window and must not be reported missing.
	a := buildArchive(t, "trail-bucket", "", archiveOptions{hours: 5})
	dir := t.TempDir()
	a.writeLocal(t, dir, true)
	src, _ := objstore.OpenLocal(dir)
	rep, err := integrity.Validate(context.Background(), integrity.Config{
		Source: src, Keys: keySet(t), Since: testBase.Add(time.Hour + time.Minute), Until: testBase.Add(3 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	if f := rep.Failures(); len(f) != 0 {
		t.Fatalf("failures: %+v", f)
	}
	s := rep.Summary()
	if s.Logs == 0 || s.Logs > 8 {
		t.Errorf("summary %+v: want the window's log files only", s)
	}
}

func TestValidate_KnownHashes(t *testing.T) {
	// With Logs given (ingest --verify), log files are not read: a deleted
	// file still validates from its recorded hash, a wrong hash does not.
	a := buildArchive(t, "trail-bucket", "", archiveOptions{hours: 3})
	logs := map[string]string{}
	for h, keys := range a.logs {
		for _, k := range keys {
			logs[k] = fmt.Sprintf("%x", sha256Of(t, a.objects[k]))
			if h == 1 {
				delete(a.objects, k)
			}
		}
	}
	bad := a.logs[2][0]
	logs[bad] = strings.Repeat("0", 64)
	dir := t.TempDir()
	a.writeLocal(t, dir, true)
	src, _ := objstore.OpenLocal(dir)
	rep, err := integrity.Validate(context.Background(), integrity.Config{Source: src, Keys: keySet(t), Logs: logs})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]integrity.Status{}
	for _, it := range rep.Items {
		if it.Kind == integrity.KindLog {
			got[it.Layout] = it.Status
		}
	}
	if len(got) != len(logs) {
		t.Fatalf("verdicts for %d logs, want %d: %v", len(got), len(logs), slices.Sorted(maps.Keys(got)))
	}
	for k, s := range got {
		want := integrity.Valid
		if k == bad {
			want = integrity.HashMismatch
		}
		if s != want {
			t.Errorf("%s: %s, want %s", k, s, want)
		}
	}
}

// TestValidate_EventTimeWindow validates the day D with Since = D, Until =
// D+1: the log files that can hold its events are those delivered in D and
// up to the maximum delivery delay after midnight (keyed D+1). Each of them
// is checked, as ingest reads them. Two log files no digest references, one
// delivered within the delay and one after it, show where the listing of
// log files ends: only the first is reported.
func TestValidate_EventTimeWindow(t *testing.T) {
	a := buildArchive(t, "trail-bucket", "", archiveOptions{hours: 27})
	day := testBase
	strayIn := logKey(day.Add(24*time.Hour+30*time.Minute), "StrayWithinDelay")
	strayOut := logKey(day.Add(24*time.Hour+90*time.Minute), "StrayPastDelay")
	for i, k := range []string{strayIn, strayOut} {
		a.objects[k] = gz(t, logContent(day.Add(23*time.Hour+59*time.Minute), 1000+i))
	}
	dir := t.TempDir()
	a.writeLocal(t, dir, true)
	src, _ := objstore.OpenLocal(dir)
	cases := []struct {
		name  string
		delay time.Duration
		until time.Time // end of the delivery window
	}{
		{"default delay", 0, day.Add(24*time.Hour + layout.DefaultMaxDeliveryDelay)},
		{"two hours", 2 * time.Hour, day.Add(26 * time.Hour)},
		{"no delay", -1, day.Add(24 * time.Hour)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := integrity.Validate(context.Background(), integrity.Config{
				Source: src, Keys: keySet(t), Since: day, Until: day.AddDate(0, 0, 1), MaxDeliveryDelay: c.delay,
			})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]integrity.Status{}
			for _, it := range rep.Items {
				if it.Kind == integrity.KindLog {
					got[it.Key] = it.Status
				}
			}
			after := 0 // files of the window keyed D+1
			for _, keys := range a.logs {
				for _, k := range keys {
					pk, err := layout.ParseKey(k)
					if err != nil {
						t.Fatal(err)
					}
					if pk.Delivery.Before(day) || !pk.Delivery.Before(c.until) {
						continue
					}
					if !pk.Delivery.Before(day.AddDate(0, 0, 1)) {
						after++
					}
					if got[k] != integrity.Valid {
						t.Errorf("log file %s (delivered %s): %q, want valid", k, pk.Delivery.Format(time.RFC3339), got[k])
					}
				}
			}
			if c.delay >= 0 && after == 0 {
				t.Errorf("no log file of the delivery window was delivered after midnight; the test needs some")
			}
			for _, k := range []string{strayIn, strayOut} {
				pk, _ := layout.ParseKey(k)
				_, reported := got[k]
				if want := pk.Delivery.Before(c.until); reported != want {
					t.Errorf("unreferenced log file delivered %s: reported %v, want %v", pk.Delivery.Format(time.RFC3339), reported, want)
				}
			}
		})
	}
}
