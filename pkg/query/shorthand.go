package query

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/ctq-dev/ctq/pkg/schema"
)

// The shorthand (eventName=GetObject useridentity.username=alice) names
// CloudTrail record fields by path. DefaultResolver maps a path to a JSON
// selector: the known part case-insensitively against the documented record
// fields below (so Athena's lower-case column names work), the part below a
// free-form JSON member (requestParameters, ...) exactly as typed, because
// JSON keys are case-sensitive.

// ctType is the JSON type CloudTrail documents for a record field, as
// pkg/schema declares it.
type ctType = schema.Kind

const (
	ctString = schema.String // JSON string
	ctBool   = schema.Bool   // JSON boolean
	ctTime   = schema.Time   // timestamp string (eventTime)
	ctObject = schema.Group  // object with documented members
	ctJSON   = schema.JSON   // free-form JSON: any member names below it
	ctArray  = schema.List   // array of objects with documented members (resources)
)

// ctField is one documented CloudTrail record field.
type ctField struct {
	name     string
	typ      ctType
	children []*ctField // ctObject members, or ctArray element members
}

// ctRecord returns the documented CloudTrail record, pkg/schema's Record
// with the fields the lake does not store as columns too: the shorthand
// resolves every documented field, wherever the lake keeps it. It is built
// on first use and never modified.
var ctRecord = sync.OnceValue(func() *ctField { return ctFieldOf(schema.Record) })

// ctFieldOf converts a declared field and its members.
func ctFieldOf(sf *schema.Field) *ctField {
	f := &ctField{name: sf.Name, typ: sf.Kind}
	for _, c := range sf.Fields {
		f.children = append(f.children, ctFieldOf(c))
	}
	return f
}

func (f *ctField) child(name string, fold bool) *ctField {
	for _, c := range f.children {
		if c.name == name || fold && strings.EqualFold(c.name, name) {
			return c
		}
	}
	return nil
}

func (f *ctField) childNames() string {
	names := make([]string, len(f.children))
	for i, c := range f.children {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// KnownFieldPaths returns every documented CloudTrail field path that holds
// a value (leaves and free-form JSON members), in CloudTrail spelling, e.g.
// "userIdentity.sessionContext.attributes.mfaAuthenticated", "resources.ARN",
// "requestParameters".
func KnownFieldPaths() []string {
	var out []string
	var walk func(f *ctField, prefix string)
	walk = func(f *ctField, prefix string) {
		for _, c := range f.children {
			p := prefix + c.name
			switch c.typ {
			case ctObject, ctArray:
				walk(c, p+".")
			default:
				out = append(out, p)
			}
		}
	}
	walk(ctRecord(), "")
	return out
}

// DefaultResolver resolves a shorthand field path to a selector. The
// documented part of the path is matched case-insensitively ("eventname",
// "useridentity.sessioncontext.sessionissuer.username"); below a free-form
// JSON member (requestParameters, responseElements, additionalEventData,
// serviceEventDetails, edgeDeviceDetails, insightDetails, eventContext,
// userIdentity.sessionContext.webIdFederationData.attributes) the rest is
// kept exactly as typed and may use [N], [*] and .* steps. A field below
// resources without an index selects any element: resources.arn is
// $.resources[*].ARN. Errors are *FieldError.
func DefaultResolver(path string) (Selector, error) {
	raw, err := splitShorthandPath(path)
	if err != nil {
		return Selector{}, err
	}
	var sel Selector
	f := ctRecord()
	typed := "" // CloudTrail spelling of the resolved prefix
	for i := 0; i < len(raw); i++ {
		st := raw[i]
		switch f.typ {
		case ctJSON:
			sel.Steps = append(sel.Steps, raw[i:]...)
			return sel, nil
		case ctString, ctBool, ctTime:
			if st.Kind == StepIndex || st.Kind == StepAnyIndex {
				return Selector{}, &FieldError{Path: path, Reason: fmt.Sprintf("%s is a %s field, not an array; in %q", typed, f.typ, path)}
			}
			return Selector{}, &FieldError{Path: path, Reason: fmt.Sprintf("%s is a %s field and has no members; in %q", typed, f.typ, path)}
		case ctArray:
			switch st.Kind {
			case StepIndex, StepAnyIndex:
				sel.Steps = append(sel.Steps, st)
				f = &ctField{name: f.name, typ: ctObject, children: f.children}
				typed += stepText(st)
				continue
			case StepField:
				sel.Steps = append(sel.Steps, Step{Kind: StepAnyIndex})
				f = &ctField{name: f.name, typ: ctObject, children: f.children}
			default:
				return Selector{}, &FieldError{Path: path, Reason: fmt.Sprintf("%s is an array; use %s[*] or %s.%s", typed, typed, typed, f.children[0].name)}
			}
		}
		// f is an object with documented members.
		switch st.Kind {
		case StepIndex, StepAnyIndex:
			return Selector{}, &FieldError{Path: path, Reason: fmt.Sprintf("%s is an object, not an array; in %q", nameOr(typed, "the record"), path)}
		case StepAnyField:
			// Any member: the rest cannot be checked.
			sel.Steps = append(sel.Steps, raw[i:]...)
			return sel, nil
		}
		c := f.child(st.Name, true)
		if c == nil {
			return Selector{}, &FieldError{Path: path, Reason: fmt.Sprintf("unknown field %q", path), Suggestions: suggestFields(path)}
		}
		sel.Steps = append(sel.Steps, Step{Kind: StepField, Name: c.name})
		if typed != "" {
			typed += "."
		}
		typed += c.name
		f = c
	}
	switch f.typ {
	case ctObject:
		return Selector{}, &FieldError{Path: path, Reason: fmt.Sprintf("%s is an object; compare one of its fields (%s)", nameOr(typed, "the record"), f.childNames())}
	case ctArray:
		return Selector{}, &FieldError{Path: path, Reason: fmt.Sprintf("%s is an array of {%s}; compare one of their fields, e.g. %s.%s", typed, f.childNames(), typed, f.children[0].name)}
	}
	return sel, nil
}

func nameOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func stepText(st Step) string {
	switch st.Kind {
	case StepIndex:
		return fmt.Sprintf("[%d]", st.Index)
	case StepAnyIndex:
		return "[*]"
	case StepAnyField:
		return ".*"
	}
	return "." + st.Name
}

// splitShorthandPath splits a shorthand path such as "a.b[0].c", "a[*]" or
// "a.*" into steps (names as typed).
func splitShorthandPath(path string) ([]Step, error) {
	bad := func(why string) error {
		return &FieldError{Path: path, Reason: fmt.Sprintf("invalid field path %q: %s", path, why)}
	}
	var steps []Step
	i := 0
	expectName := true
	for i < len(path) {
		c := path[i]
		switch {
		case c == '.':
			if expectName {
				return nil, bad("empty name before '.'")
			}
			expectName = true
			i++
		case c == '[':
			if expectName {
				return nil, bad("'[' must follow a name")
			}
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				return nil, bad("missing ']'")
			}
			inner := path[i+1 : i+end]
			switch {
			case inner == "*":
				steps = append(steps, Step{Kind: StepAnyIndex})
			case inner != "" && strings.Trim(inner, "0123456789") == "" && len(inner) <= 9:
				n := 0
				for _, d := range inner {
					n = n*10 + int(d-'0')
				}
				steps = append(steps, Step{Kind: StepIndex, Index: n})
			default:
				return nil, bad(fmt.Sprintf("[%s] is not an array index", inner))
			}
			i += end + 1
		default:
			if !expectName {
				return nil, bad(fmt.Sprintf("unexpected %q", c))
			}
			if c == '*' {
				steps = append(steps, Step{Kind: StepAnyField})
				i++
				expectName = false
				continue
			}
			start := i
			for i < len(path) && isSelIdentByte(path[i]) {
				i++
			}
			if i == start {
				return nil, bad(fmt.Sprintf("unexpected %q", c))
			}
			steps = append(steps, Step{Kind: StepField, Name: path[start:i]})
			expectName = false
		}
	}
	if expectName {
		if path == "" {
			return nil, bad("empty path")
		}
		return nil, bad("ends with '.'")
	}
	return steps, nil
}

// suggestFields returns up to 5 known paths close to a mistyped one: paths
// with the same last name (case-insensitive), then by edit distance.
func suggestFields(typed string) []string {
	lt := strings.ToLower(typed)
	last := lt
	if i := strings.LastIndexAny(lt, ".]"); i >= 0 {
		last = lt[i+1:]
	}
	type cand struct {
		path string
		d    int
	}
	var cs []cand
	for _, p := range KnownFieldPaths() {
		lp := strings.ToLower(p)
		plast := lp[strings.LastIndexByte(lp, '.')+1:]
		d := editDistance(lt, lp)
		if plast == last {
			d = 0
		} else if strings.HasPrefix(lp, lt) {
			d = 1
		} else if dl := editDistance(last, plast); dl <= 2 && dl+1 < d {
			d = dl + 1
		}
		limit := 2
		if len(lt) > 12 {
			limit = 3
		}
		if d <= limit || strings.HasPrefix(lp, lt+".") {
			cs = append(cs, cand{p, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for i := 0; i < len(cs) && i < 5; i++ {
		out = append(out, cs[i].path)
	}
	return out
}

// editDistance is the Levenshtein distance of two ASCII-ish strings.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// lookupSelector finds the documented field a selector names (exact,
// case-sensitive, as JSON keys are). It returns nil when the selector leaves
// the documented fields; free is true when it goes below a free-form JSON
// member (where anything may exist). Wildcard steps into documented objects
// make the result unknown (nil, free=true).
func lookupSelector(sel Selector) (f *ctField, free bool) {
	f = ctRecord()
	for _, st := range sel.Steps {
		switch f.typ {
		case ctJSON:
			return f, true
		case ctArray:
			if st.Kind == StepIndex || st.Kind == StepAnyIndex {
				f = &ctField{name: f.name, typ: ctObject, children: f.children}
				continue
			}
			return nil, false
		case ctObject:
			switch st.Kind {
			case StepField:
				c := f.child(st.Name, false)
				if c == nil {
					return nil, false
				}
				f = c
			case StepAnyField:
				return nil, true
			default:
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return f, f.typ == ctJSON
}

// KnownSelector reports whether sel names a documented CloudTrail record
// field or something below a free-form JSON member, with CloudTrail's exact
// (case-sensitive) spelling. Selectors that start with a wildcard are
// reported as known. It is Lint's default.
func KnownSelector(sel Selector) bool {
	if len(sel.Steps) > 0 && (sel.Steps[0].Kind == StepAnyField || sel.Steps[0].Kind == StepAnyIndex) {
		return true
	}
	f, free := lookupSelector(sel)
	return f != nil || free
}
