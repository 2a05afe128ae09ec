package insights

import "strings"

// commandWords are the names that start a command, supported or not.
var commandWords = map[string]bool{
	"fields": true, "display": true, "filter": true, "where": true, "stats": true, "sort": true,
	"limit": true, "dedup": true, "parse": true, "unnest": true,
}

// LooksLikeQuery reports whether text is meant as a query rather than a
// filter pattern, for commands that accept both: its first word (after
// blank and # comment lines) is a command name (fields, filter, where,
// stats, sort, limit, dedup, display, parse, unnest, in any case) followed
// by more text that does not start with an operator (so that the
// shorthand pattern sort=asc stays a pattern), or it has a top-level '|'
// and parses as a query ({ … } | stats count(*)). Anything else, a lone
// { … } included, is a filter pattern.
func LooksLikeQuery(text string) bool {
	rest := text
	for {
		rest = strings.TrimLeft(rest, " \t\r\n")
		if !strings.HasPrefix(rest, "#") {
			break
		}
		_, rest, _ = strings.Cut(rest, "\n")
	}
	n := 0
	for n < len(rest) && (rest[n]|0x20 >= 'a' && rest[n]|0x20 <= 'z') {
		n++
	}
	if commandWords[strings.ToLower(rest[:n])] {
		after := strings.TrimLeft(rest[n:], " \t\r\n")
		if n < len(rest) && strings.ContainsRune(" \t\r\n(", rune(rest[n])) && after != "" && !strings.ContainsRune("=!<>", rune(after[0])) {
			return true
		}
	}
	toks, err := lex(text)
	if err != nil {
		return false
	}
	for _, tk := range toks {
		if tk.kind == tokPipe {
			_, err := Parse(text)
			return err == nil
		}
	}
	return false
}
