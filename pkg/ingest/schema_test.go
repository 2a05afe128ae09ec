package ingest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/ctq-dev/ctq/pkg/schema"
)

// recordOf builds a CloudTrail record with a value for every field declared
// in pkg/schema, stored or not.
func recordOf(f *schema.Field) any {
	switch f.Kind {
	case schema.Bool:
		return true
	case schema.Time:
		return "2024-03-01T10:00:00Z"
	case schema.JSON:
		return map[string]any{"k": []any{1, "v"}}
	case schema.Group:
		m := map[string]any{}
		for _, c := range f.Fields {
			m[c.Name] = recordOf(c)
		}
		return m
	case schema.List:
		return []any{recordOf(&schema.Field{Kind: schema.Group, Fields: f.Fields})}
	}
	return "v-" + f.Name
}

// Every field declared in pkg/schema must reach ingest's decoder (a value
// slot, the time, the resources, or ctqExtra for fields not stored) and its
// Parquet writer (a column), and the writer must write nothing else: a field
// added in one place only fails here.
func TestSchema_FollowsDeclaration(t *testing.T) {
	rec, err := json.Marshal(recordOf(schema.Record))
	if err != nil {
		t.Fatal(err)
	}
	dc := newDecoder()
	if _, err := dc.decode(rec); err != nil {
		t.Fatalf("decode: %v", err)
	}
	d := &dc.d
	if !d.exact || !d.hasTime || !d.hasRes || len(d.res) != 1 {
		t.Fatalf("decoded exact %v, time %v, resources %v (%d)", d.exact, d.hasTime, d.hasRes, len(d.res))
	}
	for i, r := range d.res[0] {
		if !r.ok() {
			t.Errorf("resources member %s not decoded", resourceMembers()[i])
		}
	}
	for _, f := range tree().leaves {
		if !d.vals[f.slot].ok() {
			t.Errorf("typed leaf %s not decoded", f.path)
		}
	}
	var extra map[string]any
	if d.extra.ok() {
		all := append(rec, dc.scratch...)
		if err := json.Unmarshal(all[d.extra.off:d.extra.off+d.extra.n], &extra); err != nil {
			t.Fatalf("ctqExtra: %v", err)
		}
	}

	var want []string
	schema.Walk(schema.Record, func(path string, f *schema.Field) {
		top, _, _ := strings.Cut(path, ".")
		switch {
		case schema.Lookup(top).NotStored:
			if path == top {
				if _, ok := extra[path]; !ok {
					t.Errorf("%s is not stored, and not in ctqExtra (%v)", path, extra)
				}
			}
		case f.Kind == schema.Group || f.Kind == schema.List:
		case strings.HasPrefix(path, "resources."):
			want = append(want, "resources.list.element."+strings.TrimPrefix(path, "resources."))
		default:
			want = append(want, path)
		}
	})
	want = append(want, schema.CtqColumns...)
	for i, c := range want {
		if c == schema.ColNulls {
			want[i] = c + ".list.element"
		}
	}
	var got []string
	for _, p := range ParquetSchema().Columns() {
		got = append(got, strings.Join(p, "."))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Parquet columns differ from the declaration:\n got  %v\n want %v", got, want)
	}
}

// ingest's views of the schema are built on first use: each builds (a bad
// declaration panics here rather than in a first ingest), is built once,
// and agrees with the others.
func TestSchemaIndex_Consistent(t *testing.T) {
	ix := tree()
	if tree() != ix {
		t.Fatal("tree() built a second index")
	}
	if ix.nodes != len(ix.all) || len(ix.leaves) == 0 || ix.time == nil || ix.res == nil {
		t.Fatalf("index: %d nodes, %d in all, %d leaves, time %v, resources %v", ix.nodes, len(ix.all), len(ix.leaves), ix.time, ix.res)
	}
	if got := len(resourceMembers()); got != len(resource{}) {
		t.Errorf("%d resource members, want %d", got, len(resource{}))
	}
	if f := ix.leaves[eventIDSlot()]; f.path != schema.IDColumn {
		t.Errorf("eventIDSlot names %s, want %s", f.path, schema.IDColumn)
	}
	cols := lakeSchema().Columns()
	if plans := colPlans(); len(plans) != len(cols) {
		t.Errorf("%d column plans for %d columns", len(plans), len(cols))
	}
	if sc := sortingColumns(); len(sc) != 1 || strings.Join(cols[sc[0].ColumnIdx], ".") != schema.TimeColumn {
		t.Errorf("sorting columns %v, want %s", sc, schema.TimeColumn)
	}
	paths := nodePathBytes()
	for _, f := range ix.all {
		if string(paths[f.node]) != f.path {
			t.Errorf("node %d: path %q, want %q", f.node, paths[f.node], f.path)
		}
	}
	if s := newSpanRows(nil); s.width != len(ix.leaves) {
		t.Errorf("span rows %d wide, want %d (one per leaf)", s.width, len(ix.leaves))
	}
}
