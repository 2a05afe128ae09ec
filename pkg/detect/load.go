package detect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// maxRuleFileBytes bounds one rule file: rule files are small, and a bound
// keeps a wrong path (a log archive) from being read into memory.
const maxRuleFileBytes = 8 << 20

// ruleFields are the keys of a rule in a rule file.
var ruleFields = []string{"name", "description", "pattern", "period", "threshold", "evaluation_periods", "severity", "references", "group_by", "count_distinct"}

// LoadRules returns the rules named by spec: "builtin" (the default pack),
// "builtin-all" (every built-in rule), "cis" (the default pack's CIS rules),
// the name of one built-in rule (such as "cis-1.5-4.1", which is in no
// pack), a rule file (.yaml/.yml) or a directory of rule files (read in name
// order, not recursively). Rule names must be unique.
func LoadRules(spec string) ([]*Rule, error) {
	switch spec {
	case "builtin":
		return Builtin(), nil
	case "builtin-all":
		return BuiltinAll(), nil
	case "cis":
		return CIS(), nil
	}
	if r, ok := BuiltinRule(spec); ok {
		return []*Rule{r}, nil
	}
	files, err := ruleFiles(spec, false)
	if err != nil {
		return nil, err
	}
	var out []*Rule
	for _, f := range files {
		data, err := readLimited(f)
		if err != nil {
			return nil, err
		}
		rs, err := ParseRules(f, data)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	if err := checkUnique(out); err != nil {
		return nil, err
	}
	return out, nil
}

// ruleFiles lists path itself, or the .yaml/.yml files of a directory
// (recursively when recursive is set), in name order.
func ruleFiles(path string, recursive bool) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("rules %s: %w", path, err)
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && !recursive {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := strings.ToLower(filepath.Ext(p)); ext == ".yaml" || ext == ".yml" {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rules %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("rules %s: no .yaml or .yml files", path)
	}
	sort.Strings(out)
	return out, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRuleFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxRuleFileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes; not a rule file", path, maxRuleFileBytes)
	}
	return data, nil
}

func checkUnique(rules []*Rule) error {
	seen := map[string]string{}
	for _, r := range rules {
		if prev, ok := seen[r.Name]; ok {
			return fmt.Errorf("rule %q defined twice: %s and %s", r.Name, prev, r.Source)
		}
		seen[r.Name] = r.Source
	}
	return nil
}

// ParseRules parses a rule file: a YAML list of rules, or a mapping with a
// "rules" list. Each rule is a mapping with name and pattern (required),
// description, period (a duration such as 5m), threshold (">=1"),
// evaluation_periods, severity, references, group_by (field paths that
// split the alarm per group) and count_distinct (a field path: the alarm
// counts its distinct values instead of the matches). Unknown keys are errors, so
// a typo never silently changes a rule. Errors name the file and line.
func ParseRules(file string, data []byte) ([]*Rule, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []*Rule
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		rs, err := parseRuleDoc(file, &doc)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no rules", file)
	}
	return out, nil
}

func parseRuleDoc(file string, doc *yaml.Node) ([]*Rule, error) {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind == yaml.MappingNode {
		list := mapValue(n, "rules")
		if list == nil || len(n.Content) != 2 {
			return nil, fmt.Errorf("%s:%d: want a list of rules, or a mapping with only a \"rules\" list", file, n.Line)
		}
		n = list
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: want a list of rules", file, n.Line)
	}
	var out []*Rule
	for _, item := range n.Content {
		r, err := parseRule(file, item)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func parseRule(file string, n *yaml.Node) (*Rule, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: a rule must be a mapping (name, pattern, ...)", file, n.Line)
	}
	r := &Rule{Source: fmt.Sprintf("%s:%d", file, n.Line)}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		at := fmt.Sprintf("%s:%d", file, k.Line)
		if seen[k.Value] {
			return nil, fmt.Errorf("%s: key %q repeated", at, k.Value)
		}
		seen[k.Value] = true
		var err error
		switch k.Value {
		case "name":
			r.Name, err = scalar(v)
		case "description":
			r.Description, err = scalar(v)
		case "pattern":
			r.Pattern, err = scalar(v)
		case "severity":
			r.Severity, err = scalar(v)
		case "period":
			var s string
			if s, err = scalar(v); err == nil {
				r.Period, err = parsePeriod(s)
			}
		case "threshold":
			var s string
			if s, err = scalar(v); err == nil {
				r.Threshold, err = ParseThreshold(s)
			}
		case "evaluation_periods":
			var s string
			if s, err = scalar(v); err == nil {
				if _, err = fmt.Sscanf(s, "%d", &r.EvaluationPeriods); err != nil || r.EvaluationPeriods < 1 {
					err = fmt.Errorf("evaluation_periods %q: want a whole number >= 1", s)
				}
			}
		case "references":
			r.References, err = stringList(v)
		case "group_by":
			r.GroupBy, err = stringList(v)
		case "count_distinct":
			r.CountDistinct, err = scalar(v)
		default:
			return nil, fmt.Errorf("%s: unknown key %q (a rule has %s)", at, k.Value, strings.Join(ruleFields, ", "))
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", at, k.Value, err)
		}
	}
	at := fmt.Sprintf("%s:%d", file, n.Line)
	if r.Name == "" {
		return nil, fmt.Errorf("%s: rule without a name", at)
	}
	if !seen["pattern"] {
		return nil, fmt.Errorf("%s: rule %q has no pattern (an empty pattern must be written as pattern: \"\")", at, r.Name)
	}
	if err := r.Compile(); err != nil {
		return nil, fmt.Errorf("%s: %w", at, err)
	}
	return r, nil
}

// parsePeriod parses a duration (5m, 1h, 300s) or a number of seconds.
func parsePeriod(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	var secs int64
	if _, err := fmt.Sscanf(s, "%d", &secs); err == nil && fmt.Sprint(secs) == s {
		return time.Duration(secs) * time.Second, nil
	}
	return 0, fmt.Errorf("%q: want a duration such as 5m or 1h, or seconds", s)
}

func scalar(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("want a single value, found a %s", kindName(n))
	}
	return n.Value, nil
}

func stringList(n *yaml.Node) ([]string, error) {
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("want a list of strings, found a %s", kindName(n))
	}
	var out []string
	for _, c := range n.Content {
		s, err := scalar(c)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", c.Line, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// mapValue returns the value of key in a mapping node, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "value"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}
