package lineage

import (
	"strings"
	"time"
)

// Mechanism names how a credential was issued: the eventName of the
// issuing event, or one of the Mechanism constants for credentials that no
// event issues.
type Mechanism = string

// Mechanisms of credentials that no API event issues.
const (
	// MechUnknown: the issuing event is not in the events searched (an
	// unlinked root).
	MechUnknown Mechanism = ""
	// MechPrincipal: a principal at the root of a lineage (an IAM user or
	// root, an AWS service, a SAML or web identity, another account's
	// caller seen only through the role owner's copy).
	MechPrincipal Mechanism = "principal"
	// MechInferredSession: a session key that no event issues but that
	// belongs to an issued session by principal id and creation time
	// (rule L2c: console role switch, IAM Identity Center).
	MechInferredSession Mechanism = "session (inferred)"
)

// issuingEvents are the eventNames that hand out credentials with a key in
// responseElements (spec link rules L1, L3-L9). The bool says the key is at
// responseElements.credentials.accessKeyId (STS) rather than
// responseElements.accessKey.accessKeyId (IAM CreateAccessKey).
var issuingEvents = map[string]bool{
	"AssumeRole":                true,
	"AssumeRoleWithSAML":        true,
	"AssumeRoleWithWebIdentity": true,
	"GetSessionToken":           true,
	"GetFederationToken":        true,
	"AssumeRoot":                true,
	"CreateAccessKey":           false,
}

// issuance is one credential-issuing event, read from its record.
type issuance struct {
	rec       *record
	Mechanism Mechanism
	Rule      string // link rule of docs/LINEAGE.md
	IssuedKey string
	IssuedARN string
	// AssumedRoleID is responseElements.assumedRoleUser.assumedRoleId
	// (<AROA id>:<session>), the principalId of the session's use events.
	AssumedRoleID  string
	RoleARN        string
	SessionName    string
	SourceIdentity string
	Expiration     string
	Issuer         issuer
	// OwnerCopy: the record is the role owner's copy of a cross-account
	// call (userIdentity type AWSAccount): it names the caller's account
	// and principal id but not its key.
	OwnerCopy bool
}

// issuer is the node that issued a credential.
type issuer struct {
	ID          string // node id: an access key id, or a principal id (nodeID)
	AccessKeyID string
	ARN         string
	PrincipalID string
	Account     string
	Type        string // userIdentity.type
}

// classify returns the issuance a record proves, or nil. A failed call
// (errorCode set) or one without an issued key issues nothing.
func classify(r *record) *issuance {
	sts, ok := issuingEvents[r.EventName]
	if !ok || r.ErrorCode != "" || r.resp == nil {
		return nil
	}
	is := &issuance{rec: r, Mechanism: r.EventName}
	if sts {
		is.IssuedKey = str(r.resp, "credentials", "accessKeyId")
		is.Expiration = str(r.resp, "credentials", "expiration")
	} else {
		is.IssuedKey = str(r.resp, "accessKey", "accessKeyId")
	}
	if !validKey(is.IssuedKey) {
		return nil
	}
	if r.req != nil {
		is.RoleARN = str(r.req, "roleArn")
		is.SessionName = str(r.req, "roleSessionName")
		is.SourceIdentity = str(r.req, "sourceIdentity")
	}
	if s := str(r.resp, "sourceIdentity"); s != "" {
		is.SourceIdentity = s
	}
	is.Issuer = issuerOf(r)
	switch r.EventName {
	case "AssumeRole":
		is.IssuedARN = str(r.resp, "assumedRoleUser", "arn")
		is.AssumedRoleID = str(r.resp, "assumedRoleUser", "assumedRoleId")
		switch {
		case r.ID.Type == "AWSService" || (r.ID.InvokedBy != "" && r.ID.AccessKeyID == ""):
			is.Rule = "L8"
		case r.ID.Type == "AWSAccount":
			is.Rule, is.OwnerCopy = "L1b", true
		case r.ID.Type == "AssumedRole":
			is.Rule = "L3"
		default:
			is.Rule = "L1"
		}
		if is.IssuedARN == "" && is.RoleARN != "" && is.SessionName != "" {
			// Service AssumeRoles carry no assumedRoleUser: the session
			// ARN follows from the role and the session name.
			is.IssuedARN = sessionARN(is.RoleARN, is.SessionName)
		}
	case "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity":
		is.Rule = "L4"
		is.IssuedARN = str(r.resp, "assumedRoleUser", "arn")
		is.AssumedRoleID = str(r.resp, "assumedRoleUser", "assumedRoleId")
	case "GetSessionToken":
		is.Rule = "L5"
		is.IssuedARN = r.ID.ARN // use events show the caller's identity
	case "GetFederationToken":
		is.Rule = "L6"
		is.IssuedARN = str(r.resp, "federatedUser", "arn")
	case "AssumeRoot":
		is.Rule = "L7"
		if t := str(r.req, "targetPrincipal"); t != "" {
			is.IssuedARN = "arn:aws:iam::" + t + ":root"
		}
	case "CreateAccessKey":
		is.Rule = "L9"
		user := str(r.resp, "accessKey", "userName")
		if user == "" && r.req != nil {
			user = str(r.req, "userName")
		}
		acct := r.Recipient
		if acct == "" {
			acct = r.ID.AccountID
		}
		if user != "" && acct != "" {
			is.IssuedARN = "arn:aws:iam::" + acct + ":user/" + user
		}
	}
	return is
}

// issuerOf names the caller of an issuing event as a node: its key when the
// record has one, else the principal.
func issuerOf(r *record) issuer {
	id := r.ID
	is := issuer{AccessKeyID: id.AccessKeyID, ARN: id.ARN, PrincipalID: id.PrincipalID, Account: id.AccountID, Type: id.Type}
	if validKey(id.AccessKeyID) {
		is.ID = id.AccessKeyID
		return is
	}
	is.AccessKeyID = ""
	is.ID = principalNodeID(r)
	return is
}

// principalNodeID names a principal that holds no key in the record:
// "service:<name>", "saml:<provider>/<user>", "webidentity:<provider>/<id>",
// "account:<account>/<principalId>", or the principal's ARN.
func principalNodeID(r *record) string {
	id := r.ID
	switch id.Type {
	case "AWSService":
		if id.InvokedBy != "" {
			return "service:" + id.InvokedBy
		}
		return "service:" + r.SourceIP
	case "SAMLUser":
		p := str(r.req, "principalArn")
		if p == "" {
			p = id.IdentityProvider
		}
		return "saml:" + p + "/" + firstNonEmpty(id.UserName, id.PrincipalID)
	case "WebIdentityUser":
		return "webidentity:" + id.IdentityProvider + "/" + firstNonEmpty(id.UserName, id.PrincipalID)
	case "AWSAccount":
		return "account:" + id.AccountID + "/" + id.PrincipalID
	}
	if id.ARN != "" {
		return id.ARN
	}
	if id.InvokedBy != "" {
		return "service:" + id.InvokedBy
	}
	return "principal:" + id.Type + "/" + id.AccountID + "/" + id.PrincipalID
}

// sessionARN builds arn:aws:sts::<acct>:assumed-role/<role>/<session> from
// a role ARN (arn:<partition>:iam::<acct>:role[/path]/<name>).
func sessionARN(roleARN, session string) string {
	parts := strings.SplitN(roleARN, ":", 6)
	if len(parts) != 6 || !strings.HasPrefix(parts[5], "role/") {
		return ""
	}
	name := parts[5][strings.LastIndexByte(parts[5], '/')+1:]
	return "arn:" + parts[1] + ":sts::" + parts[4] + ":assumed-role/" + name + "/" + session
}

// validKey accepts access key ids: 16 to 128 upper-case letters and digits
// (IAM's documented limits). Placeholders such as "REDACTED" or "1111" in
// sanitised logs fail and are not linked.
func validKey(k string) bool {
	if len(k) < 16 || len(k) > 128 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// lookBack is how far before the trace window an issuing event of a
// temporary key is searched: the longest STS credential lifetime
// (GetSessionToken and GetFederationToken, 36 h).
const lookBack = 36 * time.Hour
