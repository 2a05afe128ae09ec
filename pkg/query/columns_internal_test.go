package query

import (
	"slices"
	"strings"
	"testing"

	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/schema"
)

// Every field declared in pkg/schema must reach the engine's typed paths and
// the shorthand's names (in CloudTrail's and Athena's lower-case spelling),
// and every column ingest writes must be one the engine knows: a field added
// in one place only fails here.
func TestColumns_FollowSchema(t *testing.T) {
	schema.Walk(schema.Record, func(path string, f *schema.Field) {
		var sel Selector
		for name := range strings.SplitSeq(path, ".") {
			sel.Steps = append(sel.Steps, Step{Kind: StepField, Name: name})
		}
		inList := strings.HasPrefix(path, "resources.")
		if inList {
			sel.Steps = slices.Insert(sel.Steps, 1, Step{Kind: StepAnyIndex})
		}
		tg := classify(sel)
		switch {
		case f.NotStored:
			if tg.kind != tExtra {
				t.Errorf("%s is not stored, yet classified as %v (want ctqExtra)", path, tg.kind)
			}
		case f.Kind == schema.JSON:
			if tg.kind != tJSON || tg.col != path {
				t.Errorf("%s is a JSON column, classified as %+v", path, tg)
			}
		case inList || f.Kind == schema.List:
			// Lists are evaluated over ctqRaw.
		case f.Kind == schema.Group:
			if !typedCols().groups[path] {
				t.Errorf("%s is a stored group the engine does not know", path)
			}
		default:
			if tg.kind != tTyped || tg.col != path {
				t.Errorf("%s is a typed column, classified as %+v", path, tg)
			}
			if typedCols().bools[path] != (f.Kind == schema.Bool) {
				t.Errorf("%s: typedCols().bools says %v for a %v field", path, typedCols().bools[path], f.Kind)
			}
		}
		if f.Kind == schema.Group || f.Kind == schema.List {
			return
		}
		for _, spelling := range []string{path, strings.ToLower(path)} {
			got, err := DefaultResolver(spelling)
			if err != nil {
				t.Errorf("shorthand %s: %v", spelling, err)
				continue
			}
			if got.String() != sel.String() {
				t.Errorf("shorthand %s resolves to %s, want %s", spelling, got.String(), sel.String())
			}
		}
		if !slices.Contains(KnownFieldPaths(), path) {
			t.Errorf("KnownFieldPaths lacks %s", path)
		}
	})
	for _, path := range ingest.ParquetSchema().Columns() {
		p := strings.Join(path, ".")
		if strings.HasPrefix(p, "ctq") || strings.HasPrefix(p, "resources.") {
			continue
		}
		if !typedCols().leaves[p] && !typedCols().json[p] {
			t.Errorf("ingest writes column %s, the engine does not know it", p)
		}
	}
}
