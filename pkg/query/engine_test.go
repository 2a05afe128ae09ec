package query_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/query"
)

// testLake is a lake built from a generated archive plus the real test
// events, with every source record kept for the reference evaluator.
type testLake struct {
	lake    *partition.Lake
	snap    *partition.Snapshot
	records [][]byte
	// bySource holds each source object's records by layout key.
	bySource map[string][][]byte
}

func buildLake(t testing.TB, events int) *testLake {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	cfg := gen.DefaultConfig()
	cfg.Events = events
	cfg.Seed = 7
	if _, err := gen.WriteDir(ctx, cfg, archive); err != nil {
		t.Fatal(err)
	}
	// The real-world events, in one object each file, delivered to one
	// account/region/day (records without eventTime fall on that day).
	real, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "testdata", "cloudtrail-real", "*.records.json"))
	for i, f := range real {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		key := filepath.Join(archive, "AWSLogs", "123456789012", "CloudTrail", "us-east-1", "2024", "03", "01",
			fmt.Sprintf("123456789012_CloudTrail_us-east-1_20240301T00%02dZ_abcdefghijklmno%d.json.gz", i, i))
		if err := os.MkdirAll(filepath.Dir(key), 0o755); err != nil {
			t.Fatal(err)
		}
		var gz bytes.Buffer
		w := gzip.NewWriter(&gz)
		w.Write(data)
		w.Close()
		if err := os.WriteFile(key, gz.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, _ := objstore.OpenLocal(archive)
	lb, _ := objstore.OpenLocal(filepath.Join(dir, "lake"))
	lake := partition.Open(lb)
	icfg := ingest.DefaultConfig()
	icfg.Source, icfg.Lake = src, lake
	if _, err := ingest.Run(ctx, icfg); err != nil {
		t.Fatal(err)
	}
	snap, err := lake.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tl := &testLake{lake: lake, snap: snap, bySource: map[string][][]byte{}}
	// Every source record, from the archive itself.
	filepath.Walk(archive, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(p, ".json.gz") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		var doc struct{ Records []json.RawMessage }
		if err := json.NewDecoder(zr).Decode(&doc); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		rel, _ := filepath.Rel(archive, p)
		for _, r := range doc.Records {
			tl.records = append(tl.records, []byte(r))
			tl.bySource[filepath.ToSlash(rel)] = append(tl.bySource[filepath.ToSlash(rel)], []byte(r))
		}
		return nil
	})
	return tl
}

// run returns the engine's matches as sorted raw strings.
func (tl *testLake) run(t testing.TB, n query.Node, opts query.Options) ([]string, *query.Stats) {
	t.Helper()
	plan, err := query.NewPlan(n, opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	st, err := plan.Run(context.Background(), tl.lake, tl.snap, func(m query.Match) error {
		got = append(got, string(m.Raw))
		return nil
	})
	if err != nil {
		t.Fatalf("run %s: %v", n, err)
	}
	sort.Strings(got)
	return got, st
}

// reference returns the reference evaluator's matches over all source records.
func (tl *testLake) reference(n query.Node) []string {
	var want []string
	for _, r := range tl.records {
		if query.MatchJSON(n, r) {
			want = append(want, string(r))
		}
	}
	sort.Strings(want)
	return want
}

func mustParse(t testing.TB, s string) *query.Pattern {
	t.Helper()
	p, err := query.Parse(s, query.ParseOptions{})
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return p
}

func diff(got, want []string) string {
	g := map[string]int{}
	for _, s := range got {
		g[s]++
	}
	for _, s := range want {
		g[s]--
	}
	var extra, missing []string
	for s, n := range g {
		for ; n > 0; n-- {
			extra = append(extra, s)
		}
		for ; n < 0; n++ {
			missing = append(missing, s)
		}
	}
	if len(extra)+len(missing) == 0 {
		return ""
	}
	out := fmt.Sprintf("%d extra, %d missing", len(extra), len(missing))
	if len(extra) > 0 {
		out += fmt.Sprintf("\nextra e.g. %.300s", extra[0])
	}
	if len(missing) > 0 {
		out += fmt.Sprintf("\nmissing e.g. %.300s", missing[0])
	}
	return out
}

func TestEngine_MatchesReference(t *testing.T) {
	tl := buildLake(t, 4000)
	patterns := []string{
		``,
		`{ $.eventName = "GetObject" }`,
		`eventName=GetObject`,
		`{ $.eventName != "GetObject" }`,
		`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`,
		`{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`,
		`{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`,
		`{ $.requestParameters.ipPermissions.items[0].ipRanges.items[0].cidrIp = "0.0.0.0/0" }`,
		`{ $.errorCode = %Denied$% }`,
		`"AccessDenied"`,
		`ConsoleLogin -Success`,
		`{ $.responseElements IS NULL }`,
		`{ $.responseElements NOT EXISTS }`,
		`{ $.errorCode NOT EXISTS }`,
		`{ $.readOnly IS TRUE }`,
		`{ $.readOnly IS FALSE && $.managementEvent IS TRUE }`,
		`{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = "true" }`,
		`{ $.resources[0].type = "AWS::S3::Object" }`,
		`{ $.awsRegion = "eu-west-1" }`,
		`{ $.recipientAccountId = "123456789012" }`,
		`{ $.eventTime = "2025-03-14*" }`,
		`{ $.sourceIPAddress = "AWS Internal" || $.userAgent = *console* }`,
		`{ $.userIdentity.arn = "*:root" }`,
		`{ $.requestParameters.bucketName = * }`,
		`{ $.eventVersion < 2 }`,
		`{ $.* = "ConsoleLogin" }`,
		`{ $.tlsDetails.tlsVersion = "TLSv1.3" }`,
		// CIS 4.4 and 4.10: ORs of equalities on one column run as set lookups.
		`{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}`,
		`{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) || $.errorCode = "AccessDenied" }`,
		`{ ($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)||($.eventName=Decrypt)) }`,
	}
	for _, s := range patterns {
		p := mustParse(t, s)
		got, _ := tl.run(t, p.Root, query.Options{})
		want := tl.reference(p.Root)
		if strings.Contains(s, "Policy") && len(want) == 0 {
			t.Errorf("%s: no reference match: the test data should exercise it", s)
		}
		if d := diff(got, want); d != "" {
			t.Errorf("%s: engine and reference differ: %s", s, d)
		}
	}
}

// pathValue is a selector text and the scalar found there in some record.
type pathValue struct {
	sel string
	val any
}

// collectPaths walks decoded records and returns selectors of scalars.
func collectPaths(records [][]byte, limit int) []pathValue {
	var out []pathValue
	seen := map[string]int{}
	var walk func(prefix string, v any, depth int)
	walk = func(prefix string, v any, depth int) {
		if depth > 5 || len(out) >= limit {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if !simpleKey(k) {
					continue
				}
				walk(prefix+"."+k, x[k], depth+1)
			}
		case []any:
			for i := 0; i < len(x) && i < 2; i++ {
				walk(prefix+"["+strconv.Itoa(i)+"]", x[i], depth+1)
			}
		default:
			if seen[prefix] < 3 {
				seen[prefix]++
				out = append(out, pathValue{sel: prefix, val: x})
			}
		}
	}
	for _, r := range records {
		var v any
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.UseNumber()
		if dec.Decode(&v) == nil {
			walk("$", v, 0)
		}
	}
	return out
}

func simpleKey(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// plainString reports whether s can be written in a quoted pattern value
// without escapes beyond \" and \\.
func plainString(s string) bool {
	for _, c := range s {
		if c < 0x20 || c > 0x7e || c == '*' || c == '%' {
			return false
		}
	}
	return true
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// randomComparison builds one comparison from a path seen in the data.
func randomComparison(r *rand.Rand, pv pathValue, all []pathValue) string {
	sel := pv.sel
	switch r.IntN(12) {
	case 0:
		return sel + " NOT EXISTS"
	case 1:
		return sel + " IS NULL"
	case 2:
		if r.IntN(2) == 0 {
			return sel + " IS TRUE"
		}
		return sel + " IS FALSE"
	case 3:
		return sel + " = *"
	case 4:
		// A path from another record: often missing here.
		return all[r.IntN(len(all))].sel + ` != "x"`
	}
	switch v := pv.val.(type) {
	case json.Number:
		f, _ := v.Float64()
		ops := []string{"=", "!=", "<", ">", "<=", ">="}
		return fmt.Sprintf("%s %s %s", sel, ops[r.IntN(len(ops))], strconv.FormatFloat(f+float64(r.IntN(3)-1), 'g', -1, 64))
	case bool:
		return fmt.Sprintf("%s = %v", sel, v)
	case string:
		if !plainString(v) || v == "" {
			return sel + " = *"
		}
		op := "="
		if r.IntN(4) == 0 {
			op = "!="
		}
		switch r.IntN(5) {
		case 0:
			k := 1 + r.IntN(len(v))
			return fmt.Sprintf("%s %s %s", sel, op, quote(v[:k]+"*"))
		case 1:
			k := r.IntN(len(v))
			return fmt.Sprintf("%s %s %s", sel, op, quote("*"+v[k:]))
		case 2:
			// A regex over an alphanumeric run of the value.
			run := ""
			for _, c := range v {
				if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
					run += string(c)
					if len(run) == 4 {
						break
					}
				} else if run != "" {
					break
				}
			}
			if run != "" {
				return fmt.Sprintf("%s %s %%%s%%", sel, op, run)
			}
		}
		return fmt.Sprintf("%s %s %s", sel, op, quote(v))
	}
	return sel + " IS NULL"
}

func randomPattern(r *rand.Rand, paths []pathValue) string {
	n := 1 + r.IntN(3)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = randomComparison(r, paths[r.IntN(len(paths))], paths)
	}
	expr := parts[0]
	for i := 1; i < n; i++ {
		op := " && "
		if r.IntN(2) == 0 {
			op = " || "
		}
		if r.IntN(3) == 0 {
			expr = "(" + expr + ")"
		}
		expr += op + parts[i]
	}
	return "{ " + expr + " }"
}

func TestEngine_Differential(t *testing.T) {
	tl := buildLake(t, 3000)
	paths := collectPaths(tl.records, 5000)
	if len(paths) < 100 {
		t.Fatalf("only %d paths collected", len(paths))
	}
	r := rand.New(rand.NewPCG(1, 2))
	runs := 150
	if testing.Short() {
		runs = 30
	}
	for i := 0; i < runs; i++ {
		s := randomPattern(r, paths)
		p, err := query.Parse(s, query.ParseOptions{})
		if err != nil {
			t.Fatalf("generated pattern does not parse: %s: %v", s, err)
		}
		got, _ := tl.run(t, p.Root, query.Options{})
		want := tl.reference(p.Root)
		if d := diff(got, want); d != "" {
			t.Errorf("%s: engine and reference differ: %s", s, d)
		}
	}
}

// TestEngine_WindowedOrder: a cluster whose matches exceed the budget,
// scanned again in time windows, prints what one merge of the whole
// cluster prints, in the same order, the records without an eventTime
// first; with --limit too.
func TestEngine_WindowedOrder(t *testing.T) {
	tl := buildLake(t, 4000)
	run := func(pattern string, limit int) []string {
		t.Helper()
		plan, err := query.NewPlan(mustParse(t, pattern).Root, query.Options{Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		if _, err := plan.Run(context.Background(), tl.lake, tl.snap, func(m query.Match) error {
			got = append(got, m.Time.Format(time.RFC3339Nano)+" "+m.EventID+" "+string(m.Raw))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, tc := range []struct {
		pattern string
		limit   int
	}{
		{`{ $.eventVersion = "1*" }`, 0},
		{`{ $.eventName = "ConsoleLogin" || $.errorCode = * }`, 0},
		{`{ $.eventVersion = "1*" }`, 37},
	} {
		whole := run(tc.pattern, tc.limit)
		restore := query.SetHeldBudget(20 << 10)
		windowed := run(tc.pattern, tc.limit)
		restore()
		if len(whole) < 20 {
			t.Fatalf("%s: %d matches; the test needs more", tc.pattern, len(whole))
		}
		if len(windowed) != len(whole) {
			t.Fatalf("%s limit %d: %d matches windowed, %d whole", tc.pattern, tc.limit, len(windowed), len(whole))
		}
		for i := range whole {
			if windowed[i] != whole[i] {
				t.Fatalf("%s limit %d: match %d windowed is\n%.120s\nwhole is\n%.120s", tc.pattern, tc.limit, i, windowed[i], whole[i])
			}
		}
		// Records without an eventTime (the real-world fixture has some)
		// sort first.
		timed := false
		for i, m := range whole {
			untimed := strings.HasPrefix(m, "0001-01-01T00:00:00Z ")
			if untimed && timed {
				t.Fatalf("%s: match %d has no eventTime but follows one that has", tc.pattern, i)
			}
			timed = timed || !untimed
		}
	}
}
