package detect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/ctq-dev/ctq/pkg/query"
)

// Skipped is a rule that could not be loaded, with the reason.
type Skipped struct {
	Name   string // the rule's title (or the file when it has none)
	Source string // file (and document number in a multi-document file)
	Reason string
}

func (s Skipped) String() string { return fmt.Sprintf("%s (%s): %s", s.Name, s.Source, s.Reason) }

// LoadSigma loads the Sigma rules of a file or directory (recursively,
// .yml/.yaml). Rules for another log source and rules using unsupported
// features are returned in skipped with the reason; an error is returned
// only for unreadable files. Correlation rules may refer to rules of any
// file of the set.
func LoadSigma(p string) (rules []*Rule, skipped []Skipped, err error) {
	files, err := ruleFiles(p, true)
	if err != nil {
		return nil, nil, err
	}
	var corrs []*correlation
	for _, f := range files {
		data, err := readLimited(f)
		if err != nil {
			return nil, nil, err
		}
		rs, cs, sk := parseSigmaDocs(f, data)
		rules = append(rules, rs...)
		corrs = append(corrs, cs...)
		skipped = append(skipped, sk...)
	}
	rules, sk := resolveCorrelations(rules, corrs)
	return rules, append(skipped, sk...), nil
}

// ParseSigma compiles the Sigma rules of one file (one rule per YAML
// document), correlation rules included (over the rules of the same
// file). It never fails as a whole: each rule that cannot be compiled is
// reported in skipped.
func ParseSigma(file string, data []byte) (rules []*Rule, skipped []Skipped) {
	rules, corrs, skipped := parseSigmaDocs(file, data)
	rules, sk := resolveCorrelations(rules, corrs)
	return rules, append(skipped, sk...)
}

// parseSigmaDocs compiles the detection rules of one file and reads its
// correlation rules, which resolveCorrelations compiles once every file
// of the set is read.
func parseSigmaDocs(file string, data []byte) (rules []*Rule, corrs []*correlation, skipped []Skipped) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 1; ; i++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		src := file
		if i > 1 {
			src = fmt.Sprintf("%s#%d", file, i)
		}
		if err != nil {
			skipped = append(skipped, Skipped{Name: path.Base(file), Source: src, Reason: "not YAML: " + err.Error()})
			break // the decoder cannot resynchronise after a syntax error
		}
		var r *Rule
		if n := docRoot(&doc); mapValue(n, "correlation") != nil {
			var c *correlation
			if c, err = parseCorrelation(src, n); err == nil {
				corrs = append(corrs, c)
				continue
			}
		} else {
			r, err = compileSigma(src, &doc)
		}
		if err != nil {
			name := sigmaTitle(&doc)
			if name == "" {
				name = path.Base(file)
			}
			skipped = append(skipped, Skipped{Name: name, Source: src, Reason: err.Error()})
			continue
		}
		rules = append(rules, r)
	}
	return rules, corrs, skipped
}

// docRoot returns the content of a YAML document node.
func docRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0]
	}
	return doc
}

func sigmaTitle(doc *yaml.Node) string {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if t := mapValue(n, "title"); t != nil && t.Kind == yaml.ScalarNode {
		return t.Value
	}
	return ""
}

// unsupportedf returns an error wrapping ErrUnsupported.
func unsupportedf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))
}

// compileSigma compiles one Sigma rule document.
func compileSigma(src string, doc *yaml.Node) (*Rule, error) {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: a Sigma rule must be a mapping", n.Line)
	}
	if a := mapValue(n, "action"); a != nil {
		return nil, unsupportedf("rule collections (action: %s) are not supported", a.Value)
	}
	title := mapValue(n, "title")
	if title == nil || title.Kind != yaml.ScalarNode || title.Value == "" {
		return nil, fmt.Errorf("line %d: no title", n.Line)
	}
	ls := mapValue(n, "logsource")
	product, service := strings.ToLower(scalarOr(mapValue(ls, "product"))), strings.ToLower(scalarOr(mapValue(ls, "service")))
	if product != "aws" || service != "cloudtrail" {
		return nil, fmt.Errorf("logsource product %q service %q: only product aws, service cloudtrail", product, service)
	}
	det := mapValue(n, "detection")
	if det == nil || det.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: no detection mapping", n.Line)
	}
	c := &sigmaCompiler{searches: map[string]*yaml.Node{}}
	var cond, timeframe *yaml.Node
	for i := 0; i+1 < len(det.Content); i += 2 {
		k, v := det.Content[i], det.Content[i+1]
		switch k.Value {
		case "condition":
			cond = v
		case "timeframe":
			timeframe = v
		default:
			c.order = append(c.order, k.Value)
			c.searches[k.Value] = v
		}
	}
	if cond == nil {
		return nil, fmt.Errorf("line %d: detection has no condition", det.Line)
	}
	var conds []string
	switch cond.Kind {
	case yaml.ScalarNode:
		conds = []string{cond.Value}
	case yaml.SequenceNode:
		for _, e := range cond.Content {
			if e.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: condition list items must be strings", e.Line)
			}
			conds = append(conds, e.Value)
		}
	default:
		return nil, fmt.Errorf("line %d: condition must be a string or a list of strings", cond.Line)
	}
	var alts []bexpr
	var agg *aggregation
	for _, cs := range conds {
		e, a, err := c.condition(cs)
		if err != nil {
			return nil, fmt.Errorf("condition %q: %w", cs, err)
		}
		if a != nil {
			if len(conds) > 1 {
				return nil, unsupportedf("condition %q: an aggregation in a list of conditions", cs)
			}
			agg = a
		}
		alts = append(alts, e)
	}
	root := alts[0]
	if len(alts) > 1 {
		root = bexpr{op: bOr, kids: alts}
	}
	node, err := root.node(false)
	if err != nil {
		return nil, err
	}
	r := &Rule{
		Name:        title.Value,
		Description: scalarOr(mapValue(n, "description")),
		Node:        node,
		Pattern:     node.String(),
		Severity:    scalarOr(mapValue(n, "level")),
		Source:      "sigma: " + src,
	}
	if id := scalarOr(mapValue(n, "id")); id != "" {
		r.Source += " id " + id
	}
	if refs := mapValue(n, "references"); refs != nil {
		r.References, _ = stringList(refs)
	}
	if _, ok := normalizeSeverity(r.Severity); !ok {
		r.Severity = "" // Sigma levels are info..critical; anything else: the default
	}
	r.Notes = c.notes
	r.sigmaID, r.sigmaName = scalarOr(mapValue(n, "id")), scalarOr(mapValue(n, "name"))
	if agg != nil {
		if timeframe == nil || timeframe.Kind != yaml.ScalarNode {
			return nil, unsupportedf("an aggregation without a timeframe (a count over the whole search)")
		}
		if r.Period, err = parseSigmaDuration(timeframe.Value); err != nil {
			return nil, fmt.Errorf("timeframe: %w", err)
		}
		r.GroupBy, r.CountDistinct, r.Threshold, r.sigmaGrouped = agg.by, agg.field, agg.threshold, true
		r.Notes = append(r.Notes, "the timeframe is the alarm period: counts are per fixed, aligned period, not a sliding window")
	}
	if err := r.Compile(); err != nil {
		return nil, err
	}
	return r, nil
}

func scalarOr(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// bexpr is a boolean expression over query leaves. Sigma's `not` has no
// counterpart in the pattern language, so negation is pushed down to the
// leaves (De Morgan) when the tree is turned into query nodes.
type bexpr struct {
	op   bop
	kids []bexpr
	leaf query.Node // bLeaf: a *Compare or a one-term *Terms
}

type bop uint8

const (
	bLeaf bop = iota
	bAnd
	bOr
	bNot
	bTrue
	bFalse
)

// node converts the expression to query nodes; neg negates it.
func (e bexpr) node(neg bool) (query.Node, error) {
	switch e.op {
	case bNot:
		return e.kids[0].node(!neg)
	case bTrue, bFalse:
		if (e.op == bTrue) != neg {
			return &query.MatchAll{}, nil
		}
		return nil, unsupportedf("the condition can never match")
	case bAnd, bOr:
		and := (e.op == bAnd) != neg
		var kids []query.Node
		for _, k := range e.kids {
			n, err := k.node(neg)
			if err != nil {
				return nil, err
			}
			// Flatten nested nodes of the same kind.
			switch x := n.(type) {
			case *query.And:
				if and {
					kids = append(kids, x.Terms...)
					continue
				}
			case *query.Or:
				if !and {
					kids = append(kids, x.Terms...)
					continue
				}
			}
			kids = append(kids, n)
		}
		if len(kids) == 1 {
			return kids[0], nil
		}
		if and {
			return &query.And{Terms: kids}, nil
		}
		return &query.Or{Terms: kids}, nil
	}
	if !neg {
		return e.leaf, nil
	}
	return negateLeaf(e.leaf)
}

// negateLeaf returns the complement of one comparison or term. A Sigma
// negation is true when the field is absent: not(f = v) is
// f NOT EXISTS || f IS NULL || f != v.
func negateLeaf(n query.Node) (query.Node, error) {
	switch x := n.(type) {
	case *query.Terms:
		return &query.Terms{Exclude: x.Must}, nil
	case *query.Compare:
		for _, st := range x.Sel.Steps {
			if st.Kind == query.StepAnyIndex || st.Kind == query.StepAnyField {
				return nil, unsupportedf("not over a field with several values (%s)", x.Sel)
			}
		}
		absent := &query.Compare{Sel: x.Sel, Op: query.OpNotExists}
		null := &query.Compare{Sel: x.Sel, Op: query.OpIsNull}
		switch x.Op {
		case query.OpEq:
			if x.Val.Kind == query.ValAny {
				return &query.Or{Terms: []query.Node{absent, null}}, nil
			}
			return &query.Or{Terms: []query.Node{absent, null, &query.Compare{Sel: x.Sel, Op: query.OpNe, Val: x.Val}}}, nil
		case query.OpNotExists:
			return &query.Or{Terms: []query.Node{null, &query.Compare{Sel: x.Sel, Op: query.OpEq, Val: query.Value{Kind: query.ValAny}}}}, nil
		}
		return nil, unsupportedf("not over %s", x)
	}
	return nil, fmt.Errorf("BUG: cannot negate %T", n)
}

// sigmaCompiler compiles a rule's search identifiers and condition.
type sigmaCompiler struct {
	searches map[string]*yaml.Node
	order    []string
	notes    []string
	cache    map[string]bexpr
}

func (c *sigmaCompiler) note(s string) {
	for _, n := range c.notes {
		if n == s {
			return
		}
	}
	c.notes = append(c.notes, s)
}

// search compiles one search identifier.
func (c *sigmaCompiler) search(name string) (bexpr, error) {
	if e, ok := c.cache[name]; ok {
		return e, nil
	}
	n, ok := c.searches[name]
	if !ok {
		return bexpr{}, fmt.Errorf("unknown search identifier %q", name)
	}
	var e bexpr
	var err error
	switch n.Kind {
	case yaml.MappingNode:
		e, err = c.fieldMap(n)
	case yaml.SequenceNode:
		e, err = c.searchList(n)
	case yaml.ScalarNode:
		e, err = c.keyword(n)
	default:
		err = fmt.Errorf("line %d: a search must be a mapping, a list or a keyword", n.Line)
	}
	if err != nil {
		return bexpr{}, fmt.Errorf("%s: %w", name, err)
	}
	if c.cache == nil {
		c.cache = map[string]bexpr{}
	}
	c.cache[name] = e
	return e, nil
}

// searchList is a list of mappings (any of them) or of keywords (any of
// them).
func (c *sigmaCompiler) searchList(n *yaml.Node) (bexpr, error) {
	var kids []bexpr
	for _, item := range n.Content {
		var e bexpr
		var err error
		switch item.Kind {
		case yaml.MappingNode:
			e, err = c.fieldMap(item)
		case yaml.ScalarNode:
			e, err = c.keyword(item)
		default:
			err = fmt.Errorf("line %d: a search list holds mappings or keywords", item.Line)
		}
		if err != nil {
			return bexpr{}, err
		}
		kids = append(kids, e)
	}
	if len(kids) == 0 {
		return bexpr{}, fmt.Errorf("line %d: empty search list", n.Line)
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return bexpr{op: bOr, kids: kids}, nil
}

// keyword is a value searched anywhere in the record's text.
func (c *sigmaCompiler) keyword(n *yaml.Node) (bexpr, error) {
	if n.Tag == "!!null" {
		return bexpr{}, unsupportedf("line %d: a null keyword", n.Line)
	}
	pat, hasWild := sigmaGlob(n.Value)
	if !hasWild && !hasCase(n.Value) {
		return bexpr{op: bLeaf, leaf: &query.Terms{Must: []query.Term{{Text: n.Value, Quoted: true}}}}, nil
	}
	re, err := regexp.Compile("(?is)" + pat)
	if err != nil {
		return bexpr{}, fmt.Errorf("line %d: keyword %q: %w", n.Line, n.Value, err)
	}
	c.note("keywords match the raw record text case-insensitively")
	return bexpr{op: bLeaf, leaf: &query.Terms{Must: []query.Term{{Text: re.String(), Re: re}}}}, nil
}

// fieldMap is a mapping of field (with modifiers) to values: all must hold.
func (c *sigmaCompiler) fieldMap(n *yaml.Node) (bexpr, error) {
	var kids []bexpr
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		e, err := c.field(k, v)
		if err != nil {
			return bexpr{}, fmt.Errorf("line %d: %s: %w", k.Line, k.Value, err)
		}
		kids = append(kids, e)
	}
	if len(kids) == 0 {
		return bexpr{}, fmt.Errorf("line %d: empty search mapping", n.Line)
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return bexpr{op: bAnd, kids: kids}, nil
}

// fieldSpec is a field name with its modifiers.
type fieldSpec struct {
	sel                                     query.Selector
	contains, startswith, endswith, re, all bool
	cased, exists                           bool
	cmp                                     query.Op // lt/gt/lte/gte, else OpEq
	reFlags                                 string
}

func parseFieldSpec(key string) (fieldSpec, error) {
	parts := strings.Split(key, "|")
	fs := fieldSpec{cmp: query.OpEq}
	if parts[0] == "" {
		return fs, unsupportedf("a field-less value list with modifiers (%q)", key)
	}
	sel, err := query.DefaultResolver(parts[0])
	if err != nil {
		return fs, unsupportedf("field %q: %v", parts[0], err)
	}
	fs.sel = sel
	kinds := 0
	for _, m := range parts[1:] {
		switch m {
		case "contains":
			fs.contains = true
			kinds++
		case "startswith":
			fs.startswith = true
			kinds++
		case "endswith":
			fs.endswith = true
			kinds++
		case "re":
			fs.re = true
			kinds++
		case "all":
			fs.all = true
		case "cased":
			fs.cased = true
		case "exists":
			fs.exists = true
			kinds++
		case "lt", "gt", "lte", "gte":
			fs.cmp = map[string]query.Op{"lt": query.OpLt, "gt": query.OpGt, "lte": query.OpLe, "gte": query.OpGe}[m]
			kinds++
		case "i", "m", "s":
			if !fs.re {
				return fs, unsupportedf("modifier %q outside re", m)
			}
			fs.reFlags += m
		default:
			return fs, unsupportedf("modifier %q", m)
		}
	}
	if kinds > 1 {
		return fs, unsupportedf("modifiers %q combined", strings.Join(parts[1:], "|"))
	}
	return fs, nil
}

// field compiles one `field|modifiers: value(s)` entry.
func (c *sigmaCompiler) field(k, v *yaml.Node) (bexpr, error) {
	fs, err := parseFieldSpec(k.Value)
	if err != nil {
		return bexpr{}, err
	}
	var vals []*yaml.Node
	switch v.Kind {
	case yaml.ScalarNode:
		vals = []*yaml.Node{v}
	case yaml.SequenceNode:
		vals = v.Content
		if len(vals) == 0 {
			return bexpr{}, fmt.Errorf("empty value list")
		}
	default:
		return bexpr{}, fmt.Errorf("want a value or a list of values, found a %s", kindName(v))
	}
	var kids []bexpr
	for _, val := range vals {
		if val.Kind != yaml.ScalarNode {
			return bexpr{}, fmt.Errorf("line %d: want a value, found a %s", val.Line, kindName(val))
		}
		e, err := c.value(fs, val)
		if err != nil {
			return bexpr{}, err
		}
		kids = append(kids, e)
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	if fs.all {
		return bexpr{op: bAnd, kids: kids}, nil
	}
	return bexpr{op: bOr, kids: kids}, nil
}

func leaf(sel query.Selector, op query.Op, v query.Value) bexpr {
	return bexpr{op: bLeaf, leaf: &query.Compare{Sel: sel, Op: op, Val: v}}
}

// value compiles one value of a field.
func (c *sigmaCompiler) value(fs fieldSpec, v *yaml.Node) (bexpr, error) {
	switch {
	case fs.exists:
		want, err := strconv.ParseBool(v.Value)
		if err != nil {
			return bexpr{}, fmt.Errorf("exists: want true or false, found %q", v.Value)
		}
		present := bexpr{op: bOr, kids: []bexpr{
			leaf(fs.sel, query.OpEq, query.Value{Kind: query.ValAny}),
			leaf(fs.sel, query.OpIsNull, query.Value{}),
		}}
		if want {
			return present, nil
		}
		return leaf(fs.sel, query.OpNotExists, query.Value{}), nil
	case fs.cmp != query.OpEq:
		f, err := strconv.ParseFloat(v.Value, 64)
		if err != nil {
			return bexpr{}, fmt.Errorf("numeric comparison with %q", v.Value)
		}
		return leaf(fs.sel, fs.cmp, query.Value{Kind: query.ValNumber, Num: f, Text: v.Value}), nil
	case v.Tag == "!!null":
		// Sigma: the field is absent (or null).
		return bexpr{op: bOr, kids: []bexpr{
			leaf(fs.sel, query.OpNotExists, query.Value{}),
			leaf(fs.sel, query.OpIsNull, query.Value{}),
		}}, nil
	case fs.re:
		flags := ""
		if strings.Contains(fs.reFlags, "i") {
			flags += "i"
		}
		if strings.Contains(fs.reFlags, "m") {
			flags += "m"
		}
		if strings.Contains(fs.reFlags, "s") {
			flags += "s"
		}
		src := v.Value
		if flags != "" {
			src = "(?" + flags + ")" + src
		}
		re, err := regexp.Compile(src)
		if err != nil {
			return bexpr{}, unsupportedf("regular expression %q: %v", v.Value, err)
		}
		return leaf(fs.sel, query.OpEq, query.Value{Kind: query.ValRegex, Text: src, Re: re}), nil
	case (v.Tag == "!!int" || v.Tag == "!!float") && !fs.contains && !fs.startswith && !fs.endswith:
		f, err := strconv.ParseFloat(v.Value, 64)
		if err == nil {
			// = with a number matches the JSON number and its text.
			return leaf(fs.sel, query.OpEq, query.Value{Kind: query.ValNumber, Num: f, Text: v.Value}), nil
		}
	}
	return c.stringValue(fs, v.Value)
}

// stringValue compiles a string match: Sigma wildcards (* and ?, \ escapes)
// plus contains/startswith/endswith, case-insensitive unless |cased.
// A match that the filter-pattern language can say exactly (a literal,
// with * only at either end, and no letters whose case matters, or
// |cased) becomes a plain string comparison, which keeps statistics,
// bloom-filter and dictionary pruning; anything else becomes an anchored
// case-insensitive regular expression on the same selector.
func (c *sigmaCompiler) stringValue(fs fieldSpec, s string) (bexpr, error) {
	glob, lit, pre, suf, simple := sigmaParts(s)
	prefix := fs.contains || fs.startswith // "starts with": a trailing wildcard
	suffix := fs.contains || fs.endswith
	if simple && (fs.cased || !hasCase(lit)) {
		v := query.Value{Kind: query.ValString, Str: lit, Quoted: true, Prefix: prefix || pre, Suffix: suffix || suf}
		if lit == "" && (v.Prefix || v.Suffix) {
			v = query.Value{Kind: query.ValAny}
		}
		return leaf(fs.sel, query.OpEq, v), nil
	}
	src := glob
	if !suffix {
		src = "^" + src
	}
	if !prefix {
		src += "$"
	}
	flags := "(?s)"
	if !fs.cased {
		flags = "(?is)"
		c.note("string values match case-insensitively (compiled to regular expressions)")
	}
	re, err := regexp.Compile(flags + src)
	if err != nil {
		return bexpr{}, fmt.Errorf("value %q: %w", s, err)
	}
	return leaf(fs.sel, query.OpEq, query.Value{Kind: query.ValRegex, Text: re.String(), Re: re}), nil
}

// sigmaParts reads a Sigma string value. glob is its regular-expression
// form (unanchored); lit, pre and suf describe it as a literal with
// optional leading (suf) and trailing (pre) wildcards when simple is true
// (no ? and no * in the middle).
func sigmaParts(s string) (glob, lit string, pre, suf, simple bool) {
	var g, l strings.Builder
	simple = true
	type tok struct {
		wild byte // '*', '?' or 0 for a literal rune
		r    rune
	}
	var toks []tok
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\\' && i+1 < len(rs) && (rs[i+1] == '*' || rs[i+1] == '?' || rs[i+1] == '\\'):
			toks = append(toks, tok{r: rs[i+1]})
			i++
		case r == '*' || r == '?':
			toks = append(toks, tok{wild: byte(r)})
		default:
			toks = append(toks, tok{r: r})
		}
	}
	for i, t := range toks {
		switch t.wild {
		case '*':
			g.WriteString(".*")
			switch {
			case i == 0:
				suf = true
			case i == len(toks)-1:
				pre = true
			default:
				simple = false
			}
		case '?':
			g.WriteString(".")
			simple = false
		default:
			g.WriteString(regexp.QuoteMeta(string(t.r)))
			l.WriteRune(t.r)
		}
	}
	if len(toks) == 1 && toks[0].wild == '*' {
		pre, suf = true, true
	}
	return g.String(), l.String(), pre, suf, simple
}

// sigmaGlob is the unanchored regular-expression form of a keyword and
// whether it has wildcards.
func sigmaGlob(s string) (string, bool) {
	glob, _, pre, suf, simple := sigmaParts(s)
	return glob, pre || suf || !simple
}

// hasCase reports whether s has a character that case folding relates to
// another one: only then can a case-insensitive match differ from an exact
// one.
func hasCase(s string) bool {
	for _, r := range s {
		if unicode.SimpleFold(r) != r {
			return true
		}
	}
	return false
}
