package query

import (
	"slices"
	"strings"

	"github.com/ctq-dev/ctq/pkg/schema"
)

// Lake columns the engine knows by name, from pkg/schema. Everything else
// is discovered from the Parquet footer of each file.
const (
	colRaw    = schema.ColRaw
	colExact  = schema.ColExact
	colNulls  = schema.ColNulls + ".list.element" // the leaf of the ctqNulls list
	colExtra  = schema.ColExtra
	colTime   = schema.TimeColumn
	colID     = schema.IDColumn
	nullsRoot = schema.ColNulls
)

// The typed schema as the engine classifies selectors, derived from
// pkg/schema's stored fields (the engine still checks each file's footer):
//   - jsonColumns hold free-form JSON as text; selectors below them are
//     evaluated by extracting the path from that text;
//   - typedGroups are the object-valued fields stored as Parquet groups;
//   - boolColumns are the typed boolean leaves;
//   - knownLeaves are the typed leaf columns (string, boolean, eventTime)
//     outside lists;
//   - knownTopLevel are the stored top-level members (anything else is in
//     ctqExtra).
var jsonColumns, typedGroups, boolColumns, knownLeaves, knownTopLevel = typedSchema()

func typedSchema() (jsonCols, groups, bools, leaves, top map[string]bool) {
	jsonCols, groups, bools, leaves, top = map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	var walk func(f *schema.Field, prefix string)
	walk = func(f *schema.Field, prefix string) {
		for _, c := range f.Fields {
			if c.NotStored {
				continue
			}
			p := prefix + c.Name
			if prefix == "" {
				top[p] = true
			}
			switch c.Kind {
			case schema.JSON:
				jsonCols[p] = true
			case schema.Group:
				groups[p] = true
				walk(c, p+".")
			case schema.Bool:
				bools[p] = true
				leaves[p] = true
			case schema.String, schema.Time:
				leaves[p] = true
			}
		}
	}
	walk(schema.Record, "")
	return
}

// isRangeColumn reports whether the manifest records a per-file [min, max]
// of the column (schema.RangeColumns).
func isRangeColumn(name string) bool { return slices.Contains(schema.RangeColumns, name) }

// targetKind says where a selector's value lives in the lake.
type targetKind uint8

const (
	tTyped targetKind = iota // a typed leaf column (string, boolean, or eventTime)
	tJSON                    // below (or at) a JSON text column
	tExtra                   // a top-level member unknown to the schema: in ctqExtra
	tRaw                     // anything else: evaluated over ctqRaw
)

type target struct {
	kind targetKind
	col  string // dotted leaf path of the column
	rest Selector
}

// classify maps a selector to the column that holds its value.
func classify(sel Selector) target {
	var parts []string
	for i, st := range sel.Steps {
		if st.Kind != StepField {
			if i > 0 && jsonColumns[strings.Join(parts, ".")] {
				return target{kind: tJSON, col: strings.Join(parts, "."), rest: Selector{Steps: sel.Steps[i:]}}
			}
			return target{kind: tRaw}
		}
		parts = append(parts, st.Name)
		p := strings.Join(parts, ".")
		if jsonColumns[p] {
			return target{kind: tJSON, col: p, rest: Selector{Steps: sel.Steps[i+1:]}}
		}
		if i == 0 && !knownTopLevel[st.Name] {
			return target{kind: tExtra, col: colExtra, rest: sel}
		}
		if typedGroups[p] {
			continue
		}
		if i == len(sel.Steps)-1 && knownLeaves[p] {
			return target{kind: tTyped, col: p}
		}
		return target{kind: tRaw}
	}
	return target{kind: tRaw} // a group itself, or the root
}
