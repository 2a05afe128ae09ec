package lineage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/lineage"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// lakeFixture is a generated archive ingested into a lake, with its
// records.
type lakeFixture struct {
	cfg     gen.Config
	lake    *partition.Lake
	snap    *partition.Snapshot
	records [][]byte
}

// buildLake generates events records with lineages scenarios and ingests
// them.
func buildLake(t testing.TB, events, lineages int) *lakeFixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	cfg := gen.DefaultConfig()
	cfg.Events, cfg.Lineages = events, lineages
	var records [][]byte
	if _, err := gen.Generate(ctx, cfg, func(o gen.Object) error {
		p := filepath.Join(archive, filepath.FromSlash(o.Key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if o.Kind != gen.KindLog {
			return os.WriteFile(p, o.Data, 0o644)
		}
		recs, err := o.Records()
		if err != nil {
			return err
		}
		for _, r := range recs {
			records = append(records, r)
		}
		return os.WriteFile(p, o.Data, 0o644)
	}); err != nil {
		t.Fatal(err)
	}
	src, err := objstore.OpenLocal(archive)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := objstore.OpenLocal(filepath.Join(dir, "lake"))
	if err != nil {
		t.Fatal(err)
	}
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
	return &lakeFixture{cfg: cfg, lake: lake, snap: snap, records: records}
}

// TestLake traces generated lineages through a lake built by ingest and
// checks that the lake source gives the same result as the in-memory one.
func TestLake(t *testing.T) {
	ctx := context.Background()
	fx := buildLake(t, 4000, 8)
	cfg, lake, snap, records := fx.cfg, fx.lake, fx.snap, fx.records
	mem := lineage.NewMemorySource(records)

	find := func(name, callerType, invokedBy string) []string {
		return generatedKeys(t, records, name, callerType, invokedBy)
	}
	traceBoth := func(key string) *lineage.Result {
		t.Helper()
		ls := &lineage.LakeSource{Lake: lake, Snap: snap}
		got, err := lineage.Trace(ctx, ls, lineage.Config{Target: key, KeepEvents: true})
		if err != nil {
			t.Fatal(err)
		}
		want, err := lineage.Trace(ctx, mem, lineage.Config{Target: key, KeepEvents: true})
		if err != nil {
			t.Fatal(err)
		}
		var g, w bytes.Buffer
		lineage.WriteJSON(&g, got)
		lineage.WriteJSON(&w, want)
		if g.String() != w.String() {
			t.Errorf("%s: lake and memory sources differ:\nlake %s\nmemory %s", key, g.String(), w.String())
		}
		if ls.Stats.FilesSkipped == 0 && ls.Stats.RowGroupsSkipped == 0 {
			t.Errorf("%s: the lookups pruned nothing: %+v", key, ls.Stats)
		}
		return got
	}

	for _, k := range find("AssumeRole", "AWSService", "lambda.amazonaws.com") {
		res := traceBoth(k)
		c := res.Credential(k)
		if len(c.Flags) != 1 || c.Flags[0].Kind != lineage.FlagExfiltration || len(c.Flags[0].Evidence) < 2 {
			t.Errorf("Lambda key %s used from outside: flags %+v", k, c.Flags)
		}
	}
	for _, k := range find("AssumeRole", "AWSService", "ecs-tasks.amazonaws.com") {
		if c := traceBoth(k).Credential(k); len(c.Flags) != 0 || c.Events < 4 {
			t.Errorf("ECS key %s used by its task only: %+v", k, c)
		}
	}
	for _, k := range find("AssumeRole", "AssumedRole", "") {
		res := traceBoth(k)
		var rules []string
		for id := k; ; {
			ps := res.Parents(id)
			if len(ps) == 0 {
				break
			}
			rules = append(rules, ps[0].Rule)
			id = ps[0].From
		}
		if got := strings.Join(rules, " "); got != "L3 L1 L9" {
			t.Errorf("chained key %s: links back %q, want L3 L1 L9", k, got)
		}
		if len(res.Events()) < 8 {
			t.Errorf("chained key %s: %d events", k, len(res.Events()))
		}
	}
	for _, k := range find("AssumeRoleWithSAML", "SAMLUser", "") {
		if ps := traceBoth(k).Parents(k); len(ps) != 1 || ps[0].Rule != "L4" || !strings.HasPrefix(ps[0].From, "saml:") {
			t.Errorf("SAML key %s: parents %+v", k, ps)
		}
	}

	// Summaries and first-seen values read the lake the same way.
	ls := &lineage.LakeSource{Lake: lake, Snap: snap}
	for _, by := range []string{"", "userIdentity.accessKeyId"} {
		got, err := lineage.Summarize(ctx, ls, lineage.SummaryConfig{By: by})
		if err != nil {
			t.Fatal(err)
		}
		want, err := lineage.Summarize(ctx, mem, lineage.SummaryConfig{By: by})
		if err != nil {
			t.Fatal(err)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) || len(got) < 10 {
			t.Errorf("summary by %q: lake and memory differ (%d and %d groups)", by, len(got), len(want))
		}
	}
	ncfg := lineage.NewConfig{Field: "sourceIPAddress", Per: "userIdentity.arn", BaselineSince: cfg.Start, Since: cfg.Start.Add(24 * time.Hour)}
	got, err := lineage.NewValues(ctx, ls, ncfg)
	if err != nil {
		t.Fatal(err)
	}
	want, err := lineage.NewValues(ctx, mem, ncfg)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w || len(got) == 0 {
		t.Errorf("new values: lake %d, memory %d", len(got), len(want))
	}
}

// generatedKeys returns the keys the generator's lineage scenarios issued
// with eventName name to a caller of type callerType (and invokedBy).
func generatedKeys(t testing.TB, records [][]byte, name, callerType, invokedBy string) []string {
	t.Helper()
	var keys []string
	for _, raw := range records {
		var r struct {
			EventName    string
			UserIdentity struct{ Type, InvokedBy string }
			Response     struct {
				Credentials struct{ AccessKeyID, SessionToken string }
			} `json:"responseElements"`
		}
		if json.Unmarshal(raw, &r) == nil && r.EventName == name && r.UserIdentity.Type == callerType &&
			r.UserIdentity.InvokedBy == invokedBy && r.Response.Credentials.SessionToken == "<redacted>" {
			keys = append(keys, r.Response.Credentials.AccessKeyID)
		}
	}
	if len(keys) == 0 {
		t.Fatalf("no generated %s by %s %s", name, callerType, invokedBy)
	}
	return keys
}
