package lineage

import (
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// back walks from c towards its root, one issuing event per hop, until a
// root, a known credential or the depth limit.
func (t *tracer) back(c *Credential) error {
	for hops := 0; c != nil; hops++ {
		if c.AccessKeyID == "" || c.backDone {
			return nil
		}
		c.backDone = true
		if hops >= t.cfg.Depth {
			c.Warnings = append(c.Warnings, fmt.Sprintf("depth limit %d reached: where this credential came from is not followed", t.cfg.Depth))
			return nil
		}
		if err := t.loadUses(c); err != nil {
			return err
		}
		is, err := t.findIssuing(c)
		if err != nil {
			return err
		}
		if is == nil {
			parent, err := t.inferIssuer(c)
			if err != nil || parent == nil {
				return err
			}
			parent.Depth = min(parent.Depth, c.Depth-1)
			c = parent
			continue
		}
		t.setIssued(c, is)
		parent, created := t.node(is.Issuer.ID)
		if created {
			parent.Depth = c.Depth - 1
			t.describeIssuer(parent, is)
		}
		t.addLink(linkOf(is, parent.ID, c.ID))
		if !created {
			return nil // already known: a cycle or a shared ancestor
		}
		c = parent
	}
	return nil
}

// describeIssuer fills in a new issuer node from the issuing event.
func (t *tracer) describeIssuer(p *Credential, is *issuance) {
	p.ARN, p.PrincipalID, p.Account, p.IdentityType = is.Issuer.ARN, is.Issuer.PrincipalID, is.Issuer.Account, is.Issuer.Type
	if is.Issuer.AccessKeyID == "" {
		p.Mechanism = MechPrincipal
		if strings.HasPrefix(p.ID, "account:") {
			p.Unlinked = "the caller is known only by account and principal id (the role owner's copy of a cross-account call)"
		}
		if p.IdentityType == "SAMLUser" {
			p.Provider = str(is.rec.req, "principalArn")
		}
		if p.IdentityType == "WebIdentityUser" {
			p.Provider = is.rec.ID.IdentityProvider
		}
	}
}

// findIssuing returns the issuing event of c's key. Copies of one call
// (same sharedEventID, or same requestID and time) count once, the caller's
// copy preferred. Several distinct calls issuing the same key id mean key
// ids collided (they are not unique): the one whose time matches the
// creationDate of most uses wins, and the others are reported.
func (t *tracer) findIssuing(c *Credential) (*issuance, error) {
	since, until := t.issuingWindow(c)
	recs, err := t.query("issuing event of "+c.AccessKeyID, issuingPattern(c.AccessKeyID), since, until)
	if err != nil {
		return nil, err
	}
	t.issuing = append(t.issuing, recs...)
	var calls []*issuance
	group := map[string]int{}
	for _, r := range recs {
		is := classify(r)
		if is == nil || is.IssuedKey != c.AccessKeyID {
			continue
		}
		g := r.SharedEventID
		if g == "" {
			g = r.RequestID + "|" + r.Time.String()
			if r.RequestID == "" {
				g = "event|" + r.EventID
			}
		}
		if i, ok := group[g]; ok {
			if calls[i].OwnerCopy && !is.OwnerCopy {
				calls[i] = is
			}
			continue
		}
		group[g] = len(calls)
		calls = append(calls, is)
	}
	if len(calls) == 0 {
		return nil, nil
	}
	if len(calls) == 1 {
		return calls[0], nil
	}
	// The uses' creationDate names the session's issuing time.
	votes := map[int64]int{}
	for _, r := range c.recs {
		if r.ID.HasCreation {
			votes[r.ID.CreationDate.Unix()]++
		}
	}
	best, bestVotes := 0, -1
	ids := make([]string, len(calls))
	for i, is := range calls {
		ids[i] = is.rec.EventID
		if v := votes[is.rec.Time.Unix()]; v > bestVotes {
			best, bestVotes = i, v
		}
	}
	c.Warnings = append(c.Warnings, fmt.Sprintf("key id issued by %d calls (events %s): key ids are not unique; linked to %s, the one matching its uses' session creation time",
		len(calls), strings.Join(ids, ", "), calls[best].rec.EventID))
	return calls[best], nil
}

// issuingWindow bounds the search for c's issuing event. The uses'
// creationDate is the issuing eventTime, so when they carry one the
// window is those seconds; else the event precedes the first use by at
// most the longest temporary lifetime (36 h), or, for a long-term key,
// by any time. Without uses the trace window, widened by 36 h for
// temporary keys, applies.
func (t *tracer) issuingWindow(c *Credential) (since, until time.Time) {
	var lo, hi, first time.Time
	for _, r := range c.recs {
		if r.ID.HasCreation {
			if lo.IsZero() || r.ID.CreationDate.Before(lo) {
				lo = r.ID.CreationDate
			}
			hi = later(hi, r.ID.CreationDate)
		}
		if r.HasTime && (first.IsZero() || r.Time.Before(first)) {
			first = r.Time
		}
	}
	longTerm := strings.HasPrefix(c.AccessKeyID, "AKIA")
	switch {
	case !lo.IsZero() && !longTerm:
		return lo.Truncate(time.Second), hi.Truncate(time.Second).Add(time.Second)
	case !first.IsZero() && longTerm:
		return time.Time{}, first.Add(time.Second)
	case !first.IsZero():
		return first.Add(-lookBack), first.Add(time.Second)
	case longTerm || t.cfg.Since.IsZero():
		return time.Time{}, t.cfg.Until
	}
	return t.cfg.Since.Add(-lookBack), t.cfg.Until
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// inferIssuer handles a key with no issuing event: a session whose keys
// differ from the issued one (console role switch, IAM Identity Center;
// rule L2c), a console sign-in session of a user (L10), else an unlinked
// root. It returns the inferred parent to continue from, or nil.
func (t *tracer) inferIssuer(c *Credential) (*Credential, error) {
	var pid, arn string
	var created time.Time
	for _, r := range c.recs {
		if r.ID.HasCreation {
			pid, arn, created = r.ID.PrincipalID, r.ID.ARN, r.ID.CreationDate
			break
		}
	}
	switch {
	case created.IsZero():
	case strings.HasPrefix(pid, "AROA") && strings.Contains(pid, ":"):
		recs, err := t.query("session start of "+pid, assumedRolePattern(pid), created.Add(-time.Second), created.Add(2*time.Second))
		if err != nil {
			return nil, err
		}
		t.issuing = append(t.issuing, recs...)
		for _, r := range recs {
			is := classify(r)
			if is == nil || !sameSecond(r.Time, created) || is.IssuedKey == c.AccessKeyID {
				continue
			}
			session, _ := t.node(is.IssuedKey)
			session.Depth = min(session.Depth, c.Depth-1)
			t.setIssued(session, is)
			c.Mechanism = MechInferredSession
			l := linkOf(is, session.ID, c.ID)
			l.Rule, l.Inferred = "L2c", true
			l.Note = "same principalId and session creation time as the issued session; the key differs (console or IAM Identity Center session)"
			t.addLink(l)
			if err := t.idcOrigin(session, is); err != nil {
				return nil, err
			}
			return session, nil
		}
	case c.IdentityType == "IAMUser" || c.IdentityType == "Root":
		// A console session of a user: the latest successful sign-in at
		// or before the session's creation time. Console sessions last at
		// most 12 h.
		recs, err := t.query("console sign-in of "+arn, consoleLoginPattern(arn), created.Add(-12*time.Hour), created.Add(2*time.Second))
		if err != nil {
			return nil, err
		}
		t.issuing = append(t.issuing, recs...)
		if n := len(recs); n > 0 {
			login := recs[n-1]
			user, isNew := t.node(arn)
			if isNew {
				user.ARN, user.Account, user.IdentityType, user.Mechanism = arn, login.ID.AccountID, login.ID.Type, MechPrincipal
				user.Depth = c.Depth - 1
			}
			c.Mechanism = "ConsoleLogin"
			c.IssuedAt = login.Time
			t.addLink(Link{From: user.ID, To: c.ID, Rule: "L10", Mechanism: "ConsoleLogin", EventID: login.EventID, Time: login.Time,
				Account: login.Recipient, Region: login.Region, SourceIP: login.SourceIP, UserAgent: login.UserAgent, Inferred: true,
				Note: "latest successful console sign-in of the same user before the session's creation time"})
			return nil, nil
		}
	}
	c.UnlinkedRoot = true
	c.Unlinked = "no issuing event for this key in the events searched: issued before the window, or in an account or Region not ingested"
	if acct := KeyAccount(c.AccessKeyID); acct != "" {
		c.Unlinked += "; the key id encodes account " + acct
	}
	return nil, nil
}

// idcOrigin links an IAM Identity Center permission-set session
// (AssumeRoleWithSAML into an AWSReservedSSO_<name>_<hex> role) to the
// GetRoleCredentials call of the IdC user that most likely requested it
// (rule L13, inferred: same account and role name within 60 s).
func (t *tracer) idcOrigin(session *Credential, is *issuance) error {
	if is.Mechanism != "AssumeRoleWithSAML" {
		return nil
	}
	_, name, ok := strings.Cut(is.RoleARN, "/AWSReservedSSO_")
	if !ok {
		return nil
	}
	if i := strings.LastIndexByte(name, '_'); i > 0 {
		name = name[:i]
	}
	acct := accountOfARN(is.RoleARN)
	at := is.rec.Time
	recs, err := t.query("IAM Identity Center request for "+is.RoleARN, roleCredentialsPattern(acct, name), at.Add(-time.Minute), at.Add(time.Minute+time.Second))
	if err != nil {
		return err
	}
	t.issuing = append(t.issuing, recs...)
	for _, r := range recs {
		user := r.ID.OnBehalfOfUser
		if user == "" {
			continue
		}
		idc, created := t.node("idc:" + user)
		if created {
			idc.Mechanism, idc.IdentityType, idc.Account, idc.Depth = MechPrincipal, r.ID.Type, r.Recipient, session.Depth-2
		}
		samlID := is.Issuer.ID
		saml, created := t.node(samlID)
		if created {
			saml.Depth = session.Depth - 1
			t.describeIssuer(saml, is)
		}
		t.addLink(linkOf(is, saml.ID, session.ID))
		t.addLink(Link{From: idc.ID, To: saml.ID, Rule: "L13", Mechanism: "GetRoleCredentials", EventID: r.EventID, Time: r.Time,
			Account: r.Recipient, Region: r.Region, SourceIP: r.SourceIP, UserAgent: r.UserAgent, Inferred: true,
			Note: "IAM Identity Center GetRoleCredentials for the same account and permission set within 60 s"})
		session.backDone = true
		return nil
	}
	return nil
}

// KeyAccount decodes the AWS account id that access keys created since
// about 2019 carry in their characters 5-13; it returns "" for older keys
// (AKIAI…, AKIAJ…) and anything that does not decode.
func KeyAccount(key string) string {
	if len(key) < 20 || key[4] == 'I' || key[4] == 'J' {
		return ""
	}
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(key[4:20])
	if err != nil || len(b) < 6 {
		return ""
	}
	var z uint64
	for _, x := range b[:6] {
		z = z<<8 | uint64(x)
	}
	acct := (z & 0x7fffffffff80) >> 7
	s := strconv.FormatUint(acct, 10)
	if len(s) > 12 {
		return ""
	}
	return strings.Repeat("0", 12-len(s)) + s
}

// accountOfARN returns the account field of an ARN, or "".
func accountOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// expirationLayouts are the credentials.expiration spellings seen in logs
// (zone-less UTC text, older and newer).
var expirationLayouts = []string{"Jan 2, 2006 3:04:05 PM", "Jan 2, 2006, 3:04:05 PM", time.RFC3339}

func parseExpiration(s string) (time.Time, bool) {
	for _, l := range expirationLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
