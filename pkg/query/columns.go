package query

import (
	"slices"
	"strings"
	"sync"

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

// typedColumns is the typed schema as the engine classifies selectors,
// derived from pkg/schema's stored fields (the engine still checks each
// file's footer). Each set holds dotted paths.
type typedColumns struct {
	json   map[string]bool // free-form JSON held as text; selectors below them extract the path from that text
	groups map[string]bool // the object-valued fields stored as Parquet groups
	bools  map[string]bool // the typed boolean leaves
	leaves map[string]bool // the typed leaf columns (string, boolean, eventTime) outside lists
	top    map[string]bool // the stored top-level members (anything else is in ctqExtra)
}

// typedCols returns the typed schema. It is built on first use, not at
// package initialisation (every ctq command links this package); callers
// must not modify it.
var typedCols = sync.OnceValue(typedSchema)

func typedSchema() *typedColumns {
	tc := &typedColumns{json: map[string]bool{}, groups: map[string]bool{}, bools: map[string]bool{}, leaves: map[string]bool{}, top: map[string]bool{}}
	var walk func(f *schema.Field, prefix string)
	walk = func(f *schema.Field, prefix string) {
		for _, c := range f.Fields {
			if c.NotStored {
				continue
			}
			p := prefix + c.Name
			if prefix == "" {
				tc.top[p] = true
			}
			switch c.Kind {
			case schema.JSON:
				tc.json[p] = true
			case schema.Group:
				tc.groups[p] = true
				walk(c, p+".")
			case schema.Bool:
				tc.bools[p] = true
				tc.leaves[p] = true
			case schema.String, schema.Time:
				tc.leaves[p] = true
			}
		}
	}
	walk(schema.Record, "")
	return tc
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
	tc := typedCols()
	var parts []string
	for i, st := range sel.Steps {
		if st.Kind != StepField {
			if i > 0 && tc.json[strings.Join(parts, ".")] {
				return target{kind: tJSON, col: strings.Join(parts, "."), rest: Selector{Steps: sel.Steps[i:]}}
			}
			return target{kind: tRaw}
		}
		parts = append(parts, st.Name)
		p := strings.Join(parts, ".")
		if tc.json[p] {
			return target{kind: tJSON, col: p, rest: Selector{Steps: sel.Steps[i+1:]}}
		}
		if i == 0 && !tc.top[st.Name] {
			return target{kind: tExtra, col: colExtra, rest: sel}
		}
		if tc.groups[p] {
			continue
		}
		if i == len(sel.Steps)-1 && tc.leaves[p] {
			return target{kind: tTyped, col: p}
		}
		return target{kind: tRaw}
	}
	return target{kind: tRaw} // a group itself, or the root
}
