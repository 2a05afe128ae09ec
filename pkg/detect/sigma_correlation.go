package detect

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ctq-dev/ctq/pkg/query"
)

// correlation is a Sigma correlation rule as read from its document,
// before the rules it refers to are resolved.
type correlation struct {
	src, title, id, name string
	description, level   string
	references           []string
	typ                  string   // event_count or value_count
	rules                []string // names, ids or titles of the base rules
	groupBy              []string
	timespan             time.Duration
	threshold            Threshold
	field                string // value_count: the field whose distinct values are counted
	generate             bool   // the base rules also alarm on their own
}

// correlationTypes are the Sigma correlation types, with the reason for
// those ctq does not evaluate.
var correlationTypes = map[string]string{
	"event_count":      "",
	"value_count":      "",
	"temporal":         "it needs every base rule to match within the timespan, per group; only event_count and value_count are supported",
	"temporal_ordered": "it needs the base rules to match in order within the timespan, per group; only event_count and value_count are supported",
	"value_sum":        "it sums a field's values; only event_count and value_count are supported",
	"value_avg":        "it averages a field's values; only event_count and value_count are supported",
	"value_percentile": "it takes a percentile of a field's values; only event_count and value_count are supported",
	"value_median":     "it takes the median of a field's values; only event_count and value_count are supported",
}

// parseCorrelation reads a correlation rule document (n is its mapping).
// Errors wrap ErrUnsupported for what ctq cannot evaluate.
func parseCorrelation(src string, n *yaml.Node) (*correlation, error) {
	c := &correlation{
		src: src, title: scalarOr(mapValue(n, "title")), id: scalarOr(mapValue(n, "id")), name: scalarOr(mapValue(n, "name")),
		description: scalarOr(mapValue(n, "description")), level: scalarOr(mapValue(n, "level")),
	}
	if c.title == "" {
		return nil, fmt.Errorf("line %d: no title", n.Line)
	}
	if refs := mapValue(n, "references"); refs != nil {
		c.references, _ = stringList(refs)
	}
	corr := mapValue(n, "correlation")
	if corr.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: correlation must be a mapping", corr.Line)
	}
	c.typ = scalarOr(mapValue(corr, "type"))
	reason, known := correlationTypes[c.typ]
	switch {
	case c.typ == "":
		return nil, fmt.Errorf("line %d: correlation without a type", corr.Line)
	case !known:
		return nil, unsupportedf("correlation type %q is not a Sigma correlation type ctq knows; only event_count and value_count are supported", c.typ)
	case reason != "":
		return nil, unsupportedf("correlation type %s: %s", c.typ, reason)
	}
	for i := 0; i+1 < len(corr.Content); i += 2 {
		k, v := corr.Content[i], corr.Content[i+1]
		var err error
		switch k.Value {
		case "type":
		case "rules":
			c.rules, err = stringList(v)
		case "group-by":
			c.groupBy, err = stringList(v)
		case "timespan", "timeframe":
			var s string
			if s, err = scalar(v); err == nil {
				c.timespan, err = parseSigmaDuration(s)
			}
		case "condition":
			err = c.condition(v)
		case "generate":
			var s string
			if s, err = scalar(v); err == nil {
				c.generate, err = strconv.ParseBool(s)
			}
		case "aliases":
			err = unsupportedf("field aliases")
		default:
			err = fmt.Errorf("unknown key (a correlation has type, rules, group-by, timespan, condition, generate)")
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: correlation %s: %w", k.Line, k.Value, err)
		}
	}
	if len(c.rules) == 0 {
		return nil, fmt.Errorf("line %d: correlation without rules", corr.Line)
	}
	if c.timespan == 0 {
		return nil, fmt.Errorf("line %d: correlation without a timespan", corr.Line)
	}
	if c.threshold.Op == "" {
		return nil, fmt.Errorf("line %d: correlation without a condition", corr.Line)
	}
	if c.typ == "value_count" && c.field == "" {
		return nil, fmt.Errorf("line %d: value_count correlation without a condition field", corr.Line)
	}
	if c.typ == "event_count" && c.field != "" {
		return nil, fmt.Errorf("line %d: event_count correlation with a condition field %q (value_count counts a field's values)", corr.Line, c.field)
	}
	return c, nil
}

// correlationOps are the condition operators of a correlation, as
// thresholds.
var correlationOps = map[string]string{"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "="}

// condition reads `condition: {gte: 10}` (and `field: f` for value_count).
// A range (two operators) and neq are unsupported.
func (c *correlation) condition(v *yaml.Node) error {
	if v.Kind != yaml.MappingNode {
		return fmt.Errorf("want a mapping such as {gte: 10}, found a %s", kindName(v))
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		s, err := scalar(val)
		if err != nil {
			return fmt.Errorf("%s: %w", k.Value, err)
		}
		if k.Value == "field" {
			c.field = s
			continue
		}
		op, ok := correlationOps[k.Value]
		switch {
		case k.Value == "neq":
			return unsupportedf("the neq condition")
		case !ok:
			return fmt.Errorf("unknown operator %q (gt, gte, lt, lte, eq)", k.Value)
		case c.threshold.Op != "":
			return unsupportedf("a condition with two operators (a range)")
		}
		if c.threshold, err = ParseThreshold(op + s); err != nil {
			return fmt.Errorf("%s: %w", k.Value, err)
		}
	}
	return nil
}

// resolveCorrelations compiles each correlation over the rules it names
// (by name, id or title) into a grouped rule: the union of the base
// rules' patterns, grouped by its group-by fields, per timespan. Base
// rules that only correlations use (generate is not true) do not alarm on
// their own and are left out of the result, as Sigma specifies.
func resolveCorrelations(rules []*Rule, corrs []*correlation) ([]*Rule, []Skipped) {
	if len(corrs) == 0 {
		return rules, nil
	}
	var skipped []Skipped
	used := map[*Rule]bool{}      // base rules of some correlation
	generated := map[*Rule]bool{} // base rules that alarm on their own too
	var out []*Rule
	for _, c := range corrs {
		r, bases, err := c.compile(rules, corrs)
		if err != nil {
			skipped = append(skipped, Skipped{Name: c.title, Source: c.src, Reason: err.Error()})
			continue
		}
		for _, b := range bases {
			used[b] = true
			if c.generate {
				generated[b] = true
			}
		}
		out = append(out, r)
	}
	var kept []*Rule
	for _, r := range rules {
		if !used[r] || generated[r] {
			kept = append(kept, r)
		}
	}
	return append(kept, out...), skipped
}

// compile builds the correlation's rule; bases are the rules it uses.
// corrs are the correlations of the set, which it may not refer to.
func (c *correlation) compile(rules []*Rule, corrs []*correlation) (*Rule, []*Rule, error) {
	var bases []*Rule
	var nodes []query.Node
	var names []string
	for _, ref := range c.rules {
		var b *Rule
		for _, r := range rules {
			if ref == r.sigmaName || ref == r.sigmaID || ref == r.Name {
				b = r
				break
			}
		}
		for _, o := range corrs {
			if b == nil && (ref == o.name || ref == o.id || ref == o.title) {
				return nil, nil, unsupportedf("correlation over correlation %q", o.title)
			}
		}
		if b == nil {
			return nil, nil, fmt.Errorf("correlation rule %q: no loaded Sigma rule has this name, id or title (a rule that was skipped cannot be correlated)", ref)
		}
		if b.sigmaGrouped {
			return nil, nil, unsupportedf("correlation over rule %q, which has an aggregation condition", b.Name)
		}
		bases = append(bases, b)
		names = append(names, b.Name)
		if or, ok := b.Node.(*query.Or); ok {
			nodes = append(nodes, or.Terms...)
		} else {
			nodes = append(nodes, b.Node)
		}
	}
	var node query.Node = &query.Or{Terms: nodes}
	if len(nodes) == 1 {
		node = nodes[0]
	}
	r := &Rule{
		Name: c.title, Description: c.description, Node: node, Pattern: node.String(),
		Period: c.timespan, Threshold: c.threshold, Severity: c.level, References: c.references,
		GroupBy: c.groupBy, Source: "sigma: " + c.src, sigmaID: c.id, sigmaName: c.name, sigmaGrouped: true,
	}
	if c.id != "" {
		r.Source += " id " + c.id
	}
	if c.typ == "value_count" {
		r.CountDistinct = c.field
	}
	if _, ok := normalizeSeverity(r.Severity); !ok {
		r.Severity = ""
	}
	sort.Strings(names)
	for _, b := range bases {
		r.Notes = append(r.Notes, b.Notes...)
	}
	r.Notes = append(r.Notes,
		fmt.Sprintf("%s correlation over %s", c.typ, strings.Join(quoteAll(names), ", ")),
		"the timespan is the alarm period: counts are per fixed, aligned period, not a sliding window")
	if err := r.Compile(); err != nil {
		return nil, nil, err
	}
	return r, bases, nil
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strconv.Quote(v)
	}
	return out
}

// parseSigmaDuration parses a Sigma timeframe or timespan: a whole number
// followed by s, m, h or d (30s, 5m, 1h, 1d). Months (M) and years (y) are
// unsupported: their length varies.
func parseSigmaDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if len(t) < 2 {
		return 0, fmt.Errorf("%q: want a number and a unit (s, m, h, d), such as 5m", s)
	}
	n, err := strconv.ParseInt(t[:len(t)-1], 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q: want a positive whole number and a unit (s, m, h, d), such as 5m", s)
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[t[len(t)-1]]
	switch {
	case t[len(t)-1] == 'M' || t[len(t)-1] == 'y':
		return 0, unsupportedf("timespan %q: months and years have no fixed length", s)
	case unit == 0:
		return 0, fmt.Errorf("%q: unknown unit %q (s, m, h, d)", s, t[len(t)-1:])
	case n > int64(366*24*time.Hour/unit):
		return 0, fmt.Errorf("%q: longer than a year", s)
	}
	return time.Duration(n) * unit, nil
}
