package lineage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultDepth is the number of hops Trace walks in each direction when
// Config.Depth is zero: enough for a user key, a role, a chained role and
// one more hop.
const DefaultDepth = 4

// DefaultMaxCredentials bounds the credentials one trace collects when
// Config.MaxCredentials is zero. A service role assumed every few minutes
// issues hundreds of sessions a day; past this bound the result says it is
// truncated rather than grow without limit.
const DefaultMaxCredentials = 500

// Config describes one trace.
type Config struct {
	// Target is what to trace: an access key id (AKIA…, ASIA…), or an ARN
	// (an assumed-role session, an IAM user or root, a federated user, or a
	// role, whose sessions are traced). It must not be empty.
	Target string
	// Since and Until bound the use events read (Since <= eventTime <
	// Until; zero is open). The issuing event of a temporary key is
	// searched from Since minus 36 h (the longest STS lifetime); that of a
	// long-term key without a lower bound.
	Since, Until time.Time
	// Depth is the number of links walked backwards (towards the root) and
	// forwards (what the target issued); 0 means DefaultDepth. It must not
	// be negative.
	Depth int
	// MaxCredentials stops the walk once this many credentials are known;
	// 0 means DefaultMaxCredentials.
	MaxCredentials int
	// KeepEvents keeps the raw records of the lineage for Result.Events.
	KeepEvents bool
}

// Validate reports a Config that Trace cannot run.
func (c Config) Validate() error {
	switch {
	case strings.TrimSpace(c.Target) == "":
		return errors.New("lineage: empty target: want an access key id or an ARN")
	case c.Depth < 0:
		return fmt.Errorf("lineage: negative depth %d", c.Depth)
	case c.MaxCredentials < 0:
		return fmt.Errorf("lineage: negative MaxCredentials %d", c.MaxCredentials)
	case !c.Since.IsZero() && !c.Until.IsZero() && !c.Since.Before(c.Until):
		return fmt.Errorf("lineage: empty window: since %s is not before until %s", c.Since.Format(time.RFC3339), c.Until.Format(time.RFC3339))
	case !validKey(c.Target) && !strings.HasPrefix(c.Target, "arn:"):
		return fmt.Errorf("lineage: target %q is neither an access key id (16-128 upper-case letters and digits) nor an ARN", c.Target)
	}
	return nil
}

// tracer holds the state of one Trace call.
type tracer struct {
	ctx   context.Context
	src   EventSource
	cfg   Config
	res   *Result
	links map[string]bool // from|to|eventID of links already added
	// issuing holds the issuing events read, for Result.Events.
	issuing []*record
}

// Trace follows the lineage of cfg.Target through the events of src:
// backwards to the credential at its root, forwards to what it issued,
// cfg.Depth links each way. Every link carries the eventID of the record
// that proves it; docs/LINEAGE.md lists the link rules. Errors come from
// cfg (Validate) or from src, wrapped with the lookup that failed.
func Trace(ctx context.Context, src EventSource, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Depth == 0 {
		cfg.Depth = DefaultDepth
	}
	if cfg.MaxCredentials == 0 {
		cfg.MaxCredentials = DefaultMaxCredentials
	}
	t := &tracer{ctx: ctx, src: src, cfg: cfg, links: map[string]bool{},
		res: &Result{Target: cfg.Target, byID: map[string]*Credential{}}}
	seeds, err := t.seed()
	if err != nil {
		return nil, err
	}
	for _, c := range seeds {
		if err := t.back(c); err != nil {
			return nil, err
		}
	}
	queue := slices.Clone(seeds)
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c.Depth >= cfg.Depth {
			if len(t.issuedBy(c)) > 0 {
				c.Warnings = append(c.Warnings, fmt.Sprintf("depth limit %d reached: what this credential issued is not followed", cfg.Depth))
			}
			continue
		}
		kids, err := t.forward(c)
		if err != nil {
			return nil, err
		}
		queue = append(queue, kids...)
	}
	t.finish()
	return t.res, nil
}

// query runs one lookup and decodes its records, skipping (and counting)
// records that are not JSON objects.
func (t *tracer) query(what, pattern string, since, until time.Time) ([]*record, error) {
	var out []*record
	bad := 0
	err := t.src.Events(t.ctx, pattern, since, until, func(raw []byte) error {
		r, err := decodeRecord(bytes.Clone(raw))
		if err != nil {
			bad++
			return nil
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lineage: %s (pattern %s): %w", what, pattern, err)
	}
	if bad > 0 {
		t.res.Warnings = append(t.res.Warnings, fmt.Sprintf("%s: %d records are not JSON objects and were skipped", what, bad))
	}
	slices.SortStableFunc(out, func(a, b *record) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// node returns the credential with id, creating it when new; created
// reports whether it was.
func (t *tracer) node(id string) (c *Credential, created bool) {
	if c := t.res.byID[id]; c != nil {
		return c, false
	}
	c = &Credential{ID: id}
	if validKey(id) {
		c.AccessKeyID = id
	}
	t.res.byID[id] = c
	t.res.Credentials = append(t.res.Credentials, c)
	return c, true
}

func (t *tracer) full() bool {
	if len(t.res.Credentials) < t.cfg.MaxCredentials {
		return false
	}
	if !t.res.Truncated {
		t.res.Truncated = true
		t.res.Warnings = append(t.res.Warnings, fmt.Sprintf("stopped at %d credentials (MaxCredentials): the lineage is incomplete", t.cfg.MaxCredentials))
	}
	return true
}

// seed turns the target into its starting credentials.
func (t *tracer) seed() ([]*Credential, error) {
	target := t.cfg.Target
	if validKey(target) {
		c, _ := t.node(target)
		c.Target = true
		return []*Credential{c}, t.loadUses(c)
	}
	if strings.Contains(target, ":role/") {
		// A role: each of its sessions in the window is a seed.
		recs, err := t.query("sessions of role "+target, roleSessionsPattern(target), t.cfg.Since, t.cfg.Until)
		if err != nil {
			return nil, err
		}
		var seeds []*Credential
		for _, r := range recs {
			is := classify(r)
			if is == nil || t.full() {
				continue
			}
			c, created := t.node(is.IssuedKey)
			if !created {
				continue
			}
			c.Target = true
			t.setIssued(c, is)
			if err := t.loadUses(c); err != nil {
				return nil, err
			}
			seeds = append(seeds, c)
		}
		return seeds, nil
	}
	// A principal or session ARN: the keys it used are the seeds; its
	// events without a key stay on a node of their own.
	recs, err := t.query("events of "+target, arnUsePattern(target), t.cfg.Since, t.cfg.Until)
	if err != nil {
		return nil, err
	}
	var seeds []*Credential
	var keyless []*record
	for _, r := range recs {
		k := r.ID.AccessKeyID
		if !validKey(k) {
			keyless = append(keyless, r)
			continue
		}
		if t.res.byID[k] != nil || t.full() {
			continue
		}
		c, _ := t.node(k)
		c.Target = true
		seeds = append(seeds, c)
	}
	for _, c := range seeds {
		if err := t.loadUses(c); err != nil {
			return nil, err
		}
	}
	if len(keyless) > 0 || len(seeds) == 0 {
		c, _ := t.node(target)
		c.Target, c.ARN, c.Mechanism = true, target, MechPrincipal
		c.recs = keyless
		c.loaded = true
		seeds = append(seeds, c)
	}
	return seeds, nil
}

// loadUses reads the events made with a key credential.
func (t *tracer) loadUses(c *Credential) error {
	if c.loaded || c.AccessKeyID == "" {
		return nil
	}
	c.loaded = true
	// An issued key is used only after its issuance.
	since := t.cfg.Since
	if c.issuedKnown && c.IssuedAt.After(since) {
		since = c.IssuedAt.Truncate(time.Second)
	}
	recs, err := t.query("uses of "+c.AccessKeyID, usePattern(c.AccessKeyID), since, t.cfg.Until)
	if err != nil {
		return err
	}
	c.recs = recs
	for _, r := range recs {
		if c.ARN == "" && r.ID.ARN != "" {
			c.ARN = r.ID.ARN
		}
		if c.PrincipalID == "" {
			c.PrincipalID = r.ID.PrincipalID
		}
		if c.Account == "" {
			c.Account = r.ID.AccountID
		}
		if c.IdentityType == "" {
			c.IdentityType = r.ID.Type
		}
		if r.ID.Workload {
			c.Workload = true
		}
		if c.SourceIdentity == "" {
			// sourceIdentity persists through chaining: it names the
			// original identity even when the issuing event is missing.
			c.SourceIdentity = r.ID.SourceIdentity
		}
	}
	return nil
}

// setIssued records on c how it was issued.
func (t *tracer) setIssued(c *Credential, is *issuance) {
	if c.Mechanism != MechUnknown {
		return
	}
	c.Mechanism = is.Mechanism
	c.IssuedAt = is.rec.Time
	c.issuedKnown = is.rec.HasTime
	c.RoleARN, c.SessionName = is.RoleARN, is.SessionName
	c.SourceIdentity = is.SourceIdentity
	if c.ARN == "" {
		c.ARN = is.IssuedARN
	}
	if c.Account == "" {
		c.Account = accountOfARN(is.IssuedARN)
	}
	if is.Rule == "L8" {
		c.Workload = true
		c.Service = strings.TrimPrefix(is.Issuer.ID, "service:")
	}
	if is.Rule == "L3" {
		if exp, ok := parseExpiration(is.Expiration); ok && is.rec.HasTime && exp.Sub(is.rec.Time) > time.Hour+time.Second {
			c.Warnings = append(c.Warnings, fmt.Sprintf("chained session lasts %s, more than the 1 h role-chaining limit: event %s may be misread", exp.Sub(is.rec.Time), is.rec.EventID))
		}
	}
}

// addLink adds a link once per (from, to, eventID).
func (t *tracer) addLink(l Link) bool {
	k := l.From + "|" + l.To + "|" + l.EventID
	if t.links[k] {
		return false
	}
	t.links[k] = true
	t.res.Links = append(t.res.Links, l)
	return true
}

func linkOf(is *issuance, from, to string) Link {
	r := is.rec
	l := Link{From: from, To: to, Rule: is.Rule, Mechanism: is.Mechanism, EventID: r.EventID,
		SharedEventID: r.SharedEventID, Account: r.Recipient, Region: r.Region, SourceIP: r.SourceIP, UserAgent: r.UserAgent}
	if r.HasTime {
		l.Time = r.Time
	}
	if is.OwnerCopy {
		l.Note = "only the role owner's copy was found: the caller's key is in the caller account's trail"
	}
	return l
}

// issuedBy lists the issuances c made among its (session-matched) uses.
func (t *tracer) issuedBy(c *Credential) []*issuance {
	var out []*issuance
	for _, r := range c.sessionRecs() {
		if is := classify(r); is != nil && is.Issuer.ID == c.ID && is.IssuedKey != c.ID {
			out = append(out, is)
		}
	}
	return out
}

// forward adds the credentials c issued and returns the new ones.
func (t *tracer) forward(c *Credential) ([]*Credential, error) {
	var kids []*Credential
	for _, is := range t.issuedBy(c) {
		child := t.res.byID[is.IssuedKey]
		if child == nil {
			if t.full() {
				break
			}
			child, _ = t.node(is.IssuedKey)
			child.Depth = c.Depth + 1
			t.setIssued(child, is)
			if err := t.loadUses(child); err != nil {
				return nil, err
			}
			kids = append(kids, child)
		} else if child.Mechanism == MechUnknown {
			t.setIssued(child, is)
		}
		if is.SourceIdentity != "" && c.SourceIdentity != "" && is.SourceIdentity != c.SourceIdentity {
			child.Warnings = append(child.Warnings, fmt.Sprintf("sourceIdentity %q differs from its issuer's %q (event %s)", is.SourceIdentity, c.SourceIdentity, is.rec.EventID))
		}
		t.addLink(linkOf(is, c.ID, child.ID))
	}
	return kids, nil
}
