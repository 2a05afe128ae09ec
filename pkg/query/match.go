package query

import "strings"

// valueMatcher returns the predicate a present string value must satisfy for
// `= v`; `!= v` is its negation over present values.
func valueMatcher(v Value) func(string) bool {
	switch v.Kind {
	case ValAny:
		return func(string) bool { return true }
	case ValRegex:
		re := v.Re
		return re.MatchString
	case ValNumber:
		// A string value equals a numeric literal when it is the literal's
		// text (see the language reference).
		t := v.Text
		return func(s string) bool { return s == t }
	}
	lit := v.Str
	switch {
	case v.Prefix && v.Suffix:
		return func(s string) bool { return strings.Contains(s, lit) }
	case v.Prefix:
		return func(s string) bool { return strings.HasPrefix(s, lit) }
	case v.Suffix:
		return func(s string) bool { return strings.HasSuffix(s, lit) }
	default:
		return func(s string) bool { return s == lit }
	}
}

// exactLiteral returns the literal when `= v` can only match one exact
// string (usable with min/max statistics and bloom filters).
func exactLiteral(v Value) (string, bool) {
	switch {
	case v.Kind == ValString && !v.Prefix && !v.Suffix:
		return v.Str, true
	case v.Kind == ValNumber:
		return v.Text, true
	}
	return "", false
}
