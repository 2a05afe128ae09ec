package gen

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Lineages: Config.Lineages scenarios of credentials issued by one event
// and used by later ones, so that a trace has something to follow. Each
// scenario is derived from Seed and its index alone, and its records go
// into log files of their own, interleaved with the others by delivery
// time. The scenarios cycle through four kinds:
//
//  0. chain: an IAM user creates a key for another user (CreateAccessKey);
//     that key assumes a role in the next account (caller's and owner's
//     copies with one sharedEventID), whose session assumes a role in the
//     account after (role chaining); the creating user also calls
//     GetSessionToken. Each issued key is used by later calls.
//  1. federation: a SAML session (AssumeRoleWithSAML), a web identity
//     session (AssumeRoleWithWebIdentity) and a federated user
//     (GetFederationToken), each used afterwards.
//  2. stolen workload key: Lambda assumes a function's role; the key is
//     used by the function (awslambda-worker, an AWS address), then from
//     an outside address with the AWS CLI.
//  3. clean workload key: ECS assumes a task role; the key is used only by
//     the task.

// linRec is one rendered lineage record.
type linRec struct {
	acct, region int
	t            int64
	raw          []byte
}

// ctRecord is a CloudTrail record in CloudTrail's member order.
type ctRecord struct {
	EventVersion       string `json:"eventVersion"`
	UserIdentity       any    `json:"userIdentity"`
	EventTime          string `json:"eventTime"`
	EventSource        string `json:"eventSource"`
	EventName          string `json:"eventName"`
	AWSRegion          string `json:"awsRegion"`
	SourceIPAddress    string `json:"sourceIPAddress"`
	UserAgent          string `json:"userAgent"`
	RequestParameters  any    `json:"requestParameters"`
	ResponseElements   any    `json:"responseElements"`
	RequestID          string `json:"requestID"`
	EventID            string `json:"eventID"`
	ReadOnly           bool   `json:"readOnly"`
	EventType          string `json:"eventType"`
	ManagementEvent    bool   `json:"managementEvent"`
	RecipientAccountID string `json:"recipientAccountId"`
	SharedEventID      string `json:"sharedEventID,omitempty"`
	EventCategory      string `json:"eventCategory"`
}

type jobj = map[string]any

// linBuilder renders the records of one scenario.
type linBuilder struct {
	m    *model
	g    *rng
	out  []linRec
	gReg int // index of the region receiving global (IAM, STS) events
}

func (b *linBuilder) key(prefix string) string {
	return string(b.g.appendChars([]byte(prefix), upperNum, 16))
}
func (b *linBuilder) uuid() string { return string(b.g.appendUUID(nil)) }

// add renders one record into account a's trail.
func (b *linBuilder) add(a, region int, t int64, src, name, ip, ua string, id, req, resp any, shared string) {
	ro := strings.HasPrefix(name, "AssumeRole") || strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "List") || strings.HasPrefix(name, "Describe")
	r := ctRecord{EventVersion: "1.09", UserIdentity: id, EventTime: time.Unix(t, 0).UTC().Format(time.RFC3339), EventSource: src, EventName: name,
		AWSRegion: b.m.regions[region], SourceIPAddress: ip, UserAgent: ua, RequestParameters: req, ResponseElements: resp,
		RequestID: b.uuid(), EventID: b.uuid(), ReadOnly: ro, EventType: "AwsApiCall", ManagementEvent: true,
		RecipientAccountID: b.m.accounts[a].id, SharedEventID: shared, EventCategory: "Management"}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // CloudTrail writes <, > and & as they are
	enc.Encode(r)            // plain strings, maps and bools cannot fail
	b.out = append(b.out, linRec{acct: a, region: region, t: t, raw: bytes.TrimSuffix(buf.Bytes(), []byte("\n"))})
}

func expiration(t int64) string { return time.Unix(t, 0).UTC().Format("Jan 2, 2006, 3:04:05 PM") }
func isoTime(t int64) string    { return time.Unix(t, 0).UTC().Format(time.RFC3339) }

func userID(a *account, u *user, key string) jobj {
	id := jobj{"type": "IAMUser", "principalId": u.id, "arn": u.arn, "accountId": a.id, "userName": u.name}
	if key != "" {
		id["accessKeyId"] = key
	}
	return id
}

func sessionID(a *account, ro *role, session, key string, created int64) jobj {
	return jobj{"type": "AssumedRole", "principalId": ro.id + ":" + session,
		"arn": "arn:aws:sts::" + a.id + ":assumed-role/" + ro.name + "/" + session, "accountId": a.id, "accessKeyId": key,
		"sessionContext": jobj{"sessionIssuer": jobj{"type": "Role", "principalId": ro.id, "arn": ro.arn, "accountId": a.id, "userName": ro.name},
			"attributes": jobj{"creationDate": isoTime(created), "mfaAuthenticated": "false"}}}
}

func assumeResp(a *account, ro *role, session, key string, t, life int64) jobj {
	return jobj{"credentials": jobj{"accessKeyId": key, "sessionToken": "<redacted>", "expiration": expiration(t + life)},
		"assumedRoleUser": jobj{"assumedRoleId": ro.id + ":" + session, "arn": "arn:aws:sts::" + a.id + ":assumed-role/" + ro.name + "/" + session}}
}

// uses renders n calls made with a credential, from t on.
func (b *linBuilder) uses(a, n int, t int64, ip, ua string, id jobj, calls [][2]string) int64 {
	for i := 0; i < n; i++ {
		t += 5 + b.g.Int64N(90)
		c := calls[b.g.IntN(len(calls))]
		reg := b.g.IntN(len(b.m.regions))
		if c[0] == "sts.amazonaws.com" || c[0] == "iam.amazonaws.com" {
			reg = b.gReg
		}
		b.add(a, reg, t, c[0], c[1], ip, ua, id, nil, nil, "")
	}
	return t
}

var (
	cliUA    = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/sts.get-caller-identity"
	reconAPI = [][2]string{{"sts.amazonaws.com", "GetCallerIdentity"}, {"s3.amazonaws.com", "ListBuckets"}, {"iam.amazonaws.com", "ListRoles"},
		{"secretsmanager.amazonaws.com", "ListSecrets"}, {"ec2.amazonaws.com", "DescribeInstances"}}
	workAPI = [][2]string{{"logs.amazonaws.com", "CreateLogStream"}, {"logs.amazonaws.com", "PutLogEvents"}, {"dynamodb.amazonaws.com", "GetItem"},
		{"s3.amazonaws.com", "GetObject"}, {"kms.amazonaws.com", "Decrypt"}}
)

func findRole(a *account, kind roleKind) *role {
	for i := range a.roles {
		if a.roles[i].kind == kind {
			return &a.roles[i]
		}
	}
	return &a.roles[0]
}

// scenario renders lineage i.
func (b *linBuilder) scenario(i int) {
	m, g := b.m, b.g
	n := len(m.accounts)
	ai, bi, ci := i%n, (i+1)%n, (i+2)%n
	A, B, C := m.accounts[ai], m.accounts[bi], m.accounts[ci]
	t := m.start + g.Int64N(max(1, m.span-4*3600))
	ip := string(g.appendIPv4(nil))
	sts, iam := "sts.amazonaws.com", "iam.amazonaws.com"
	switch i % 4 {
	case 0: // chain
		admin, target := &A.users[0], &A.users[len(A.users)-1]
		adminKey := admin.keys[0]
		newKey := b.key("AKIA")
		b.add(ai, b.gReg, t, iam, "CreateAccessKey", ip, cliUA, userID(A, admin, adminKey), jobj{"userName": target.name},
			jobj{"accessKey": jobj{"accessKeyId": newKey, "status": "Active", "userName": target.name, "createDate": expiration(t)}}, "")
		t += 60 + g.Int64N(600)
		ro := findRole(B, rkAdmin)
		session := target.name
		k1 := b.key("ASIA")
		req := jobj{"roleArn": ro.arn, "roleSessionName": session, "durationSeconds": 3600}
		resp := assumeResp(B, ro, session, k1, t, 3600)
		shared := ""
		if bi != ai {
			shared = b.uuid()
			b.add(bi, b.gReg, t, sts, "AssumeRole", ip, cliUA, jobj{"type": "AWSAccount", "principalId": target.id, "accountId": A.id}, req, resp, shared)
		}
		b.add(ai, b.gReg, t, sts, "AssumeRole", ip, cliUA, userID(A, target, newKey), req, resp, shared)
		s1 := sessionID(B, ro, session, k1, t)
		t2 := b.uses(bi, 3+g.IntN(4), t, ip, cliUA, s1, reconAPI)
		t2 += 30
		ro2 := findRole(C, rkTerraform)
		k2 := b.key("ASIA")
		req2 := jobj{"roleArn": ro2.arn, "roleSessionName": session, "durationSeconds": 3600}
		resp2 := assumeResp(C, ro2, session, k2, t2, 3600)
		shared = ""
		if ci != bi {
			shared = b.uuid()
			b.add(ci, b.gReg, t2, sts, "AssumeRole", ip, cliUA, jobj{"type": "AWSAccount", "principalId": ro.id + ":" + session, "accountId": B.id}, req2, resp2, shared)
		}
		b.add(bi, b.gReg, t2, sts, "AssumeRole", ip, cliUA, s1, req2, resp2, shared)
		b.uses(ci, 3+g.IntN(4), t2, ip, cliUA, sessionID(C, ro2, session, k2, t2), reconAPI)
		// The creating user's own temporary key.
		t3 := t + 120
		k3 := b.key("ASIA")
		b.add(ai, b.gReg, t3, sts, "GetSessionToken", ip, cliUA, userID(A, admin, adminKey), jobj{"durationSeconds": 43200},
			jobj{"credentials": jobj{"accessKeyId": k3, "sessionToken": "<redacted>", "expiration": expiration(t3 + 43200)}}, "")
		u := userID(A, admin, k3)
		u["sessionContext"] = jobj{"attributes": jobj{"creationDate": isoTime(t3), "mfaAuthenticated": "true"}}
		b.uses(ai, 2+g.IntN(3), t3, ip, cliUA, u, reconAPI)
	case 1: // federation
		ro := findRole(A, rkSSO)
		person := pick(g, A.people)
		k := b.key("ASIA")
		provider := "arn:aws:iam::" + A.id + ":saml-provider/Okta"
		b.add(ai, b.gReg, t, sts, "AssumeRoleWithSAML", ip, "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
			jobj{"type": "SAMLUser", "principalId": "Okta:" + person, "userName": person, "identityProvider": provider},
			jobj{"roleArn": ro.arn, "roleSessionName": person, "principalArn": provider, "durationSeconds": 3600},
			assumeResp(A, ro, person, k, t, 3600), "")
		b.uses(ai, 3+g.IntN(3), t, ip, cliUA, sessionID(A, ro, person, k, t), reconAPI)
		ci := findRole(A, rkCI)
		kw := b.key("ASIA")
		ghIP := string(g.appendIPv4(nil))
		tw := t + 300
		b.add(ai, b.gReg, tw, sts, "AssumeRoleWithWebIdentity", ghIP, "aws-sdk-js/3.540.0",
			jobj{"type": "WebIdentityUser", "principalId": "arn:aws:iam::" + A.id + ":oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:acme/app:ref:refs/heads/main",
				"userName": "repo:acme/app:ref:refs/heads/main", "identityProvider": "arn:aws:iam::" + A.id + ":oidc-provider/token.actions.githubusercontent.com"},
			jobj{"roleArn": ci.arn, "roleSessionName": "GitHubActions"}, assumeResp(A, ci, "GitHubActions", kw, tw, 3600), "")
		b.uses(ai, 2+g.IntN(3), tw, ghIP, "aws-sdk-js/3.540.0", sessionID(A, ci, "GitHubActions", kw, tw), workAPI)
		fu := &A.users[2%len(A.users)]
		kf := b.key("ASIA")
		tf := t + 600
		b.add(ai, b.gReg, tf, sts, "GetFederationToken", ip, cliUA, userID(A, fu, fu.keys[0]), jobj{"name": "partner-export", "durationSeconds": 3600},
			jobj{"credentials": jobj{"accessKeyId": kf, "sessionToken": "<redacted>", "expiration": expiration(tf + 3600)},
				"federatedUser": jobj{"federatedUserId": A.id + ":partner-export", "arn": "arn:aws:sts::" + A.id + ":federated-user/partner-export"}}, "")
		b.uses(ai, 2+g.IntN(2), tf, ip, cliUA, jobj{"type": "FederatedUser", "principalId": A.id + ":partner-export",
			"arn": "arn:aws:sts::" + A.id + ":federated-user/partner-export", "accountId": A.id, "accessKeyId": kf,
			"sessionContext": jobj{"sessionIssuer": jobj{"type": "IAMUser", "arn": fu.arn, "userName": fu.name}, "attributes": jobj{"creationDate": isoTime(tf)}}}, reconAPI)
	case 2, 3: // workload keys
		var ro *role
		svc, session, ua := "lambda.amazonaws.com", "", "awslambda-worker"
		if i%4 == 2 {
			ro = findRole(A, rkLambda)
			session = ro.session
		} else {
			ro = findRole(A, rkECS)
			svc, session, ua = "ecs-tasks.amazonaws.com", string(g.appendHex(nil, 32)), "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10 lang/python#3.12.2 exec-env/AWS_ECS_FARGATE"
		}
		k := b.key("ASIA")
		b.add(ai, b.gReg, t, sts, "AssumeRole", svc, svc, jobj{"type": "AWSService", "invokedBy": svc},
			jobj{"roleArn": ro.arn, "roleSessionName": session},
			jobj{"credentials": jobj{"accessKeyId": k, "sessionToken": "<redacted>", "expiration": expiration(t + 6*3600)}}, b.uuid())
		ip4 := g.appendIPv4(nil) // an address in 3.0.0.0/8: the first octet replaced
		awsIP := "3" + string(ip4[bytes.IndexByte(ip4, '.'):])
		id := sessionID(A, ro, session, k, t)
		t2 := b.uses(ai, 4+g.IntN(4), t, awsIP, ua, id, workAPI)
		if i%4 == 2 {
			b.uses(ai, 3+g.IntN(3), t2+120+g.Int64N(600), ip, cliUA, id, reconAPI)
		}
	}
}

// planLineages renders every scenario and groups the records into log
// files, one per account, region and delivery window, in window order.
func (m *model) planLineages() []*job {
	if m.cfg.Lineages <= 0 {
		return nil
	}
	var recs []linRec
	for i := 0; i < m.cfg.Lineages; i++ {
		b := &linBuilder{m: m, g: newRng(m.cfg.Seed, 0x11E0000+uint64(i)), gReg: m.globalReg}
		b.scenario(i)
		recs = append(recs, b.out...)
	}
	slices.SortStableFunc(recs, func(x, y linRec) int {
		return cmp.Or(cmp.Compare(x.t/windowSec, y.t/windowSec), cmp.Compare(x.acct, y.acct), cmp.Compare(x.region, y.region), cmp.Compare(x.t, y.t))
	})
	g := newRng(m.cfg.Seed, 0x11EF11E)
	var jobs []*job
	for i := 0; i < len(recs); {
		r := recs[i]
		j := &job{kind: KindLog, acct: r.acct, region: r.region, wStart: r.t / windowSec * windowSec}
		for ; i < len(recs) && recs[i].acct == r.acct && recs[i].region == r.region && recs[i].t/windowSec == r.t/windowSec; i++ {
			j.pre = append(j.pre, recs[i])
		}
		j.deliver = j.wStart + minDeliveryDelay + g.Int64N(8*60+1)
		j.key = m.objectKey(j.acct, j.region, "CloudTrail", j.deliver, g)
		jobs = append(jobs, j)
	}
	return jobs
}

// lineageEvents is the number of records planLineages renders.
func lineageEvents(jobs []*job) int {
	n := 0
	for _, j := range jobs {
		n += len(j.pre)
	}
	return n
}
