// Package query evaluates CloudWatch Logs filter patterns (and ctq's
// field=value shorthand) over the lake.
package query

import (
	"regexp"
)

// Node is a parsed pattern. Every node prints as valid pattern text with
// String; parsing that text again yields an equal tree.
type Node interface {
	String() string
	isNode()
}

// And matches when every term matches. It has at least two terms.
type And struct{ Terms []Node }

// Or matches when any term matches. It has at least two terms.
type Or struct{ Terms []Node }

// MatchAll matches every event (the empty pattern, or `" "`).
type MatchAll struct{}

// StepKind is one step of a JSON selector.
type StepKind uint8

const (
	StepField    StepKind = iota // .name or ['dotted.name']
	StepIndex                    // [N]
	StepAnyIndex                 // [*]: any element of an array
	StepAnyField                 // .*: any member of an object (one level)
)

// Step is one selector step.
type Step struct {
	Kind  StepKind
	Name  string // StepField
	Index int    // StepIndex
}

// Selector is a JSON path from the record root, e.g. $.userIdentity.type.
type Selector struct {
	Steps []Step
}

// Op is a comparison operator.
type Op uint8

const (
	OpEq        Op = iota // =
	OpNe                  // !=
	OpLt                  // <
	OpGt                  // >
	OpLe                  // <=
	OpGe                  // >=
	OpIsNull              // IS NULL
	OpIsTrue              // IS TRUE
	OpIsFalse             // IS FALSE
	OpNotExists           // NOT EXISTS
)

// ValueKind says how a comparison value matches.
type ValueKind uint8

const (
	ValString ValueKind = iota // string (with optional leading/trailing * wildcards)
	ValNumber                  // numeric literal
	ValRegex                   // %regex%
	ValAny                     // lone *: present with a scalar value
)

// Value is the right-hand side of a comparison.
type Value struct {
	Kind ValueKind
	// Str is the literal string without quotes, escapes resolved, and
	// without the wildcard stars recorded in Prefix/Suffix.
	Str string
	// Prefix is set for a trailing * ("Event*": starts with Str); Suffix for
	// a leading * ("*Event": ends with Str). Both: contains Str.
	Prefix, Suffix bool
	Quoted         bool    // written in double quotes
	Num            float64 // ValNumber
	Text           string  // ValNumber: the literal as written; ValRegex: the source between the %
	Re             *regexp.Regexp
}

// Compare is one comparison of a selected value.
type Compare struct {
	Sel Selector
	Op  Op
	Val Value // unused for IS NULL / IS TRUE / IS FALSE / NOT EXISTS
}

// Term is one element of an unstructured term pattern, matched against the
// record's raw JSON text.
type Term struct {
	Text   string         // literal text (a word or a quoted phrase)
	Quoted bool           // written as "phrase"
	Re     *regexp.Regexp // %regex% term; Text holds its source
}

// Terms is an unstructured term pattern: every Must term and no Exclude term
// occurs, and, when Must and Exclude are both empty, at least one Any term
// occurs. (CloudWatch ignores ?terms mixed with other terms; the parser then
// drops them, with a warning.)
type Terms struct {
	Must    []Term
	Exclude []Term
	Any     []Term
}

func (*And) isNode()      {}
func (*Or) isNode()       {}
func (*MatchAll) isNode() {}
func (*Compare) isNode()  {}
func (*Terms) isNode()    {}
