package query

import (
	"strings"
	"testing"

	"github.com/ctq-dev/ctq/pkg/ingest"
)

// The engine's view of the typed schema must match the schema ingest writes:
// a typed path the engine believes in but the files lack would silently match
// nothing.
func TestColumns_MatchIngestSchema(t *testing.T) {
	for p := range knownLeaves {
		if !ingest.KnownField(p) {
			t.Errorf("engine knows typed leaf %s, ingest's schema does not", p)
		}
	}
	for p := range jsonColumns {
		if !ingest.KnownField(p) {
			t.Errorf("engine knows JSON column %s, ingest's schema does not", p)
		}
	}
	for p := range typedGroups {
		if !ingest.KnownField(p) {
			t.Errorf("engine knows group %s, ingest's schema does not", p)
		}
	}
	for _, path := range ingest.ParquetSchema().Columns() {
		p := strings.Join(path, ".")
		if strings.HasPrefix(p, "ctq") || strings.HasPrefix(p, "resources.") {
			continue
		}
		if !knownLeaves[p] && !jsonColumns[p] {
			t.Errorf("ingest writes column %s, the engine does not know it", p)
		}
	}
}
