package detect

import "time"

// SummaryType is the "type" of a Summary in JSON output, which tells a
// summary from the alarm objects that precede it.
const SummaryType = "summary"

// Summary is one rule's totals over an evaluation: the figures detect's
// table prints per rule, for scripts.
type Summary struct {
	Type          string    `json:"type"` // SummaryType
	Rule          string    `json:"rule"`
	Severity      string    `json:"severity"`
	Hits          int64     `json:"hits"`                    // matching events, timed or not
	First         time.Time `json:"first,omitzero"`          // eventTime of the first match
	Last          time.Time `json:"last,omitzero"`           // eventTime of the last match
	AlarmPeriods  int       `json:"alarmPeriods"`            // alarms: periods in ALARM, per group for a grouped rule (len(Alarms))
	AlarmGroups   int       `json:"alarmGroups,omitempty"`   // groups with at least one alarm (grouped rules)
	AlarmSum      int64     `json:"alarmSum"`                // sum of the alarm periods' window sums
	Untimed       int64     `json:"untimed,omitempty"`       // matches without an eventTime, in no period
	Threshold     Threshold `json:"threshold"`               // the rule's alarm
	Period        int64     `json:"periodSeconds"`           // the rule's period
	Evaluation    int       `json:"evaluationPeriods"`       // periods per alarm window
	GroupBy       []string  `json:"groupBy,omitempty"`       // the rule's GroupBy
	CountDistinct string    `json:"countDistinct,omitempty"` // the rule's CountDistinct
	Description   string    `json:"description,omitempty"`   // the rule's description
	Source        string    `json:"source"`                  // where the rule comes from
}

// Summary returns the rule's totals.
func (r *Result) Summary() Summary {
	s := Summary{
		Type: SummaryType, Rule: r.Rule.Name, Severity: r.Rule.Severity, Hits: r.Hits, First: r.First, Last: r.Last,
		AlarmPeriods: len(r.Alarms), Untimed: r.Untimed, Threshold: r.Rule.Threshold,
		Period: int64(r.Rule.Period / time.Second), Evaluation: r.Rule.EvaluationPeriods,
		Description: r.Rule.Description, Source: r.Rule.Source, GroupBy: r.Rule.GroupBy, CountDistinct: r.Rule.CountDistinct,
	}
	groups := map[string]bool{}
	for _, a := range r.Alarms {
		s.AlarmSum += a.Sum
		if len(r.Rule.GroupBy) > 0 {
			groups[a.GroupText(r.Rule.GroupBy)] = true
		}
	}
	s.AlarmGroups = len(groups)
	return s
}
