package detect_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ctq-dev/ctq/pkg/detect"
	"github.com/ctq-dev/ctq/pkg/gen"
)

// maxDefaultShare is the largest share of all events a rule of the default
// pack may match on the generated archive: a rule above it is noise.
const maxDefaultShare = 0.5

// TestBuiltin_QuietDefaultPack runs the default pack over a generated
// archive like the demo's: no rule may match more than maxDefaultShare of
// the events. The rule kept out of the pack for that reason is loadable by
// name and does exceed it, so the check can tell.
func TestBuiltin_QuietDefaultPack(t *testing.T) {
	tmp := t.TempDir()
	cfg := gen.DefaultConfig()
	cfg.Events = 5000
	st, err := gen.WriteDir(context.Background(), cfg, filepath.Join(tmp, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	lake := ingestDir(t, filepath.Join(tmp, "archive"), filepath.Join(tmp, "lake"))
	snap, err := lake.FilesSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	noisy, err := detect.LoadRules("cis-1.5-4.1")
	if err != nil {
		t.Fatal(err)
	}
	pack := detect.Builtin()
	for _, r := range pack {
		if r.Name == noisy[0].Name {
			t.Fatalf("%s is in the default pack", r.Name)
		}
	}
	results, _, err := detect.Evaluate(context.Background(), lake, snap, append(pack, noisy...), detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	limit := int64(maxDefaultShare * float64(st.Events))
	for _, res := range results {
		switch {
		case res.Rule.Name == noisy[0].Name && res.Hits <= limit:
			t.Errorf("%s matches %d of %d events; the check needs a rule above %d", res.Rule.Name, res.Hits, st.Events, limit)
		case res.Rule.Name != noisy[0].Name && res.Hits > limit:
			t.Errorf("default rule %s matches %d of %d events (more than %.0f%%)", res.Rule.Name, res.Hits, st.Events, 100*maxDefaultShare)
		}
	}
}

// TestLoadRules_Packs checks the names LoadRules accepts for built-in rules.
func TestLoadRules_Packs(t *testing.T) {
	all := detect.BuiltinAll()
	cases := []struct {
		spec string
		n    int
	}{
		{"builtin", len(detect.Builtin())},
		{"builtin-all", len(all)},
		{"cis", len(detect.CIS())},
		{"cis-1.5-4.1", 1},
		{"root-account-use", 1},
	}
	for _, c := range cases {
		rs, err := detect.LoadRules(c.spec)
		if err != nil || len(rs) != c.n {
			t.Errorf("LoadRules(%q) = %d rules, %v; want %d", c.spec, len(rs), err, c.n)
		}
	}
	if len(detect.Builtin()) != len(all)-1 {
		t.Errorf("default pack has %d of %d built-in rules, want all but cis-1.5-4.1", len(detect.Builtin()), len(all))
	}
	for _, r := range detect.CIS() {
		if r.Name == "cis-1.5-4.1" {
			t.Error("cis pack includes cis-1.5-4.1")
		}
	}
	if r, ok := detect.BuiltinRule("cis-1.5-4.1"); !ok || len(r.Notes) == 0 {
		t.Errorf("BuiltinRule(cis-1.5-4.1) = %v, %v; want the rule with a note on why it is not in the pack", r, ok)
	}
	if _, err := detect.LoadRules("no-such-rule"); err == nil {
		t.Error("LoadRules(no-such-rule): no error")
	}
}
