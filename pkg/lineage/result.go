package lineage

import (
	"cmp"
	"slices"
	"sort"
	"time"
)

// Result is a traced lineage.
type Result struct {
	// Target is Config.Target.
	Target string `json:"target"`
	// Credentials are the nodes: access keys, and principals that hold no
	// key (an AWS service, a SAML identity, a user at the root), ordered by
	// lineage depth, then first use.
	Credentials []*Credential `json:"credentials"`
	// Links join an issuer to what it issued, each with its proof.
	Links []Link `json:"links"`
	// Warnings are things the trace could not decide or had to cut short.
	Warnings []string `json:"warnings,omitempty"`
	// Truncated: the walk stopped at Config.MaxCredentials.
	Truncated bool `json:"truncated,omitempty"`

	byID   map[string]*Credential
	events []*record // with Config.KeepEvents
}

// Credential is one node of a lineage.
type Credential struct {
	// ID identifies the node: the access key id, or for a principal
	// without a key its ARN, "service:<name>", "saml:<provider>/<user>",
	// "webidentity:<provider>/<id>", "account:<id>/<principalId>" or
	// "idc:<userId>".
	ID           string `json:"id"`
	AccessKeyID  string `json:"accessKeyId,omitempty"`
	ARN          string `json:"arn,omitempty"`
	PrincipalID  string `json:"principalId,omitempty"`
	Account      string `json:"account,omitempty"`
	IdentityType string `json:"identityType,omitempty"`
	// Mechanism is how the credential was issued: the issuing eventName
	// (AssumeRole, CreateAccessKey, ...), "ConsoleLogin" (inferred),
	// MechInferredSession, MechPrincipal, or "" when unknown.
	Mechanism Mechanism `json:"issuedBy"`
	IssuedAt  time.Time `json:"issuedAt,omitzero"`
	// RoleARN and SessionName come from the issuing AssumeRole*.
	RoleARN        string `json:"roleArn,omitempty"`
	SessionName    string `json:"sessionName,omitempty"`
	SourceIdentity string `json:"sourceIdentity,omitempty"`
	Provider       string `json:"provider,omitempty"`
	// Service is the AWS service that obtained the credential for a
	// workload (rule L8).
	Service string `json:"service,omitempty"`
	// Workload: issued to an AWS service for a workload, or used with
	// ec2RoleDelivery or inScopeOf.
	Workload bool `json:"workload,omitempty"`
	// Target: the credential is (one of) the trace's target.
	Target bool `json:"target,omitempty"`
	// Depth is the number of links from the target: negative for
	// ancestors, positive for what the target issued.
	Depth int `json:"depth"`
	// UnlinkedRoot: a key whose issuing event was not found; Unlinked
	// says why a node cannot be followed further.
	UnlinkedRoot bool   `json:"unlinkedRoot,omitempty"`
	Unlinked     string `json:"unlinkedReason,omitempty"`

	Summary
	Flags    []Flag   `json:"flags,omitempty"`
	Warnings []string `json:"warnings,omitempty"`

	recs        []*record
	loaded      bool
	backDone    bool
	issuedKnown bool
}

// Summary is what a credential did.
type Summary struct {
	Events     int       `json:"events"`
	First      time.Time `json:"first,omitzero"`
	Last       time.Time `json:"last,omitzero"`
	Accounts   []string  `json:"accounts,omitempty"`
	Regions    []string  `json:"regions,omitempty"`
	TopAPIs    []Count   `json:"topApis,omitempty"`
	SourceIPs  []string  `json:"sourceIPs,omitempty"`
	UserAgents []string  `json:"userAgents,omitempty"`
	Errors     int       `json:"errors"`
	ErrorCodes []Count   `json:"errorCodes,omitempty"`
	// OtherSessions counts events with the same key id but another
	// session creation time: another credential whose key id collided.
	OtherSessions int `json:"otherSessionEvents,omitempty"`
}

// Count is a value with its number of events.
type Count struct {
	Value string `json:"value"`
	N     int    `json:"n"`
}

// Link joins an issuer to a credential it issued.
type Link struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Rule is the link rule of docs/LINEAGE.md (L1, L1b, L2c, L3 ...).
	Rule      string    `json:"rule"`
	Mechanism string    `json:"mechanism"`
	EventID   string    `json:"eventID"`
	Time      time.Time `json:"time,omitzero"`
	// SharedEventID joins the copies of a cross-account call.
	SharedEventID string `json:"sharedEventID,omitempty"`
	Account       string `json:"account,omitempty"` // recipientAccountId of the proving record
	Region        string `json:"region,omitempty"`
	SourceIP      string `json:"sourceIPAddress,omitempty"`
	UserAgent     string `json:"userAgent,omitempty"`
	// Inferred: the link rests on matching times and names, not on a key
	// the record names.
	Inferred bool   `json:"inferred,omitempty"`
	Note     string `json:"note,omitempty"`
}

// Flag is a finding on a credential.
type Flag struct {
	// Kind is FlagExfiltration.
	Kind string `json:"kind"`
	// Reasons say which tests fired.
	Reasons []string `json:"reasons"`
	// Evidence are the eventIDs: the service's own first use, then each
	// use from elsewhere.
	Evidence []string `json:"evidence"`
}

// Credential returns the node with id, or nil.
func (r *Result) Credential(id string) *Credential { return r.byID[id] }

// Parents returns the links into id, Children those out of it, in time
// order.
func (r *Result) Parents(id string) []Link {
	return r.linksWhere(func(l Link) bool { return l.To == id })
}
func (r *Result) Children(id string) []Link {
	return r.linksWhere(func(l Link) bool { return l.From == id })
}

func (r *Result) linksWhere(keep func(Link) bool) []Link {
	var out []Link
	for _, l := range r.Links {
		if keep(l) {
			out = append(out, l)
		}
	}
	return out
}

// Events returns the raw records of the lineage (the uses of every
// credential and the records proving its links), once each, in eventTime
// order. It is empty unless Config.KeepEvents was set.
func (r *Result) Events() [][]byte {
	out := make([][]byte, 0, len(r.events))
	for _, e := range r.events {
		out = append(out, e.raw)
	}
	return out
}

// sessionRecs are c's uses that belong to its session: for an issued key,
// those whose creationDate (when present) is the issuing time (rule L2).
func (c *Credential) sessionRecs() []*record {
	if !c.issuedKnown || c.Mechanism == "CreateAccessKey" {
		return c.recs
	}
	var out []*record
	for _, r := range c.recs {
		if r.ID.HasCreation && !sameSecond(r.ID.CreationDate, c.IssuedAt) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// finish computes summaries and flags, orders the result and collects
// the events.
func (t *tracer) finish() {
	res := t.res
	seen := map[string]bool{}
	keep := func(r *record) {
		k := r.EventID
		if k == "" {
			k = string(r.raw)
		}
		if !seen[k] {
			seen[k] = true
			res.events = append(res.events, r)
		}
	}
	for _, c := range res.Credentials {
		recs := c.sessionRecs()
		c.Summary.add(recs)
		c.OtherSessions = len(c.recs) - len(recs)
		if c.OtherSessions > 0 {
			c.Warnings = append(c.Warnings, "some events carry this key id with another session creation time (a key id collision); they are left out")
		}
		if f, ok := exfiltration(c, recs); ok {
			c.Flags = append(c.Flags, f)
		}
		if t.cfg.KeepEvents {
			for _, r := range recs {
				keep(r)
			}
		}
	}
	if t.cfg.KeepEvents {
		proofs := map[string]bool{}
		for _, l := range res.Links {
			proofs[l.EventID] = true
		}
		for _, r := range t.issuing {
			if proofs[r.EventID] || (r.SharedEventID != "" && t.sharedProof(r.SharedEventID)) {
				keep(r)
			}
		}
		slices.SortStableFunc(res.events, func(a, b *record) int {
			return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.EventID, b.EventID))
		})
	}
	slices.SortStableFunc(res.Credentials, func(a, b *Credential) int {
		return cmp.Or(cmp.Compare(a.Depth, b.Depth), a.First.Compare(b.First), cmp.Compare(a.ID, b.ID))
	})
	slices.SortStableFunc(res.Links, func(a, b Link) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.EventID, b.EventID), cmp.Compare(a.To, b.To))
	})
}

func (t *tracer) sharedProof(id string) bool {
	for _, l := range t.res.Links {
		if l.SharedEventID == id {
			return true
		}
	}
	return false
}

// topN is how many APIs and error codes a summary lists.
const topN = 5

// add accumulates records into s.
func (s *Summary) add(recs []*record) {
	var a accum
	for _, r := range recs {
		a.add(r)
	}
	a.into(s)
}

// accum gathers a Summary one record at a time, keeping only counts and
// distinct values, never the records.
type accum struct {
	events, errors                 int
	first, last                    time.Time
	apis, errs                     map[string]int
	accts, regions, ips, uas, keys set
}

func (a *accum) add(r *record) {
	if a.apis == nil {
		a.apis, a.errs = map[string]int{}, map[string]int{}
		a.accts, a.regions, a.ips, a.uas, a.keys = set{}, set{}, set{}, set{}, set{}
	}
	a.events++
	if r.HasTime {
		if a.first.IsZero() || r.Time.Before(a.first) {
			a.first = r.Time
		}
		if r.Time.After(a.last) {
			a.last = r.Time
		}
	}
	a.accts.add(r.Recipient)
	a.regions.add(r.Region)
	a.ips.add(r.SourceIP)
	a.uas.add(r.UserAgent)
	a.keys.add(r.ID.AccessKeyID)
	a.apis[r.EventSource+":"+r.EventName]++
	if r.ErrorCode != "" {
		a.errors++
		a.errs[r.ErrorCode]++
	}
}

func (a *accum) into(s *Summary) {
	s.Events, s.Errors, s.First, s.Last = a.events, a.errors, a.first, a.last
	s.Accounts, s.Regions, s.SourceIPs, s.UserAgents = a.accts.sorted(), a.regions.sorted(), a.ips.sorted(), a.uas.sorted()
	s.TopAPIs, s.ErrorCodes = top(a.apis, topN), top(a.errs, topN)
}

type set map[string]bool

func (s set) add(v string) {
	if v != "" {
		s[v] = true
	}
}

func (s set) sorted() []string {
	out := make([]string, 0, len(s))
	for v := range s {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// top returns the n most frequent values, ties by value.
func top(m map[string]int, n int) []Count {
	out := make([]Count, 0, len(m))
	for v, k := range m {
		out = append(out, Count{v, k})
	}
	slices.SortFunc(out, func(a, b Count) int { return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Value, b.Value)) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}
