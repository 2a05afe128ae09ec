package lineage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// chainRecords is spec example E1: user key -> cross-account role in
// account A (222222222222) -> chained role in account B (333333333333).
func chainRecords() []obj {
	alice := user("111111111111", "alice", "AKIAALICE00000000001")
	deploy := session("222222222222", "Deploy", "alice", "ASIADEPLOY0000000001", "2026-01-05T10:00:00Z")
	return []obj{
		ev("e-create", "CreateAccessKey", "2026-01-01T09:00:00Z", obj{
			"userIdentity":      user("111111111111", "admin", "AKIAADMIN00000000001"),
			"requestParameters": obj{"userName": "alice"},
			"responseElements":  obj{"accessKey": obj{"accessKeyId": "AKIAALICE00000000001", "status": "Active", "userName": "alice"}}}),
		ev("e-assume-caller", "AssumeRole", "2026-01-05T10:00:00Z", obj{"sharedEventID": "s-1", "requestID": "r-1",
			"userIdentity":      alice,
			"requestParameters": obj{"roleArn": "arn:aws:iam::222222222222:role/Deploy", "roleSessionName": "alice", "sourceIdentity": "alice"},
			"responseElements":  assumed("222222222222", "Deploy", "alice", "ASIADEPLOY0000000001")}),
		ev("e-assume-owner", "AssumeRole", "2026-01-05T10:00:00Z", obj{"sharedEventID": "s-1", "requestID": "r-1", "recipientAccountId": "222222222222",
			"userIdentity":      obj{"type": "AWSAccount", "principalId": "AIDAalice", "accountId": "111111111111"},
			"requestParameters": obj{"roleArn": "arn:aws:iam::222222222222:role/Deploy", "roleSessionName": "alice", "sourceIdentity": "alice"},
			"responseElements":  assumed("222222222222", "Deploy", "alice", "ASIADEPLOY0000000001")}),
		ev("e-use1", "ListBuckets", "2026-01-05T10:01:00Z", obj{"userIdentity": deploy, "recipientAccountId": "222222222222"}),
		ev("e-chain", "AssumeRole", "2026-01-05T10:05:00Z", obj{"recipientAccountId": "222222222222", "userIdentity": deploy,
			"requestParameters": obj{"roleArn": "arn:aws:iam::333333333333:role/DbAdmin", "roleSessionName": "alice", "sourceIdentity": "alice"},
			"responseElements":  assumed("333333333333", "DbAdmin", "alice", "ASIADBADMIN000000001")}),
		ev("e-use2", "DeleteTable", "2026-01-05T10:06:00Z", obj{"recipientAccountId": "333333333333", "awsRegion": "eu-west-1", "errorCode": "AccessDenied",
			"userIdentity": session("333333333333", "DbAdmin", "alice", "ASIADBADMIN000000001", "2026-01-05T10:05:00Z")}),
		ev("e-use3", "GetItem", "2026-01-05T10:07:00Z", obj{"recipientAccountId": "333333333333",
			"userIdentity": session("333333333333", "DbAdmin", "alice", "ASIADBADMIN000000001", "2026-01-05T10:05:00Z")}),
	}
}

func TestChainBackwards(t *testing.T) {
	res := trace(t, "ASIADBADMIN000000001", chainRecords()...)
	chain := []struct{ id, from, rule, event string }{
		{"ASIADBADMIN000000001", "ASIADEPLOY0000000001", "L3", "e-chain"},
		{"ASIADEPLOY0000000001", "AKIAALICE00000000001", "L1", "e-assume-caller"},
		{"AKIAALICE00000000001", "AKIAADMIN00000000001", "L9", "e-create"},
	}
	for i, c := range chain {
		l := parentLink(t, res, c.id)
		if l.From != c.from || l.Rule != c.rule || l.EventID != c.event || l.Inferred {
			t.Errorf("link into %s = %+v, want from %s rule %s event %s", c.id, l, c.from, c.rule, c.event)
		}
		if got := res.Credential(c.id).Depth; got != -i {
			t.Errorf("%s depth %d, want %d", c.id, got, -i)
		}
	}
	if l := parentLink(t, res, "ASIADEPLOY0000000001"); l.SharedEventID != "s-1" || l.Account != "111111111111" {
		t.Errorf("cross-account link %+v: want the caller's copy (account 111111111111) with sharedEventID s-1", l)
	}
	root := res.Credential("AKIAADMIN00000000001")
	if !root.UnlinkedRoot || len(res.Parents(root.ID)) != 0 {
		t.Errorf("admin key: unlinked root %v, parents %v", root.UnlinkedRoot, res.Parents(root.ID))
	}
	db := res.Credential("ASIADBADMIN000000001")
	if !db.Target || db.Events != 2 || db.Errors != 1 || db.Mechanism != "AssumeRole" || db.SourceIdentity != "alice" ||
		!slices.Equal(db.Accounts, []string{"333333333333"}) || db.ARN != "arn:aws:sts::333333333333:assumed-role/DbAdmin/alice" {
		t.Errorf("target summary %+v", db)
	}
	if len(res.Credentials) != 4 {
		t.Errorf("%d credentials, want 4", len(res.Credentials))
	}
}

func TestChainForwards(t *testing.T) {
	res := trace(t, "AKIAALICE00000000001", chainRecords()...)
	for id, depth := range map[string]int{"AKIAADMIN00000000001": -1, "AKIAALICE00000000001": 0, "ASIADEPLOY0000000001": 1, "ASIADBADMIN000000001": 2} {
		c := res.Credential(id)
		if c == nil || c.Depth != depth {
			t.Fatalf("%s: %+v, want depth %d", id, c, depth)
		}
	}
	// The whole lineage's events: the uses (the AssumeRoles are uses of
	// their callers' keys) and the proof of the backward link. Forward
	// links are proven by the caller's copy, which is a use; the owner's
	// copy is not looked up.
	var ids []string
	for _, raw := range res.Events() {
		r, _ := decodeRecord(raw)
		ids = append(ids, r.EventID)
	}
	want := []string{"e-create", "e-assume-caller", "e-use1", "e-chain", "e-use2", "e-use3"}
	if !slices.Equal(ids, want) {
		t.Errorf("events %v, want %v", ids, want)
	}
	// Depth 1 stops after the role session.
	res2, err := Trace(context.Background(), NewMemorySource(encode(t, chainRecords()...)), Config{Target: "AKIAALICE00000000001", Depth: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Credential("ASIADBADMIN000000001") != nil || res2.Credential("ASIADEPLOY0000000001") == nil {
		t.Errorf("depth 1: %v", res2.Credentials)
	}
}

func TestOwnerCopyOnly(t *testing.T) {
	recs := chainRecords()
	recs = slices.DeleteFunc(recs, func(r obj) bool { return r["eventID"] == "e-assume-caller" })
	res := trace(t, "ASIADEPLOY0000000001", recs...)
	l := parentLink(t, res, "ASIADEPLOY0000000001")
	if l.Rule != "L1b" || l.From != "account:111111111111/AIDAalice" || l.EventID != "e-assume-owner" || l.Note == "" {
		t.Errorf("owner-copy link %+v", l)
	}
	if p := res.Credential(l.From); p.Unlinked == "" || p.Mechanism != MechPrincipal {
		t.Errorf("caller principal %+v: want a principal that cannot be followed", p)
	}
}

// TestMechanisms: each issuing mechanism links its issuer to the key its
// later use carries.
func TestMechanisms(t *testing.T) {
	use := func(key string, id obj) obj {
		id["accessKeyId"] = key
		return ev("use", "GetObject", "2026-02-01T10:30:00Z", obj{"userIdentity": id})
	}
	at := "2026-02-01T10:00:00Z"
	tests := []struct {
		name, key, from, rule, mech string
		recs                        []obj
	}{
		{"AssumeRole", "ASIAROLE000000000001", "AKIABOB0000000000001", "L1", "AssumeRole", []obj{
			ev("iss", "AssumeRole", at, obj{"userIdentity": user("111111111111", "bob", "AKIABOB0000000000001"),
				"requestParameters": obj{"roleArn": "arn:aws:iam::111111111111:role/R", "roleSessionName": "bob"},
				"responseElements":  assumed("111111111111", "R", "bob", "ASIAROLE000000000001")}),
			use("ASIAROLE000000000001", session("111111111111", "R", "bob", "", at))}},
		{"AssumeRoleWithSAML", "ASIASAML000000000001", "saml:arn:aws:iam::111111111111:saml-provider/Okta/carol@example.com", "L4", "AssumeRoleWithSAML", []obj{
			ev("iss", "AssumeRoleWithSAML", at, obj{
				"userIdentity":      obj{"type": "SAMLUser", "principalId": "x:carol@example.com", "userName": "carol@example.com", "identityProvider": "arn:aws:iam::111111111111:saml-provider/Okta"},
				"requestParameters": obj{"roleArn": "arn:aws:iam::111111111111:role/Eng", "roleSessionName": "carol@example.com", "principalArn": "arn:aws:iam::111111111111:saml-provider/Okta"},
				"responseElements":  assumed("111111111111", "Eng", "carol@example.com", "ASIASAML000000000001")}),
			use("ASIASAML000000000001", session("111111111111", "Eng", "carol@example.com", "", at))}},
		{"AssumeRoleWithWebIdentity", "ASIAWEB0000000000001", "webidentity:token.actions.githubusercontent.com/repo:org/app", "L4", "AssumeRoleWithWebIdentity", []obj{
			ev("iss", "AssumeRoleWithWebIdentity", at, obj{
				"userIdentity":      obj{"type": "WebIdentityUser", "principalId": "x", "userName": "repo:org/app", "identityProvider": "token.actions.githubusercontent.com"},
				"requestParameters": obj{"roleArn": "arn:aws:iam::111111111111:role/CI", "roleSessionName": "gha"},
				"responseElements":  assumed("111111111111", "CI", "gha", "ASIAWEB0000000000001")}),
			use("ASIAWEB0000000000001", session("111111111111", "CI", "gha", "", at))}},
		{"GetSessionToken", "ASIAGST0000000000001", "AKIADAN0000000000001", "L5", "GetSessionToken", []obj{
			ev("iss", "GetSessionToken", at, obj{"userIdentity": user("111111111111", "dan", "AKIADAN0000000000001"),
				"responseElements": obj{"credentials": obj{"accessKeyId": "ASIAGST0000000000001"}}}),
			use("ASIAGST0000000000001", user("111111111111", "dan", ""))}},
		{"GetFederationToken", "ASIAFED0000000000001", "AKIAERIN000000000001", "L6", "GetFederationToken", []obj{
			ev("iss", "GetFederationToken", at, obj{"userIdentity": user("111111111111", "erin", "AKIAERIN000000000001"),
				"requestParameters": obj{"name": "partner"},
				"responseElements": obj{"credentials": obj{"accessKeyId": "ASIAFED0000000000001"},
					"federatedUser": obj{"arn": "arn:aws:sts::111111111111:federated-user/partner", "federatedUserId": "111111111111:partner"}}}),
			use("ASIAFED0000000000001", obj{"type": "FederatedUser", "arn": "arn:aws:sts::111111111111:federated-user/partner", "principalId": "111111111111:partner", "accountId": "111111111111"})}},
		{"AssumeRoot", "ASIAROOT000000000001", "ASIAADM0000000000001", "L7", "AssumeRoot", []obj{
			ev("iss", "AssumeRoot", at, obj{"userIdentity": session("111111111111", "OrgAdmin", "ops", "ASIAADM0000000000001", "2026-02-01T09:00:00Z"),
				"requestParameters": obj{"targetPrincipal": "222222222222", "taskPolicyArn": obj{"arn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"}},
				"responseElements":  obj{"credentials": obj{"accessKeyId": "ASIAROOT000000000001"}}}),
			use("ASIAROOT000000000001", obj{"type": "Root", "arn": "arn:aws:iam::222222222222:root", "accountId": "222222222222", "principalId": "222222222222"})}},
		{"CreateAccessKey", "AKIANEW0000000000001", "arn:aws:iam::111111111111:root", "L9", "CreateAccessKey", []obj{
			ev("iss", "CreateAccessKey", at, obj{"userIdentity": obj{"type": "Root", "arn": "arn:aws:iam::111111111111:root", "accountId": "111111111111", "principalId": "111111111111"},
				"requestParameters": obj{"userName": "svc"},
				"responseElements":  obj{"accessKey": obj{"accessKeyId": "AKIANEW0000000000001", "userName": "svc", "status": "Active"}}}),
			use("AKIANEW0000000000001", user("111111111111", "svc", ""))}},
		{"service role", "ASIAECS0000000000001", "service:ecs-tasks.amazonaws.com", "L8", "AssumeRole", []obj{
			ev("iss", "AssumeRole", at, obj{"userIdentity": obj{"type": "AWSService", "invokedBy": "ecs-tasks.amazonaws.com"},
				"sourceIPAddress": "ecs-tasks.amazonaws.com", "userAgent": "ecs-tasks.amazonaws.com",
				"requestParameters": obj{"roleArn": "arn:aws:iam::111111111111:role/task", "roleSessionName": "d190d14a"},
				"responseElements":  obj{"credentials": obj{"accessKeyId": "ASIAECS0000000000001"}}}),
			use("ASIAECS0000000000001", session("111111111111", "task", "d190d14a", "", at))}},
		{"console sign-in", "ASIACONSOLE000000001", "arn:aws:iam::111111111111:user/frank", "L10", "ConsoleLogin", []obj{
			ev("iss", "ConsoleLogin", "2026-02-01T09:59:58Z", obj{"userIdentity": user("111111111111", "frank", ""),
				"responseElements": obj{"ConsoleLogin": "Success"}, "eventType": "AwsConsoleSignIn"}),
			use("ASIACONSOLE000000001", func() obj {
				u := user("111111111111", "frank", "")
				u["sessionContext"] = obj{"attributes": obj{"creationDate": at}, "sessionIssuer": obj{}}
				return u
			}())}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := trace(t, tc.key, tc.recs...)
			l := parentLink(t, res, tc.key)
			if l.From != tc.from || l.Rule != tc.rule || l.Mechanism != tc.mech || l.EventID != "iss" {
				t.Errorf("link %+v, want from %s rule %s mechanism %s", l, tc.from, tc.rule, tc.mech)
			}
			if c := res.Credential(tc.key); c.Events != 1 || c.Mechanism != tc.mech {
				t.Errorf("credential %+v: want 1 event, issued by %s", c, tc.mech)
			}
		})
	}
}

// TestIdentityCenter is spec example E3: GetRoleCredentials in the IdC
// account, AssumeRoleWithSAML in the member account, and a use whose key
// differs from the issued one.
func TestIdentityCenter(t *testing.T) {
	at := "2026-07-01T00:08:20Z"
	recs := []obj{
		ev("grc", "GetRoleCredentials", at, obj{"recipientAccountId": "607481581596", "eventType": "AwsServiceEvent",
			"userIdentity":        obj{"type": "IdentityCenterUser", "accountId": "607481581596", "onBehalfOf": obj{"userId": "976710cc5d-user"}, "credentialId": "AAAAAGpE"},
			"serviceEventDetails": obj{"role_name": "AdministratorAccess", "account_id": "950363612855"}}),
		ev("saml", "AssumeRoleWithSAML", at, obj{"recipientAccountId": "950363612855",
			"userIdentity":      obj{"type": "SAMLUser", "principalId": "x:aidan", "userName": "aidan", "identityProvider": "arn:aws:iam::950363612855:saml-provider/AWSSSO_1_DO_NOT_DELETE"},
			"requestParameters": obj{"roleArn": "arn:aws:iam::950363612855:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_7243976e43c75fc5", "roleSessionName": "aidan", "principalArn": "arn:aws:iam::950363612855:saml-provider/AWSSSO_1_DO_NOT_DELETE"},
			"responseElements": obj{"credentials": obj{"accessKeyId": "ASIA52RQV423TWB3UWEE"},
				"assumedRoleUser": obj{"assumedRoleId": "AROA52RQV4237EYPOIPDF:aidan", "arn": "arn:aws:sts::950363612855:assumed-role/AWSReservedSSO_AdministratorAccess_7243976e43c75fc5/aidan"}}}),
		ev("gci", "GetCallerIdentity", "2026-07-01T00:09:00Z", obj{"recipientAccountId": "950363612855",
			"userIdentity": obj{"type": "AssumedRole", "principalId": "AROA52RQV4237EYPOIPDF:aidan", "accessKeyId": "ASIA52RQV4232GGDZ2HL",
				"arn":            "arn:aws:sts::950363612855:assumed-role/AWSReservedSSO_AdministratorAccess_7243976e43c75fc5/aidan",
				"sessionContext": obj{"attributes": obj{"creationDate": at}}, "onBehalfOf": obj{"userId": "976710cc5d-user"}}}),
	}
	res := trace(t, "ASIA52RQV4232GGDZ2HL", recs...)
	wantChain := []struct {
		to, from, rule, event string
		inferred              bool
	}{
		{"ASIA52RQV4232GGDZ2HL", "ASIA52RQV423TWB3UWEE", "L2c", "saml", true},
		{"ASIA52RQV423TWB3UWEE", "saml:arn:aws:iam::950363612855:saml-provider/AWSSSO_1_DO_NOT_DELETE/aidan", "L4", "saml", false},
		{"saml:arn:aws:iam::950363612855:saml-provider/AWSSSO_1_DO_NOT_DELETE/aidan", "idc:976710cc5d-user", "L13", "grc", true},
	}
	for _, w := range wantChain {
		l := parentLink(t, res, w.to)
		if l.From != w.from || l.Rule != w.rule || l.EventID != w.event || l.Inferred != w.inferred {
			t.Errorf("link into %s = %+v, want %+v", w.to, l, w)
		}
	}
}

// TestCyclesAndRepeats: a key that (in crafted logs) issued its own
// issuer, a session assuming the same role three times, and a key id
// issued twice.
func TestCyclesAndRepeats(t *testing.T) {
	a := session("111111111111", "A", "s", "ASIACYCLEA0000000001", "2026-03-01T10:00:00Z")
	b := session("111111111111", "B", "s", "ASIACYCLEB0000000001", "2026-03-01T10:01:00Z")
	recs := []obj{
		ev("a-issues-b", "AssumeRole", "2026-03-01T10:01:00Z", obj{"userIdentity": a,
			"requestParameters": obj{"roleArn": "arn:aws:iam::111111111111:role/B", "roleSessionName": "s"},
			"responseElements":  assumed("111111111111", "B", "s", "ASIACYCLEB0000000001")}),
		ev("b-issues-a", "AssumeRole", "2026-03-01T10:00:00Z", obj{"userIdentity": b,
			"requestParameters": obj{"roleArn": "arn:aws:iam::111111111111:role/A", "roleSessionName": "s"},
			"responseElements":  assumed("111111111111", "A", "s", "ASIACYCLEA0000000001")}),
	}
	res := trace(t, "ASIACYCLEA0000000001", recs...)
	if len(res.Credentials) != 2 || len(res.Links) != 2 {
		t.Fatalf("cycle: %d credentials, %d links, want 2 and 2", len(res.Credentials), len(res.Links))
	}
	var sb strings.Builder
	if err := WriteTree(&sb, res); err != nil {
		t.Fatal(err)
	}
	if strings.Count(sb.String(), "see above") != 1 {
		t.Errorf("tree of a cycle should refer back once:\n%s", sb.String())
	}

	// Repeated assumptions: three sessions of one role from one key.
	src := user("111111111111", "gina", "AKIAGINA000000000001")
	recs = nil
	for i, k := range []string{"ASIAREPEAT0000000001", "ASIAREPEAT0000000002", "ASIAREPEAT0000000003"} {
		at := time.Date(2026, 3, 2, 10, i, 0, 0, time.UTC).Format(time.RFC3339)
		recs = append(recs, ev("rep-"+k[len(k)-1:], "AssumeRole", at, obj{"userIdentity": src,
			"requestParameters": obj{"roleArn": "arn:aws:iam::111111111111:role/R", "roleSessionName": "gina"},
			"responseElements":  assumed("111111111111", "R", "gina", k)}))
	}
	res = trace(t, "AKIAGINA000000000001", recs...)
	if kids := res.Children("AKIAGINA000000000001"); len(kids) != 3 {
		t.Errorf("repeated assumptions: %d children, want 3", len(kids))
	}
	roleRes := trace(t, "arn:aws:iam::111111111111:role/R", recs...)
	if n := len(roleRes.Credentials); n != 4 { // three sessions and their issuer
		t.Errorf("role target: %d credentials, want 4", n)
	}

	// A key id issued by two calls: the uses' creationDate picks one.
	twice := []obj{
		ev("first", "AssumeRole", "2026-03-03T10:00:00Z", obj{"userIdentity": user("111111111111", "h1", "AKIAH10000000000001X"),
			"requestParameters": obj{"roleArn": "arn:aws:iam::111111111111:role/R", "roleSessionName": "x"},
			"responseElements":  assumed("111111111111", "R", "x", "ASIATWICE00000000001")}),
		ev("second", "AssumeRole", "2026-03-03T11:00:00Z", obj{"userIdentity": user("111111111111", "h2", "AKIAH20000000000001X"),
			"requestParameters": obj{"roleArn": "arn:aws:iam::111111111111:role/R", "roleSessionName": "x"},
			"responseElements":  assumed("111111111111", "R", "x", "ASIATWICE00000000001")}),
		ev("use-second", "GetObject", "2026-03-03T11:10:00Z", obj{"userIdentity": session("111111111111", "R", "x", "ASIATWICE00000000001", "2026-03-03T11:00:00Z")}),
		ev("use-first", "GetObject", "2026-03-03T10:10:00Z", obj{"userIdentity": session("111111111111", "R", "x", "ASIATWICE00000000001", "2026-03-03T10:00:00Z")}),
		ev("use-second2", "GetObject", "2026-03-03T11:20:00Z", obj{"userIdentity": session("111111111111", "R", "x", "ASIATWICE00000000001", "2026-03-03T11:00:00Z")}),
	}
	res = trace(t, "ASIATWICE00000000001", twice...)
	c := res.Credential("ASIATWICE00000000001")
	if l := parentLink(t, res, c.ID); l.EventID != "second" || c.Events != 2 || c.OtherSessions != 1 || len(c.Warnings) == 0 {
		t.Errorf("collision: link %+v, credential %+v", l, c)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Target: "not a key"},
		{Target: "ASIAZQNB3KHGIGYQXVVG", Depth: -1},
		{Target: "ASIAZQNB3KHGIGYQXVVG", Since: time.Unix(100, 0), Until: time.Unix(100, 0)},
	} {
		if _, err := Trace(context.Background(), NewMemorySource(nil), cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

type failingSource struct{}

func (failingSource) Events(context.Context, string, time.Time, time.Time, func([]byte) error) error {
	return errors.New("disk on fire")
}

func TestSourceError(t *testing.T) {
	_, err := Trace(context.Background(), failingSource{}, Config{Target: "ASIAZQNB3KHGIGYQXVVG"})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || !strings.Contains(err.Error(), "ASIAZQNB3KHGIGYQXVVG") {
		t.Errorf("error %v: want the source's error with the lookup", err)
	}
}
