package gen

import (
	"strconv"
)

// Slot flags.
const (
	flagLate uint8 = 1 << iota
	flagDup
)

type evKind uint8

const (
	kApiCall evKind = iota
	kServiceEvent
	kConsoleSignIn
)

// idProfile selects the distribution of callers for an event.
type idProfile uint8

const (
	ipDefault idProfile = iota
	ipHuman
	ipWorkload
	ipData
	ipAssume
	ipConsole
	ipSvcEvent
	ipWebID
	ipSAML
	ipKMS
	nProfiles
)

type idType uint8

const (
	idAssumedRole idType = iota
	idIAMUser
	idRoot
	idFederated
	idAWSService
	idAWSAccount
	idIdentityCenter
	idUnknown
	idDirectory
	idWebIdentity
	idSAML
	idInternal // service event caller without a type
)

type idWeight struct {
	t idType
	w float64
}

var profileWeights = [nProfiles][]idWeight{
	ipDefault: {{idAssumedRole, 0.58}, {idIAMUser, 0.19}, {idAWSService, 0.1}, {idAWSAccount, 0.04}, {idRoot, 0.02},
		{idFederated, 0.02}, {idIdentityCenter, 0.015}, {idUnknown, 0.0175}, {idDirectory, 0.0175}},
	ipHuman:    {{idAssumedRole, 0.68}, {idIAMUser, 0.22}, {idRoot, 0.05}, {idFederated, 0.02}, {idIdentityCenter, 0.03}},
	ipWorkload: {{idAssumedRole, 0.68}, {idIAMUser, 0.13}, {idAWSService, 0.13}, {idAWSAccount, 0.06}},
	ipData:     {{idAssumedRole, 0.62}, {idIAMUser, 0.1}, {idAWSService, 0.2}, {idAWSAccount, 0.07}, {idFederated, 0.01}},
	ipAssume:   {{idAWSService, 0.5}, {idAssumedRole, 0.3}, {idIAMUser, 0.12}, {idAWSAccount, 0.05}, {idSAML, 0.03}},
	ipConsole:  {{idIAMUser, 0.55}, {idAssumedRole, 0.3}, {idRoot, 0.15}},
	ipSvcEvent: {{idInternal, 0.5}, {idAWSService, 0.5}},
	ipWebID:    {{idWebIdentity, 1}},
	ipSAML:     {{idSAML, 1}},
	ipKMS:      {{idAssumedRole, 0.7}, {idAWSService, 0.2}, {idIAMUser, 0.05}, {idAWSAccount, 0.05}},
}

// profileTables returns the draw tables of profileWeights, by profile.
func profileTables() (tabs [nProfiles]cumTable) {
	for i, ws := range profileWeights {
		w := make([]float64, len(ws))
		for j, x := range ws {
			w[j] = x.w
		}
		tabs[i] = newCumTable(w)
	}
	return tabs
}

// rec builds one CloudTrail record. It is owned by a single worker.
type rec struct {
	m      *model
	g      *rng
	b      []byte
	a      *account
	region string
	regIdx int
	t      int64
	flags  uint8
	sp     *evSpec

	idt       idType
	role      *role
	user      *user
	invokedBy string
	caller    []byte // caller ARN for error messages
	ua        []byte
	ip        []byte
	svcCaller bool // sourceIPAddress is an AWS service
	console   bool
	vpce      bool
	fail      bool
	err       *errDef
	s1        string // memo: bucket, function, table, key id ...
	k1        []byte // memo: object key
	resARN    []byte // resource ARN used in error messages
	tmp       []byte
	req       []byte // rendered requestParameters
}

func newRec(m *model) *rec {
	return &rec{m: m, g: newRng(0, 0)}
}

// Small append helpers used by the catalog builders.
func (r *rec) o(s string)              { r.b = append(r.b, s...) }
func (r *rec) s(key, v string)         { r.b = appendKS(r.b, key, v) }
func (r *rec) sb(key string, v []byte) { r.b = append(r.b, key...); r.b = appendStr(r.b, v) }
func (r *rec) i(key string, v int)     { r.b = appendKI(r.b, key, int64(v)) }
func (r *rec) bo(key string, v bool)   { r.b = appendKB(r.b, key, v) }
func (r *rec) q(v string)              { r.b = appendStr(r.b, v) }
func (r *rec) n(v int)                 { r.b = strconv.AppendInt(r.b, int64(v), 10) }
func (r *rec) uuid(key string) {
	r.b = append(r.b, key...)
	r.b = append(r.b, '"')
	r.b = r.g.appendUUID(r.b)
	r.b = append(r.b, '"')
}
func (r *rec) hex(key, prefix string, n int) {
	r.b = append(r.b, key...)
	r.b = append(r.b, '"')
	r.b = append(r.b, prefix...)
	r.b = r.g.appendHex(r.b, n)
	r.b = append(r.b, '"')
}
func (r *rec) chars(key, prefix, set string, n int) {
	r.b = append(r.b, key...)
	r.b = append(r.b, '"')
	r.b = append(r.b, prefix...)
	r.b = r.g.appendChars(r.b, set, n)
	r.b = append(r.b, '"')
}
func (r *rec) time(key string, sec int64) { r.b = append(r.b, key...); r.b = appendQTime(r.b, sec) }
func (r *rec) jdate(key string, sec int64) {
	r.b = append(r.b, key...)
	r.b = appendJavaDate(r.b, sec)
}

// arnPrefix appends `arn:aws:<svc>:<region>:<account>:`.
func (r *rec) arnPrefix(b []byte, svc string) []byte {
	b = append(b, "arn:aws:"...)
	b = append(b, svc...)
	b = append(b, ':')
	b = append(b, r.region...)
	b = append(b, ':')
	b = append(b, r.a.id...)
	return append(b, ':')
}

// arn appends a quoted ARN `arn:aws:svc:region:acct:<res>` after key.
func (r *rec) arn(key, svc, res string) {
	r.b = append(r.b, key...)
	r.b = append(r.b, '"')
	r.b = r.arnPrefix(r.b, svc)
	r.b = append(r.b, res...)
	r.b = append(r.b, '"')
}

// build appends one complete record for the event with sequence number seq.
func (r *rec) build(seq uint64, t int64, flags uint8) {
	m := r.m
	g := r.g
	g.reseed(m.cfg.Seed^0xC7A11E5EED, seq)
	r.t, r.flags = t, flags
	tb := &m.regional
	if r.regIdx == m.globalReg && g.chance(m.pGlobal) {
		tb = &m.global
	}
	sp := tb.specs[tb.tab.draw(g)]
	r.sp = sp
	r.s1, r.k1, r.resARN = "", r.k1[:0], r.resARN[:0]
	r.chooseIdentity()
	r.fail = sp.kind != kConsoleSignIn && len(sp.errs) > 0 && g.chance(sp.errRate)
	if r.fail {
		r.err = r.pickErr()
	}
	if sp.kind != kConsoleSignIn && sp.req != nil {
		// Render requestParameters first: error messages and the TLS host
		// header refer to the resources it picks.
		saved := r.b
		r.b = r.req[:0]
		sp.req(r)
		r.req, r.b = r.b, saved
	}

	b := r.b
	b = append(b, `{"eventVersion":"`...)
	ver := sp.ver
	if g.chance(0.1) {
		ver = eventVersions[g.IntN(len(eventVersions))]
	}
	b = append(b, ver...)
	b = append(b, `","userIdentity":`...)
	r.b = b
	r.identity()
	b = r.b
	b = append(b, `,"eventTime":"`...)
	b = appendTime(b, t)
	b = append(b, `","eventSource":"`...)
	b = append(b, sp.source...)
	b = append(b, `","eventName":"`...)
	b = append(b, sp.name...)
	b = append(b, `","awsRegion":"`...)
	b = append(b, r.region...)
	b = append(b, `","sourceIPAddress":"`...)
	b = append(b, r.ip...)
	b = append(b, `","userAgent":`...)
	b = appendStr(b, r.ua)
	r.b = b

	if sp.kind == kConsoleSignIn {
		r.consoleLogin()
	} else {
		if r.fail {
			r.writeErr()
		}
		r.o(`,"requestParameters":`)
		if sp.req != nil {
			r.b = append(r.b, r.req...)
		} else {
			r.o("null")
		}
		r.o(`,"responseElements":`)
		if sp.resp != nil && !r.fail {
			sp.resp(r)
		} else {
			r.o("null")
		}
		if sp.add != nil {
			r.o(`,"additionalEventData":`)
			sp.add(r)
		}
		switch {
		case sp.kind == kServiceEvent:
		case sp.src == "s3":
			r.chars(`,"requestID":`, "", hexUpper, 16)
		default:
			r.uuid(`,"requestID":`)
		}
		r.uuid(`,"eventID":`)
		r.bo(`,"readOnly":`, sp.ro)
	}
	if sp.res != nil {
		r.o(`,"resources":[`)
		sp.res(r)
		r.o("]")
	}
	switch sp.kind {
	case kServiceEvent:
		r.o(`,"eventType":"AwsServiceEvent"`)
	case kConsoleSignIn:
		r.o(`,"eventType":"AwsConsoleSignIn"`)
	default:
		r.o(`,"eventType":"AwsApiCall"`)
	}
	if sp.api != "" {
		r.s(`,"apiVersion":`, sp.api)
	}
	r.bo(`,"managementEvent":`, !sp.data)
	r.s(`,"recipientAccountId":`, r.a.id)
	if sp.sed != nil {
		r.o(`,"serviceEventDetails":`)
		sp.sed(r)
	}
	if r.idt == idAWSAccount || (sp.name == "AssumeRole" && r.idt == idAWSService && g.chance(0.3)) || (sp.src == "kms" && g.chance(0.05)) {
		r.uuid(`,"sharedEventID":`)
	}
	if r.vpce {
		r.hex(`,"vpcEndpointId":`, "vpce-0", 16)
		if ver >= "1.09" && g.chance(0.7) {
			r.s(`,"vpcEndpointAccountId":`, r.a.id)
		}
	}
	if sp.data {
		r.o(`,"eventCategory":"Data"`)
	} else {
		r.o(`,"eventCategory":"Management"`)
	}
	if !r.svcCaller && sp.kind != kServiceEvent && g.chance(0.92) {
		r.tls(ver)
	}
	if r.console && (r.idt == idAssumedRole || r.idt == idIAMUser || r.idt == idRoot) && sp.kind == kApiCall {
		r.o(`,"sessionCredentialFromConsole":"true"`)
	}
	if flags&flagLate != 0 && g.chance(0.35) {
		r.o(`,"addendum":{"reason":"DELIVERY_DELAY"}`)
	}
	r.o("}")
}

var eventVersions = []string{"1.08", "1.09", "1.10", "1.11"}

func (r *rec) tls(ver string) {
	g := r.g
	r.o(`,"tlsDetails":{"tlsVersion":`)
	v13 := g.chance(0.7)
	if v13 {
		r.o(`"TLSv1.3","cipherSuite":`)
		if g.chance(0.8) {
			r.o(`"TLS_AES_128_GCM_SHA256"`)
		} else {
			r.o(`"TLS_AES_256_GCM_SHA384"`)
		}
	} else {
		r.o(`"TLSv1.2","cipherSuite":`)
		r.q(pick(g, []string{"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA"}))
	}
	r.o(`,"clientProvidedHostHeader":"`)
	r.b = r.hostHeader(r.b)
	r.o(`"`)
	if ver == "1.11" && v13 {
		if g.chance(0.5) {
			r.o(`,"keyExchange":"X25519MLKEM768"`)
		} else {
			r.o(`,"keyExchange":"x25519"`)
		}
	}
	r.o("}")
}

func (r *rec) hostHeader(b []byte) []byte {
	sp := r.sp
	switch {
	case sp.src == "s3" && r.s1 != "":
		b = append(b, r.s1...)
		b = append(b, ".s3."...)
		b = append(b, r.region...)
		return append(b, ".amazonaws.com"...)
	case sp.src == "signin":
		return append(b, "signin.aws.amazon.com"...)
	case sp.src == "iam":
		return append(b, "iam.amazonaws.com"...)
	case sp.src == "sts" && r.g.chance(0.3):
		return append(b, "sts.amazonaws.com"...)
	}
	b = append(b, sp.src...)
	b = append(b, '.')
	b = append(b, r.region...)
	return append(b, ".amazonaws.com"...)
}

// chooseIdentity picks the caller and fills ip, ua and related fields.
func (r *rec) chooseIdentity() {
	g := r.g
	sp := r.sp
	ws := profileWeights[sp.ids]
	r.idt = ws[r.m.idTabs[sp.ids].draw(g)].t
	r.role, r.user, r.invokedBy = nil, nil, ""
	r.svcCaller, r.console, r.vpce = false, false, false
	r.ip, r.ua, r.caller = r.ip[:0], r.ua[:0], r.caller[:0]
	a := r.a
	switch r.idt {
	case idAssumedRole:
		human := false
		switch sp.ids {
		case ipHuman, ipConsole:
			human = sp.ids == ipConsole || g.chance(0.75)
		case ipData, ipWorkload, ipKMS:
			human = g.chance(0.12)
		default:
			human = g.chance(0.35)
		}
		if human {
			r.role = &a.roles[a.human[a.humanTab.draw(g)]]
		} else {
			r.role = &a.roles[a.work[a.workTab.draw(g)]]
		}
		r.roleCallerContext()
		if sp.kind == kConsoleSignIn {
			r.console = true
			r.ua = r.ua[:0]
			r.uaBrowser()
		}
		if sp.ids == ipKMS && !r.svcCaller && g.chance(0.4) {
			r.invokedBy = pick(g, kmsInvokers)
			r.setServiceCaller(r.invokedBy)
		}
	case idIAMUser:
		r.user = &a.users[g.IntN(len(a.users))]
		if sp.ids == ipConsole {
			for !r.user.console {
				r.user = &a.users[g.IntN(len(a.users))]
			}
		}
		if r.user.console && (sp.ids == ipConsole || g.chance(0.5)) {
			r.console = true
			r.officeIP()
			r.uaConsole()
		} else {
			r.publicIP()
			r.uaTool()
		}
	case idRoot:
		r.console = true
		r.officeIP()
		r.uaConsole()
		if sp.ids != ipConsole && g.chance(0.25) {
			r.invokedBy = pick(g, []string{"signin.amazonaws.com", "support.amazonaws.com", "AWS Internal"})
		}
	case idFederated, idIdentityCenter, idUnknown, idDirectory, idSAML, idWebIdentity:
		if g.chance(0.4) {
			r.console = r.idt != idWebIdentity
			r.officeIP()
			if r.console {
				r.uaConsole()
			} else {
				r.uaTool()
			}
		} else {
			r.publicIP()
			r.uaTool()
		}
	case idAWSService:
		svc := pick(g, awsServicePrincipals)
		switch {
		case sp.src == "s3" && g.chance(0.5):
			svc = "cloudtrail.amazonaws.com"
		case sp.name == "Invoke":
			svc = pick(g, []string{"apigateway.amazonaws.com", "events.amazonaws.com", "s3.amazonaws.com", "sqs.amazonaws.com"})
		}
		r.invokedBy = svc
		r.setServiceCaller(svc)
	case idAWSAccount:
		if g.chance(0.5) {
			r.invokedBy = pick(g, awsServicePrincipals)
			r.setServiceCaller(r.invokedBy)
		} else {
			r.publicIP()
			r.uaTool()
		}
	case idInternal:
		r.invokedBy = "AWS Internal"
		r.svcCaller = true
		r.ip = append(r.ip, "AWS Internal"...)
		r.ua = append(r.ua, "AWS Internal"...)
	}
	r.maybeOddUA()
}

var awsServicePrincipals = []string{"lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "cloudformation.amazonaws.com",
	"config.amazonaws.com", "elasticloadbalancing.amazonaws.com", "autoscaling.amazonaws.com", "events.amazonaws.com",
	"backup.amazonaws.com", "ssm.amazonaws.com", "states.amazonaws.com", "firehose.amazonaws.com"}

var kmsInvokers = []string{"s3.amazonaws.com", "secretsmanager.amazonaws.com", "ssm.amazonaws.com", "dynamodb.amazonaws.com",
	"lambda.amazonaws.com", "logs.amazonaws.com", "sqs.amazonaws.com", "ebs.amazonaws.com"}

func (r *rec) setServiceCaller(svc string) {
	r.svcCaller = true
	r.ip = append(r.ip[:0], svc...)
	r.ua = append(r.ua[:0], svc...)
}

func (r *rec) officeIP() {
	g := r.g
	if g.chance(0.65) {
		r.ip = append(r.ip, pick(g, r.a.office)...)
		return
	}
	r.publicIP()
}

func (r *rec) publicIP() {
	if r.g.chance(0.14) {
		r.ip = r.g.appendIPv6(r.ip)
	} else {
		r.ip = r.g.appendIPv4(r.ip)
	}
}

// roleCallerContext fills source address and agent for an assumed-role caller.
func (r *rec) roleCallerContext() {
	g := r.g
	ro := r.role
	vpceOK := vpceServices[r.sp.src]
	switch ro.kind {
	case rkSSO, rkAdmin:
		if g.chance(0.55) {
			r.console = true
			r.officeIP()
			r.uaConsole()
		} else {
			r.officeIP()
			r.uaTool()
		}
	case rkEC2, rkEKS, rkECS, rkLambda:
		if vpceOK && ro.kind != rkLambda && g.chance(0.35) {
			r.vpce = true
			r.ip = g.appendPrivateIPv4(r.ip)
		} else {
			r.publicIP()
		}
		switch ro.kind {
		case rkEC2:
			if g.chance(0.3) {
				r.uaSSM()
			} else {
				r.uaSDK()
			}
		case rkECS:
			r.uaJava()
		default:
			r.uaSDK()
		}
	case rkCI:
		r.publicIP()
		if g.chance(0.5) {
			r.uaCLI()
		} else {
			r.uaJS()
		}
	case rkTerraform:
		r.publicIP()
		r.uaTerraform()
	case rkServiceLinked:
		r.invokedBy = ro.svc
		r.setServiceCaller(ro.svc)
	case rkVendor:
		r.publicIP()
		r.uaGo()
	}
}

var vpceServices = map[string]bool{"s3": true, "kms": true, "secretsmanager": true, "ssm": true, "dynamodb": true, "sts": true, "logs": true, "ecr": true}

// identity appends the userIdentity object.
func (r *rec) identity() {
	g := r.g
	a := r.a
	t := r.t
	switch r.idt {
	case idAssumedRole:
		ro := r.role
		sess := r.tmp[:0]
		switch {
		case ro.session != "":
			sess = append(sess, ro.session...)
		case ro.kind == rkSSO:
			sess = append(sess, pick(g, a.people)...)
		case ro.kind == rkAdmin:
			if g.chance(0.5) {
				p := pick(g, a.people)
				sess = append(sess, p[:len(p)-len("@example.com")]...)
			} else {
				sess = append(sess, "terraform-"...)
				sess = strconv.AppendInt(sess, t-int64(g.IntN(3000)), 10)
			}
		case ro.kind == rkEC2:
			sess = append(sess, pick(g, a.instances)...)
		case ro.kind == rkEKS:
			sess = append(sess, "botocore-session-"...)
			sess = strconv.AppendInt(sess, t-int64(g.IntN(3600)), 10)
		case ro.kind == rkECS:
			sess = g.appendHex(sess, 32)
		case ro.kind == rkTerraform:
			sess = append(sess, "aws-go-sdk-"...)
			sess = strconv.AppendInt(sess, (t-int64(g.IntN(1800)))*1000000000+int64(g.IntN(1000000000)), 10)
		default:
			sess = append(sess, "session-"...)
			sess = g.appendHex(sess, 8)
		}
		r.tmp = sess
		r.caller = append(r.caller[:0], "arn:aws:sts::"...)
		r.caller = append(r.caller, a.id...)
		r.caller = append(r.caller, ":assumed-role/"...)
		r.caller = append(r.caller, ro.name...)
		r.caller = append(r.caller, '/')
		r.caller = append(r.caller, sess...)
		r.o(`{"type":"AssumedRole","principalId":"`)
		r.o(ro.id)
		r.b = append(r.b, ':')
		r.b = append(r.b, sess...)
		r.o(`","arn":"`)
		r.b = append(r.b, r.caller...)
		r.o(`","accountId":"`)
		r.o(a.id)
		r.o(`","accessKeyId":"ASIA`)
		r.b = g.appendChars(r.b, upperNum, 16)
		r.o(`","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"`)
		r.o(ro.id)
		r.o(`","arn":"`)
		r.o(ro.arn)
		r.o(`","accountId":"`)
		r.o(a.id)
		r.o(`","userName":"`)
		r.o(ro.name)
		r.o(`"},"webIdFederationData":{`)
		if ro.kind == rkEKS {
			r.o(`"federatedProvider":"arn:aws:iam::`)
			r.o(a.id)
			r.o(`:oidc-provider/oidc.eks.`)
			r.o(r.region)
			r.o(`.amazonaws.com/id/`)
			r.b = g.appendChars(r.b, hexUpper, 32)
			r.o(`","attributes":{}`)
		}
		r.o(`},"attributes":{"creationDate":"`)
		r.b = appendTime(r.b, t-int64(g.IntN(3600)))
		mfa := (ro.kind == rkAdmin && g.chance(0.6)) || (ro.kind == rkSSO && g.chance(0.05))
		if mfa {
			r.o(`","mfaAuthenticated":"true"}`)
		} else {
			r.o(`","mfaAuthenticated":"false"}`)
		}
		if ro.kind == rkCI && g.chance(0.5) {
			r.o(`,"sourceIdentity":"github-actions"`)
		}
		if ro.kind == rkEC2 {
			if g.chance(0.8) {
				r.o(`,"ec2RoleDelivery":"2.0"`)
			} else {
				r.o(`,"ec2RoleDelivery":"1.0"`)
			}
		}
		r.o("}")
		if r.invokedBy != "" {
			r.s(`,"invokedBy":`, r.invokedBy)
		}
		r.o("}")
	case idIAMUser:
		u := r.user
		r.caller = append(r.caller[:0], u.arn...)
		r.o(`{"type":"IAMUser","principalId":"`)
		r.o(u.id)
		r.o(`","arn":"`)
		r.o(u.arn)
		r.o(`","accountId":"`)
		r.o(a.id)
		if r.sp.kind == kConsoleSignIn {
			r.o(`","accessKeyId":"`)
		} else if r.console {
			r.o(`","accessKeyId":"ASIA`)
			r.b = g.appendChars(r.b, upperNum, 16)
		} else {
			r.o(`","accessKeyId":"`)
			r.o(pick(g, u.keys))
		}
		r.o(`","userName":"`)
		r.o(u.name)
		r.o(`"`)
		if r.console && r.sp.kind == kApiCall {
			r.o(`,"sessionContext":{"sessionIssuer":{},"webIdFederationData":{},"attributes":{"creationDate":"`)
			r.b = appendTime(r.b, r.t-int64(g.IntN(7200)))
			if g.chance(0.6) {
				r.o(`","mfaAuthenticated":"true"}}`)
			} else {
				r.o(`","mfaAuthenticated":"false"}}`)
			}
		}
		r.o("}")
	case idRoot:
		r.caller = append(r.caller[:0], "arn:aws:iam::"...)
		r.caller = append(r.caller, a.id...)
		r.caller = append(r.caller, ":root"...)
		r.o(`{"type":"Root","principalId":"`)
		r.o(a.id)
		r.o(`","arn":"`)
		r.b = append(r.b, r.caller...)
		r.o(`","accountId":"`)
		r.o(a.id)
		if r.sp.kind == kConsoleSignIn {
			r.o(`","accessKeyId":""`)
		} else {
			r.o(`","accessKeyId":"ASIA`)
			r.b = g.appendChars(r.b, upperNum, 16)
			r.o(`"`)
		}
		if r.sp.kind != kConsoleSignIn {
			r.o(`,"sessionContext":{"sessionIssuer":{},"webIdFederationData":{},"attributes":{"creationDate":"`)
			r.b = appendTime(r.b, r.t-int64(g.IntN(3600)))
			r.o(`","mfaAuthenticated":"true"}}`)
		}
		if r.invokedBy != "" {
			r.s(`,"invokedBy":`, r.invokedBy)
		}
		r.o("}")
	case idFederated:
		u := &a.users[g.IntN(len(a.users))]
		name := pick(g, firstNames)
		r.caller = append(r.caller[:0], "arn:aws:sts::"...)
		r.caller = append(r.caller, a.id...)
		r.caller = append(r.caller, ":federated-user/"...)
		r.caller = append(r.caller, name...)
		r.o(`{"type":"FederatedUser","principalId":"`)
		r.o(a.id)
		r.o(":")
		r.o(name)
		r.o(`","arn":"`)
		r.b = append(r.b, r.caller...)
		r.o(`","accountId":"`)
		r.o(a.id)
		r.o(`","accessKeyId":"ASIA`)
		r.b = g.appendChars(r.b, upperNum, 16)
		r.o(`","sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"`)
		r.o(u.id)
		r.o(`","arn":"`)
		r.o(u.arn)
		r.o(`","accountId":"`)
		r.o(a.id)
		r.o(`","userName":"`)
		r.o(u.name)
		r.o(`"},"webIdFederationData":{},"attributes":{"creationDate":"`)
		r.b = appendTime(r.b, r.t-int64(g.IntN(36000)))
		r.o(`","mfaAuthenticated":"false"}}}`)
	case idAWSService:
		r.s(`{"type":"AWSService","invokedBy":`, r.invokedBy)
		r.o("}")
	case idAWSAccount:
		other := r.otherAccount()
		r.o(`{"type":"AWSAccount","principalId":"AROA`)
		r.b = g.appendChars(r.b, upperNum, 17)
		r.o(":")
		r.b = g.appendHex(r.b, 12)
		r.o(`","accountId":"`)
		r.o(other)
		r.o(`"`)
		if r.invokedBy != "" {
			r.s(`,"invokedBy":`, r.invokedBy)
		}
		r.o("}")
	case idIdentityCenter:
		r.o(`{"type":"IdentityCenterUser","accountId":"`)
		r.o(a.id)
		r.o(`","onBehalfOf":{"userId":"`)
		r.b = g.appendHex(r.b, 8)
		r.o("-")
		r.b = g.appendHex(r.b, 4)
		r.o("-70")
		r.b = g.appendHex(r.b, 2)
		r.o("-")
		r.b = g.appendHex(r.b, 4)
		r.o("-")
		r.b = g.appendHex(r.b, 12)
		r.o(`","identityStoreArn":"arn:aws:identitystore::`)
		r.o(a.id)
		r.o(`:identitystore/`)
		r.o(a.idStore)
		r.o(`"},"credentialId":"`)
		r.b = g.appendChars(r.b, alnum, 64)
		r.o(`"}`)
	case idUnknown:
		r.o(`{"type":"Unknown","principalId":"`)
		r.o(a.id)
		r.o(`","accountId":"`)
		r.o(a.id)
		r.s(`","userName":`, pick(g, a.people))
		r.o("}")
	case idDirectory:
		r.o(`{"type":"Directory","principalId":"S-1-5-21-`)
		r.b = strconv.AppendInt(r.b, int64(1000000000+g.IntN(999999999)), 10)
		r.o("-")
		r.b = strconv.AppendInt(r.b, int64(1000000000+g.IntN(999999999)), 10)
		r.o("-")
		r.b = strconv.AppendInt(r.b, int64(1000+g.IntN(9000)), 10)
		r.o(`","accountId":"`)
		r.o(a.id)
		r.o(`","userName":"`)
		r.o(pick(g, firstNames))
		r.o(`"}`)
	case idWebIdentity:
		repo := pick(g, appNames)
		r.o(`{"type":"WebIdentityUser","principalId":"arn:aws:iam::`)
		r.o(a.id)
		r.o(`:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:example-org/`)
		r.o(repo)
		r.o(`:ref:refs/heads/main","userName":"repo:example-org/`)
		r.o(repo)
		r.o(`:ref:refs/heads/main","identityProvider":"arn:aws:iam::`)
		r.o(a.id)
		r.o(`:oidc-provider/token.actions.githubusercontent.com"}`)
	case idSAML:
		r.o(`{"type":"SAMLUser","principalId":"`)
		r.b = g.appendChars(r.b, base64Set, 27)
		r.o("=:")
		r.o(pick(g, a.people))
		r.s(`","userName":`, pick(g, a.people))
		r.o(`,"identityProvider":"`)
		r.b = g.appendChars(r.b, base64Set, 27)
		r.o(`="}`)
	case idInternal:
		r.o(`{"accountId":"`)
		r.o(a.id)
		r.o(`","invokedBy":"AWS Internal"}`)
	}
}

func (r *rec) otherAccount() string {
	accts := r.m.accounts
	if len(accts) > 1 && r.g.chance(0.8) {
		o := accts[r.g.IntN(len(accts))]
		if o.id != r.a.id {
			return o.id
		}
	}
	return externalAccounts[r.g.IntN(len(externalAccounts))]
}

var externalAccounts = []string{"464622532012", "766352410135", "123456789012", "089484112345"}

// consoleLogin writes the body of a signin ConsoleLogin/SwitchRole event,
// from errorMessage (when failed) to readOnly.
func (r *rec) consoleLogin() {
	g := r.g
	sp := r.sp
	failed := sp.name == "ConsoleLogin" && g.chance(0.12)
	if failed {
		r.o(`,"errorMessage":"Failed authentication"`)
	}
	r.o(`,"requestParameters":null,"responseElements":{"`)
	r.o(sp.name)
	if failed {
		r.o(`":"Failure"}`)
	} else {
		r.o(`":"Success"}`)
	}
	r.o(`,"additionalEventData":{`)
	if sp.name == "ConsoleLogin" {
		r.o(`"LoginTo":"https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_`)
		r.o(r.region)
		r.o(`_`)
		r.b = g.appendHex(r.b, 16)
		r.o(`","MobileVersion":"No",`)
		mfa := false
		switch r.idt {
		case idRoot:
			mfa = g.chance(0.8)
		case idIAMUser:
			mfa = g.chance(0.55)
		}
		if mfa {
			r.o(`"MFAIdentifier":"arn:aws:iam::`)
			r.o(r.a.id)
			if r.idt == idRoot {
				r.o(`:mfa/root-account-mfa-device",`)
			} else {
				r.o(`:mfa/`)
				r.o(r.user.name)
				r.o(`",`)
			}
			r.o(`"MFAUsed":"Yes"}`)
		} else {
			r.o(`"MFAUsed":"No"}`)
		}
	} else {
		r.o(`"SwitchFrom":"arn:aws:iam::`)
		r.o(r.a.id)
		r.o(`:user/`)
		r.o(pick(g, firstNames))
		r.o(`","RedirectTo":"https://console.aws.amazon.com/console/home"}`)
	}
	r.uuid(`,"eventID":`)
	r.o(`,"readOnly":false`)
}

// pickErr chooses one of the event's error definitions.
func (r *rec) pickErr() *errDef {
	errs := r.sp.errs
	u := r.g.Float64()
	acc := 0.0
	for i := range errs {
		acc += errs[i].p
		if u < acc {
			return &errs[i]
		}
	}
	return &errs[len(errs)-1]
}

// writeErr appends errorCode and errorMessage.
func (r *rec) writeErr() {
	e := r.err
	r.s(`,"errorCode":`, e.code)
	r.o(`,"errorMessage":`)
	switch e.tmpl {
	case tStatic:
		r.q(e.msg)
	case tNotAuth, tEC2, tKMS:
		if len(r.caller) == 0 {
			r.q("Access Denied")
			return
		}
		t := r.tmp[:0]
		if e.tmpl == tEC2 {
			t = append(t, "You are not authorized to perform this operation. "...)
		}
		t = append(t, "User: "...)
		t = append(t, r.caller...)
		t = append(t, " is not authorized to perform: "...)
		t = append(t, r.sp.action...)
		if e.tmpl == tKMS {
			t = append(t, " on this resource because the resource does not exist in this Region, no resource-based policies allow access, or a resource-based policy explicitly denies access"...)
		} else {
			t = append(t, " on resource: "...)
			if len(r.resARN) > 0 {
				t = append(t, r.resARN...)
			} else if e.tmpl == tEC2 {
				t = r.arnPrefix(t, "ec2")
				t = append(t, '*')
			} else {
				t = append(t, '*')
			}
			t = append(t, " because no identity-based policy allows the "...)
			t = append(t, r.sp.action...)
			t = append(t, " action"...)
		}
		if e.tmpl == tEC2 {
			t = append(t, ". Encoded authorization failure message: "...)
			t = r.g.appendChars(t, alnum+"-_", 280+r.g.IntN(200))
		}
		r.tmp = t
		r.b = appendStr(r.b, t)
	case tNotFound:
		t := append(r.tmp[:0], e.msg...)
		if len(r.resARN) > 0 {
			t = append(t, r.resARN...)
		} else {
			t = append(t, r.s1...)
		}
		r.tmp = t
		r.b = appendStr(r.b, t)
	}
}
