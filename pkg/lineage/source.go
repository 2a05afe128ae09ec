package lineage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/pkg/query"
)

// EventSource delivers the CloudTrail records that match a filter pattern.
// Lineage never reads a lake itself: every lookup is one Events call with a
// selective pattern, so the source can prune with what it knows (the lake
// prunes files by their eventName/eventSource value sets and row groups by
// the bloom filter on userIdentity.accessKeyId).
type EventSource interface {
	// Events calls fn with the raw JSON text of every record that matches
	// pattern (CloudWatch Logs filter-pattern syntax, pkg/query) and whose
	// eventTime t satisfies since <= t < until; a zero bound is open.
	// Records may come in any order and a record may come more than once
	// (duplicate deliveries). fn must not retain raw after it returns. An
	// error from fn must stop the call and be returned; Events must return
	// ctx's error when ctx is done.
	Events(ctx context.Context, pattern string, since, until time.Time, fn func(raw []byte) error) error
}

// MemorySource is an EventSource over records held in memory, evaluated
// with pkg/query's reference evaluator. It serves tests and small inputs.
type MemorySource struct {
	records [][]byte
	times   []time.Time
	ok      []bool
	// Lookups records every Events call, so tests can check the lookups
	// a trace makes.
	Lookups []Lookup
}

// Lookup is one Events call.
type Lookup struct {
	Pattern      string
	Since, Until time.Time
}

var _ EventSource = (*MemorySource)(nil)

// NewMemorySource returns a source over records (raw JSON objects). The
// slice and its contents must not change while the source is used.
func NewMemorySource(records [][]byte) *MemorySource {
	s := &MemorySource{records: records, times: make([]time.Time, len(records)), ok: make([]bool, len(records))}
	for i, raw := range records {
		if r, err := decodeRecord(raw); err == nil {
			s.times[i], s.ok[i] = r.Time, r.HasTime
		}
	}
	return s
}

// Events implements EventSource. A record without a readable eventTime
// matches only when both bounds are open.
func (s *MemorySource) Events(ctx context.Context, pattern string, since, until time.Time, fn func(raw []byte) error) error {
	s.Lookups = append(s.Lookups, Lookup{pattern, since, until})
	p, err := query.Parse(pattern, query.ParseOptions{})
	if err != nil {
		return fmt.Errorf("lineage: pattern %q: %w", pattern, err)
	}
	for i, raw := range s.records {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !since.IsZero() || !until.IsZero() {
			t := s.times[i]
			if !s.ok[i] || (!since.IsZero() && t.Before(since)) || (!until.IsZero() && !t.Before(until)) {
				continue
			}
		}
		if query.MatchJSON(p.Root, raw) {
			if err := fn(raw); err != nil {
				return err
			}
		}
	}
	return nil
}

// Patterns of the lookups. Each names eventName values and an indexed
// field where it can, so a lake source prunes files and row groups.

// quote renders s as a pattern string literal: quotes, backslashes and
// wildcards escaped, control characters as \uXXXX.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r == '*':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// eventNameIn renders ($.eventName = "a" || $.eventName = "b" ...) over
// names in sorted order.
func eventNameIn(names []string) string {
	names = slices.Clone(names)
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = "$.eventName = " + quote(n)
	}
	return "(" + strings.Join(parts, " || ") + ")"
}

// issuingPattern finds the event that issued key.
func issuingPattern(key string) string {
	var sts []string
	for n, isSTS := range issuingEvents {
		if isSTS {
			sts = append(sts, n)
		}
	}
	if strings.HasPrefix(key, "AKIA") {
		return `{ $.eventName = "CreateAccessKey" && $.responseElements.accessKey.accessKeyId = ` + quote(key) + ` }`
	}
	return "{ " + eventNameIn(sts) + " && $.responseElements.credentials.accessKeyId = " + quote(key) + " }"
}

// usePattern finds every event made with key.
func usePattern(key string) string {
	return "{ $.userIdentity.accessKeyId = " + quote(key) + " }"
}

// arnUsePattern finds every event made by the principal or session arn.
func arnUsePattern(arn string) string {
	return "{ $.userIdentity.arn = " + quote(arn) + " }"
}

// roleSessionsPattern finds the AssumeRole* events of a role.
func roleSessionsPattern(roleARN string) string {
	return "{ " + eventNameIn([]string{"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"}) +
		" && $.requestParameters.roleArn = " + quote(roleARN) + " }"
}

// assumedRolePattern finds the AssumeRole* event that started the session
// with principal id pid (<AROA id>:<session name>), for sessions whose
// keys differ from the issued one (console switch, IAM Identity Center).
func assumedRolePattern(pid string) string {
	return "{ " + eventNameIn([]string{"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"}) +
		" && $.responseElements.assumedRoleUser.assumedRoleId = " + quote(pid) + " }"
}

// consoleLoginPattern finds successful console sign-ins of a principal.
func consoleLoginPattern(arn string) string {
	return `{ $.eventName = "ConsoleLogin" && $.userIdentity.arn = ` + quote(arn) + ` && $.responseElements.ConsoleLogin = "Success" }`
}

// roleCredentialsPattern finds IAM Identity Center GetRoleCredentials
// events for a permission set role name in an account.
func roleCredentialsPattern(account, roleName string) string {
	return `{ $.eventName = "GetRoleCredentials" && $.serviceEventDetails.account_id = ` + quote(account) +
		` && $.serviceEventDetails.role_name = ` + quote(roleName) + ` }`
}
