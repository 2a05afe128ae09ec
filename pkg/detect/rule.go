// Package detect runs detection rules over the lake: metric-filter rules
// (CloudWatch filter patterns with CloudWatch alarm semantics), the built-in
// CIS and classic pack, rule files, and Sigma rules compiled to the same
// query nodes. All rules of a run are evaluated together in one pass over
// the data (query.MultiPlan).
package detect

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/pkg/query"
)

// Defaults of a rule's alarm: CIS recommends an alarm on the metric with a
// threshold of 1 over one 5-minute period.
const (
	DefaultPeriod            = 5 * time.Minute
	DefaultEvaluationPeriods = 1
	DefaultSeverity          = "medium"
)

// DefaultThreshold alarms on any match in a period.
var DefaultThreshold = Threshold{Op: ">=", Value: 1}

// Severities, lowest first.
var Severities = []string{"info", "low", "medium", "high", "critical"}

// ErrUnsupported marks a rule that uses something ctq cannot evaluate; the
// rule is skipped and the others still run.
var ErrUnsupported = errors.New("unsupported")

// Rule is one detection: a pattern and the alarm on its metric.
type Rule struct {
	Name        string
	Description string
	// Pattern is the text of the rule's pattern (any form `ctq query`
	// accepts). For a Sigma rule it is the compiled pattern, for display.
	Pattern string
	// Node is the compiled pattern; Compile fills it from Pattern.
	Node              query.Node
	Period            time.Duration
	Threshold         Threshold
	EvaluationPeriods int
	Severity          string
	References        []string
	// Source says where the rule comes from: "builtin: CIS AWS Foundations
	// v1.2.0 3.1", "rules.yaml:12", "sigma: dir/rule.yml".
	Source string
	// Notes are remarks about the compilation (e.g. how a Sigma rule's
	// case-insensitive matching was compiled).
	Notes []string
	// GroupBy are field paths (shorthand spelling, such as sourceIPAddress
	// or userIdentity.arn) that split the alarm: the threshold applies to
	// each group of matches with the same values, per period. A field that
	// is absent groups as "".
	GroupBy []string
	// CountDistinct, when set, is a field path: the alarm counts the
	// distinct values of that field among the matches of a group and
	// period (Sigma's count(field) and value_count) instead of the
	// matches. It must be used with one evaluation period.
	CountDistinct string

	groupSels    []query.Selector // GroupBy, resolved by Compile
	distinctSel  query.Selector   // CountDistinct, resolved by Compile
	sigmaID      string           // a Sigma rule's id, for correlations
	sigmaName    string           // a Sigma rule's name, for correlations
	sigmaGrouped bool             // a Sigma rule with an aggregation condition
}

// Grouped reports whether the rule's alarm needs field values of its
// matches (GroupBy or CountDistinct).
func (r *Rule) Grouped() bool { return len(r.GroupBy) > 0 || r.CountDistinct != "" }

// Compile parses the rule's pattern and fills defaults. Errors name the
// rule.
func (r *Rule) Compile() error {
	if r.Name == "" {
		return fmt.Errorf("rule without a name (pattern %q)", r.Pattern)
	}
	if r.Node == nil {
		p, err := query.Parse(r.Pattern, query.ParseOptions{})
		if err != nil {
			return fmt.Errorf("rule %q: pattern: %w", r.Name, err)
		}
		r.Node = p.Root
	}
	if r.Period == 0 {
		r.Period = DefaultPeriod
	}
	if r.Period < time.Second || r.Period%time.Second != 0 {
		return fmt.Errorf("rule %q: period %s: must be a whole number of seconds, at least 1s", r.Name, r.Period)
	}
	if r.Threshold.Op == "" {
		r.Threshold = DefaultThreshold
	}
	if r.EvaluationPeriods == 0 {
		r.EvaluationPeriods = DefaultEvaluationPeriods
	}
	if r.EvaluationPeriods < 1 || r.EvaluationPeriods > maxEvaluationPeriods {
		return fmt.Errorf("rule %q: evaluation periods %d: must be between 1 and %d", r.Name, r.EvaluationPeriods, maxEvaluationPeriods)
	}
	if r.Severity == "" {
		r.Severity = DefaultSeverity
	}
	sev, ok := normalizeSeverity(r.Severity)
	if !ok {
		return fmt.Errorf("rule %q: severity %q: want one of %s", r.Name, r.Severity, strings.Join(Severities, ", "))
	}
	r.Severity = sev
	r.groupSels = r.groupSels[:0]
	for _, f := range r.GroupBy {
		sel, err := query.DefaultResolver(f)
		if err != nil {
			return fmt.Errorf("rule %q: group_by %q: %w", r.Name, f, err)
		}
		r.groupSels = append(r.groupSels, sel)
	}
	if r.CountDistinct != "" {
		sel, err := query.DefaultResolver(r.CountDistinct)
		if err != nil {
			return fmt.Errorf("rule %q: count_distinct %q: %w", r.Name, r.CountDistinct, err)
		}
		r.distinctSel = sel
		if r.EvaluationPeriods != 1 {
			return fmt.Errorf("rule %q: count_distinct counts per period: evaluation periods must be 1, not %d", r.Name, r.EvaluationPeriods)
		}
	}
	return nil
}

// maxEvaluationPeriods bounds the alarm window (CloudWatch's own limit for
// periods under one hour is 1440 minutes' worth; 1440 keeps the window sum
// cheap).
const maxEvaluationPeriods = 1440

func normalizeSeverity(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "informational" {
		s = "info"
	}
	for _, v := range Severities {
		if v == s {
			return s, true
		}
	}
	return "", false
}

// Threshold is an alarm threshold on a period's (or window's) sum, e.g. >=1.
type Threshold struct {
	Op    string // ">=", ">", "<=", "<", "="
	Value float64
}

// ParseThreshold parses '>=1', '>10', '<5', '=0'.
func ParseThreshold(s string) (Threshold, error) {
	t := strings.TrimSpace(s)
	for _, op := range []string{">=", "<=", ">", "<", "="} {
		if rest, ok := strings.CutPrefix(t, op); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				break
			}
			return Threshold{Op: op, Value: v}, nil
		}
	}
	return Threshold{}, fmt.Errorf("threshold %q: want an operator (>=, >, <=, <, =) and a number", s)
}

// Met reports whether a sum meets the threshold.
func (t Threshold) Met(x float64) bool {
	switch t.Op {
	case ">=":
		return x >= t.Value
	case "<=":
		return x <= t.Value
	case ">":
		return x > t.Value
	case "<":
		return x < t.Value
	case "=":
		return x == t.Value
	}
	return false
}

// String returns the threshold as written: ">=1".
func (t Threshold) String() string {
	return t.Op + strconv.FormatFloat(t.Value, 'g', -1, 64)
}

// MarshalText writes the threshold as ">=1".
func (t Threshold) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a threshold written by MarshalText.
func (t *Threshold) UnmarshalText(b []byte) error {
	v, err := ParseThreshold(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
