package gen

import (
	"math"
	"strconv"
	"strings"
	"sync"
)

// errDef describes one possible error outcome of an API call.
type errDef struct {
	code string
	p    float64 // share among the event's errors
	tmpl uint8
	msg  string
}

// Error message templates.
const (
	tStatic   uint8 = iota
	tNotAuth        // "User: <arn> is not authorized to perform: ..."
	tEC2            // EC2 UnauthorizedOperation with an encoded message
	tKMS            // KMS AccessDeniedException
	tNotFound       // msg followed by the resource
)

// evSpec describes one kind of event. The catalog is ordered by frequency
// rank; weights follow a Zipf law over that order.
type evSpec struct {
	src     string // service prefix: eventSource is src + ".amazonaws.com"
	name    string
	ro      bool
	data    bool
	global  bool
	kind    evKind
	ids     idProfile
	api     string
	errRate float64
	errs    []errDef
	req     func(*rec) // requestParameters (nil: null)
	resp    func(*rec) // responseElements (nil: null)
	add     func(*rec) // additionalEventData (nil: omitted)
	res     func(*rec) // resources array contents (nil: omitted)
	sed     func(*rec) // serviceEventDetails (nil: omitted)

	weight float64
	source string
	action string
	ver    string
}

var (
	errsS3Get = []errDef{{"NoSuchKey", 0.55, tStatic, "The specified key does not exist."},
		{"AccessDenied", 0.4, tStatic, "Access Denied"}, {"SlowDown", 0.05, tStatic, "Please reduce your request rate."}}
	errsS3 = []errDef{{"AccessDenied", 0.75, tStatic, "Access Denied"},
		{"NoSuchBucket", 0.15, tStatic, "The specified bucket does not exist"},
		{"SlowDown", 0.1, tStatic, "Please reduce your request rate."}}
	errsEC2 = []errDef{{"Client.UnauthorizedOperation", 0.55, tEC2, ""},
		{"Client.RequestLimitExceeded", 0.3, tStatic, "Request limit exceeded."},
		{"Client.InvalidParameterValue", 0.15, tStatic, "Value (\"\") for parameter groupId is invalid. Parameter may not be null or empty."}}
	errsEC2SG = []errDef{{"Client.InvalidPermission.Duplicate", 0.5, tStatic, "the specified rule \"peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW\" already exists"},
		{"Client.UnauthorizedOperation", 0.4, tEC2, ""},
		{"Client.InvalidGroup.NotFound", 0.1, tStatic, "The security group 'sg-0123456789abcdef0' does not exist"}}
	errsIAM = []errDef{{"AccessDenied", 0.6, tNotAuth, ""},
		{"NoSuchEntityException", 0.2, tNotFound, "The entity cannot be found: "},
		{"EntityAlreadyExistsException", 0.1, tNotFound, "Entity already exists: "},
		{"LimitExceededException", 0.1, tStatic, "Cannot exceed quota for AccessKeysPerUser: 2"}}
	errsSTS = []errDef{{"AccessDenied", 0.8, tNotAuth, ""},
		{"ExpiredTokenException", 0.2, tStatic, "The security token included in the request is expired"}}
	errsKMS = []errDef{{"AccessDenied", 0.5, tKMS, ""},
		{"ThrottlingException", 0.3, tStatic, "Rate exceeded"},
		{"InvalidCiphertextException", 0.2, tStatic, "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access."}}
	errsGeneric = []errDef{{"AccessDenied", 0.5, tNotAuth, ""},
		{"ThrottlingException", 0.35, tStatic, "Rate exceeded"},
		{"ResourceNotFoundException", 0.15, tNotFound, "Resource not found: "}}
	errsLambda = []errDef{{"ResourceNotFoundException", 0.4, tNotFound, "Function not found: "},
		{"AccessDeniedException", 0.4, tNotAuth, ""},
		{"TooManyRequestsException", 0.2, tStatic, "Rate Exceeded."}}
	errsDDB = []errDef{{"ProvisionedThroughputExceededException", 0.4, tStatic, "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."},
		{"AccessDeniedException", 0.4, tNotAuth, ""},
		{"ConditionalCheckFailedException", 0.2, tStatic, "The conditional request failed"}}
	errsCT = []errDef{{"AccessDenied", 0.6, tNotAuth, ""},
		{"TrailNotFoundException", 0.4, tNotFound, "Unknown trail: "}}
)

// Zipf exponent of the event-name frequency.
const zipfS = 1.0

// catalog returns the event catalog with its derived fields (weight,
// source, action, version, default error rate) filled in. It is built on
// first use, for the first model: every ctq command links this package and
// only a few generate, so package initialisation stays free of it. Callers
// must not modify it.
var catalog = sync.OnceValue(func() []evSpec {
	cat := catalogSpecs()
	verOf := map[string]string{"s3": "1.10", "ec2": "1.10", "iam": "1.09", "sts": "1.08", "signin": "1.09", "kms": "1.10",
		"lambda": "1.09", "dynamodb": "1.09", "logs": "1.09", "ssm": "1.10", "cloudtrail": "1.11", "config": "1.09",
		"organizations": "1.11", "monitoring": "1.09", "secretsmanager": "1.10"}
	for i := range cat {
		sp := &cat[i]
		sp.weight = 1 / math.Pow(float64(i+1), zipfS)
		sp.source = sp.src + ".amazonaws.com"
		act := sp.src
		if act == "monitoring" {
			act = "cloudwatch"
		}
		name := sp.name
		// Lambda's API versions are part of the eventName but not of the action.
		for _, suf := range []string{"20150331v2", "20150331"} {
			name = strings.TrimSuffix(name, suf)
		}
		sp.action = act + ":" + name
		if v, ok := verOf[sp.src]; ok {
			sp.ver = v
		} else {
			sp.ver = eventVersions[i%len(eventVersions)]
		}
		if sp.errRate == 0 && len(sp.errs) > 0 {
			sp.errRate = 0.035
		}
	}
	return cat
})

// ---- shared builder helpers ----

func (r *rec) bucket() string {
	if r.s1 == "" {
		r.s1 = pick(r.g, r.a.buckets)
	}
	return r.s1
}

var oddKeys = []string{
	"uploads/Résumé – Zoë Müller.pdf",
	"データ/売上_2024年.csv",
	"reports/\"Q3\" summary\\final.xlsx",
	"weird/line\nbreak\ttab.txt",
	"emoji/📦-package.json",
	"esc/\u001b[31mred\u001b[0m.log",
	"Ünïcødé/naïve café/menu.txt",
	"ctrl/bell\u0007-and-nul.bin",
}

// objKey fills r.k1 with an object key.
func (r *rec) objKey() []byte {
	g := r.g
	k := r.k1[:0]
	if g.chance(0.012) {
		k = append(k, pick(g, oddKeys)...)
		r.k1 = k
		return k
	}
	y, mo, d, h, _, _ := splitTime(r.t)
	switch g.IntN(9) {
	case 0:
		k = append(k, "data/"...)
		k = append(k, pick(g, tableNames)...)
		k = append(k, "/dt="...)
		k = append4(k, y)
		k = append(k, '-')
		k = append2(k, mo)
		k = append(k, '-')
		k = append2(k, d)
		k = append(k, "/part-0000"...)
		k = strconv.AppendInt(k, int64(g.IntN(10)), 10)
		k = append(k, '-')
		k = g.appendUUID(k)
		k = append(k, ".snappy.parquet"...)
	case 1:
		k = append(k, "uploads/"...)
		k = g.appendUUID(k)
		k = append(k, '/')
		k = append(k, pick(g, []string{"avatar.png", "invoice.pdf", "photo.jpg", "export.zip", "contract.docx"})...)
	case 2:
		k = append(k, "logs/"...)
		k = append(k, pick(g, appNames)...)
		k = append(k, '/')
		k = append4(k, y)
		k = append(k, '/')
		k = append2(k, mo)
		k = append(k, '/')
		k = append2(k, d)
		k = append(k, '/')
		k = append2(k, h)
		k = append(k, '/')
		k = g.appendHex(k, 16)
		k = append(k, ".log.gz"...)
	case 3:
		k = append(k, "reports/"...)
		k = append(k, pick(g, envNames)...)
		k = append(k, '/')
		k = append(k, pick(g, appNames)...)
		k = append(k, '-')
		k = append4(k, y)
		k = append2(k, mo)
		k = append2(k, d)
		k = append(k, ".csv"...)
	case 4:
		k = append(k, "assets/"...)
		k = g.appendHex(k, 32)
		k = append(k, ".zip"...)
	case 5:
		k = append(k, pick(g, []string{"index.html", "favicon.ico", "robots.txt", "css/main.css", "js/app.js"})...)
	case 6:
		k = append(k, "img/"...)
		k = g.appendChars(k, lowerNum, 10)
		k = append(k, ".webp"...)
	case 7:
		k = append(k, "backups/"...)
		k = append(k, pick(g, tableNames)...)
		k = append(k, '/')
		k = strconv.AppendInt(k, r.t/3600*3600, 10)
		k = append(k, ".tar.zst"...)
	default:
		k = append(k, "AWSLogs/"...)
		k = append(k, r.a.id...)
		k = append(k, "/elasticloadbalancing/"...)
		k = append(k, r.region...)
		k = append(k, '/')
		k = appendDatePath(k, r.t)
		k = append(k, '/')
		k = append(k, r.a.id...)
		k = append(k, "_elasticloadbalancing_"...)
		k = append(k, r.region...)
		k = append(k, "_app.web-alb."...)
		k = g.appendHex(k, 16)
		k = append(k, '_')
		k = appendKeyTime(k, r.t, false)
		k = append(k, '_')
		k = g.appendIPv4(k)
		k = append(k, '_')
		k = g.appendChars(k, lowerNum, 8)
		k = append(k, ".log.gz"...)
	}
	r.k1 = k
	return k
}

// s3Req writes {"bucketName":..,"Host":..[,"key":..]<extra>}.
func (r *rec) s3Req(withKey bool, extra string) {
	b := r.bucket()
	r.o(`{"bucketName":`)
	r.q(b)
	r.o(`,"Host":"`)
	if r.g.chance(0.85) {
		r.o(b)
		r.o(".")
	}
	r.o("s3.")
	r.o(r.region)
	r.o(`.amazonaws.com"`)
	if withKey {
		k := r.objKey()
		r.sb(`,"key":`, k)
		r.resARN = append(r.resARN[:0], "arn:aws:s3:::"...)
		r.resARN = append(r.resARN, b...)
		r.resARN = append(r.resARN, '/')
		r.resARN = append(r.resARN, k...)
	} else {
		r.resARN = append(r.resARN[:0], "arn:aws:s3:::"...)
		r.resARN = append(r.resARN, b...)
	}
	r.o(extra)
	r.o("}")
}

func s3ObjRes(r *rec) {
	if len(r.k1) > 0 && r.sp.data {
		r.o(`{"type":"AWS::S3::Object","ARN":`)
		r.b = appendStr(r.b, r.resARN)
		r.o(`},`)
	}
	r.o(`{"accountId":"`)
	r.o(r.a.id)
	r.o(`","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::`)
	r.o(r.s1)
	r.o(`"}`)
}

func (r *rec) s3Add(in, out int) {
	g := r.g
	r.o(`{"SignatureVersion":"SigV4","CipherSuite":"`)
	if g.chance(0.7) {
		r.o("TLS_AES_128_GCM_SHA256")
	} else {
		r.o("ECDHE-RSA-AES128-GCM-SHA256")
	}
	r.i(`","bytesTransferredIn":`, in)
	if g.chance(0.3) {
		r.o(`,"SSEApplied":"SSE_S3"`)
	}
	r.o(`,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"`)
	r.b = g.appendChars(r.b, base64Set, 76)
	r.i(`","bytesTransferredOut":`, out)
	r.o("}")
}

func (r *rec) kmsKeyARN(b []byte) []byte {
	b = r.arnPrefix(b, "kms")
	b = append(b, "key/"...)
	return append(b, r.s1...)
}

func (r *rec) kmsKey() string {
	if r.s1 == "" {
		r.s1 = pick(r.g, r.a.kmsKeys)
	}
	r.resARN = r.kmsKeyARN(r.resARN[:0])
	return r.s1
}

func kmsRes(r *rec) {
	r.o(`{"accountId":"`)
	r.o(r.a.id)
	r.o(`","type":"AWS::KMS::Key","ARN":"`)
	r.b = r.kmsKeyARN(r.b)
	r.o(`"}`)
}

func (r *rec) encContext() {
	g := r.g
	r.o(`,"encryptionContext":{`)
	switch g.IntN(4) {
	case 0:
		r.o(`"aws:lambda:FunctionArn":"`)
		r.b = r.arnPrefix(r.b, "lambda")
		r.o("function:")
		r.o(pick(g, r.a.functions))
		r.o(`"`)
	case 1:
		r.o(`"aws:s3:arn":"arn:aws:s3:::`)
		r.o(pick(g, r.a.buckets))
		r.o(`"`)
	case 2:
		r.o(`"SecretARN":"`)
		r.b = r.arnPrefix(r.b, "secretsmanager")
		r.o("secret:")
		r.o(pick(g, r.a.secrets))
		r.o(`","SecretVersionId":"`)
		r.b = g.appendUUID(r.b)
		r.o(`"`)
	default:
		r.o(`"aws:logs:arn":"`)
		r.b = r.arnPrefix(r.b, "logs")
		r.o("log-group:")
		r.o(pick(g, r.a.logGroups))
		r.o(`"`)
	}
	r.o("}")
}

func (r *rec) roleArnOf(name string) {
	r.o(`"arn:aws:iam::`)
	r.o(r.a.id)
	r.o(`:role/`)
	r.o(name)
	r.o(`"`)
}

// creds writes a credentials object for STS responses.
func (r *rec) creds() {
	g := r.g
	r.o(`"credentials":{"accessKeyId":"ASIA`)
	r.b = g.appendChars(r.b, upperNum, 16)
	r.o(`","sessionToken":"IQoJb3JpZ2luX2VjE`)
	r.b = g.appendChars(r.b, base64Set, 100+g.IntN(100))
	r.o(`","expiration":`)
	r.b = appendJavaDate(r.b, r.t+3600)
	r.o("}")
}

var managedPolicies = []string{"AdministratorAccess", "ReadOnlyAccess", "AmazonS3FullAccess", "PowerUserAccess", "IAMFullAccess",
	"AmazonEC2FullAccess", "SecurityAudit", "AWSLambdaBasicExecutionRole", "AmazonSSMManagedInstanceCore"}

func (r *rec) policyArn() {
	g := r.g
	if g.chance(0.7) {
		p := pick(g, managedPolicies)
		if p == "AWSLambdaBasicExecutionRole" {
			r.s(`,"policyArn":`, "arn:aws:iam::aws:policy/service-role/"+p)
		} else {
			r.s(`,"policyArn":`, "arn:aws:iam::aws:policy/"+p)
		}
		return
	}
	r.o(`,"policyArn":"arn:aws:iam::`)
	r.o(r.a.id)
	r.o(`:policy/`)
	r.o(pick(g, appNames))
	r.o(`-access"`)
}

var policyActions = [][]string{{"s3:GetObject", "s3:PutObject"}, {"*"}, {"kms:Decrypt"}, {"iam:PassRole"}, {"ec2:*", "ssm:*"}, {"dynamodb:GetItem", "dynamodb:Query"}}

// policyDoc writes a quoted IAM policy document as the caller sent it,
// sometimes pretty-printed with newlines.
func (r *rec) policyDoc(key string, trust bool) {
	g := r.g
	pretty := g.chance(0.5)
	nl, ind := "", ""
	if pretty {
		nl, ind = "\n", "    "
	}
	sp := ""
	if pretty {
		sp = " "
	}
	d := r.tmp[:0]
	d = append(d, "{"+nl+ind+`"Version":`+sp+`"2012-10-17",`+nl+ind+`"Statement":`+sp+"["+nl+ind+ind+"{"+nl...)
	d = append(d, ind+ind+ind+`"Effect":`+sp...)
	if g.chance(0.85) {
		d = append(d, `"Allow",`...)
	} else {
		d = append(d, `"Deny",`...)
	}
	d = append(d, nl...)
	if trust {
		d = append(d, ind+ind+ind+`"Principal":`+sp+`{"Service":`+sp...)
		d = append(d, '"')
		d = append(d, pick(g, awsServicePrincipals)...)
		d = append(d, `"},`...)
		d = append(d, nl+ind+ind+ind+`"Action":`+sp+`"sts:AssumeRole"`+nl...)
	} else {
		d = append(d, ind+ind+ind+`"Action":`+sp+"["...)
		for i, a := range pick(g, policyActions) {
			if i > 0 {
				d = append(d, ","+sp...)
			}
			d = append(d, '"')
			d = append(d, a...)
			d = append(d, '"')
		}
		d = append(d, "],"+nl+ind+ind+ind+`"Resource":`+sp...)
		if g.chance(0.3) {
			d = append(d, `"*"`...)
		} else {
			d = append(d, `"arn:aws:s3:::`...)
			d = append(d, pick(g, r.a.buckets)...)
			d = append(d, `/*"`...)
		}
		d = append(d, nl...)
	}
	d = append(d, ind+ind+"}"+nl+ind+"]"+nl+"}"...)
	r.tmp = d
	r.o(key)
	r.b = appendStr(r.b, d)
}

func (r *rec) ec2RequestID() { r.uuid(`{"requestId":`) }

func (r *rec) ec2Return() {
	r.ec2RequestID()
	r.o(`,"_return":true}`)
}

func ec2ReturnResp(r *rec) { r.ec2Return() }

func (r *rec) filterSet(name string, values ...string) {
	r.o(`"filterSet":{"items":[{"name":"`)
	r.o(name)
	r.o(`","valueSet":{"items":[`)
	for i, v := range values {
		if i > 0 {
			r.o(",")
		}
		r.s(`{"value":`, v)
		r.o("}")
	}
	r.o("]}}]}")
}

func (r *rec) ipPermissions(egress bool) {
	g := r.g
	port := pick(g, []int{22, 443, 80, 3389, 5432, 3306, 6379, 8080})
	r.o(`"ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":`)
	r.n(port)
	r.o(`,"toPort":`)
	r.n(port)
	r.o(`,"groups":{},"ipRanges":{"items":[{"cidrIp":"`)
	switch {
	case !egress && g.chance(0.3), egress && g.chance(0.6):
		r.o("0.0.0.0/0")
	case g.chance(0.5):
		r.o("10.")
		r.n(g.IntN(256))
		r.o(".0.0/16")
	default:
		r.b = g.appendIPv4(r.b)
		r.o("/32")
	}
	r.o(`"`)
	if g.chance(0.4) {
		r.o(`,"description":`)
		r.q(pick(g, []string{"ssh from office", "temp access for vendor", "Zugriff für Büro", "allow \"admin\" vpn"}))
	}
	r.o(`}]},"ipv6Ranges":{},"prefixListIds":{}}]}`)
}

func (r *rec) instanceItem(id string) {
	g := r.g
	a := r.a
	r.s(`{"instanceId":`, id)
	r.s(`,"imageId":`, pick(g, a.amis))
	r.o(`,"instanceState":{"code":0,"name":"pending"},"privateDnsName":"ip-10-`)
	r.n(g.IntN(256))
	r.o("-")
	r.n(g.IntN(256))
	r.o("-")
	r.n(g.IntN(256))
	r.o(".")
	r.o(r.region)
	r.o(`.compute.internal","keyName":"`)
	r.o(pick(g, appNames))
	r.o(`-key","amiLaunchIndex":0,"productCodes":{},"instanceType":"`)
	r.o(pick(g, []string{"t3.micro", "t3.large", "m6i.xlarge", "c7g.2xlarge", "r6i.large", "p3.2xlarge"}))
	r.o(`","launchTime":`)
	r.b = strconv.AppendInt(r.b, r.t*1000, 10)
	r.o(`,"placement":{"availabilityZone":"`)
	r.o(r.region)
	r.o(string(rune('a' + g.IntN(3))))
	r.o(`","tenancy":"default"},"monitoring":{"state":"disabled"},"subnetId":"`)
	r.o(pick(g, a.subnets))
	r.o(`","vpcId":"`)
	r.o(pick(g, a.vpcs))
	r.o(`","privateIpAddress":"`)
	r.b = g.appendPrivateIPv4(r.b)
	r.o(`","stateReason":{"code":"pending","message":"pending"},"architecture":"x86_64","rootDeviceType":"ebs","rootDeviceName":"/dev/xvda","blockDeviceMapping":{},"virtualizationType":"hvm","hypervisor":"xen","groupSet":{"items":[{"groupId":"`)
	r.o(pick(g, a.sgs))
	r.o(`","groupName":"`)
	r.o(pick(g, appNames))
	r.o(`-sg"}]},"sourceDestCheck":true,"networkInterfaceSet":{"items":[{"networkInterfaceId":"eni-0`)
	r.b = g.appendHex(r.b, 16)
	r.o(`","subnetId":"`)
	r.o(pick(g, a.subnets))
	r.o(`","ownerId":"`)
	r.o(a.id)
	r.o(`","status":"in-use","macAddress":"0e:`)
	r.b = g.appendHex(r.b, 2)
	r.o(":")
	r.b = g.appendHex(r.b, 2)
	r.o(`:3f:aa:01","sourceDestCheck":true,"interfaceType":"interface"}]},"ebsOptimized":false,"enaSupport":true,"metadataOptions":{"state":"pending","httpTokens":"`)
	if g.chance(0.8) {
		r.o("required")
	} else {
		r.o("optional")
	}
	r.o(`","httpPutResponseHopLimit":2,"httpEndpoint":"enabled"},"maintenanceOptions":{"autoRecovery":"default"},"currentInstanceBootMode":"legacy-bios"}`)
}

func (r *rec) instanceStateItems(cur, curName, prev, prevName string) {
	g := r.g
	r.ec2RequestID()
	r.o(`,"instancesSet":{"items":[`)
	n := 1 + g.IntN(2)
	for i := 0; i < n; i++ {
		if i > 0 {
			r.o(",")
		}
		r.s(`{"instanceId":`, pick(g, r.a.instances))
		r.o(`,"currentState":{"code":` + cur + `,"name":"` + curName + `"},"previousState":{"code":` + prev + `,"name":"` + prevName + `"}}`)
	}
	r.o("]}}")
}

func (r *rec) instancesReq() {
	g := r.g
	r.o(`{"instancesSet":{"items":[`)
	n := 1 + g.IntN(2)
	for i := 0; i < n; i++ {
		if i > 0 {
			r.o(",")
		}
		r.s(`{"instanceId":`, pick(g, r.a.instances))
		r.o("}")
	}
	r.o("]}}")
}

func (r *rec) lambdaFnARN(b []byte, fn string) []byte {
	b = r.arnPrefix(b, "lambda")
	b = append(b, "function:"...)
	return append(b, fn...)
}

func (r *rec) fn() string {
	if r.s1 == "" {
		r.s1 = pick(r.g, r.a.functions)
	}
	r.resARN = r.lambdaFnARN(r.resARN[:0], r.s1)
	return r.s1
}

func (r *rec) table() string {
	if r.s1 == "" {
		r.s1 = pick(r.g, r.a.tables)
	}
	r.resARN = r.arnPrefix(r.resARN[:0], "dynamodb")
	r.resARN = append(r.resARN, "table/"...)
	r.resARN = append(r.resARN, r.s1...)
	return r.s1
}

func ddbRes(r *rec) {
	r.o(`{"accountId":"`)
	r.o(r.a.id)
	r.o(`","type":"AWS::DynamoDB::Table","ARN":"`)
	r.b = append(r.b, r.resARN...)
	r.o(`"}`)
}

func (r *rec) userName() string {
	if r.s1 == "" {
		if r.g.chance(0.6) {
			r.s1 = pick(r.g, r.a.users).name
		} else {
			r.s1 = pick(r.g, []string{"temp-admin", "svc-reporting", "contractor-01", "backup-operator", "ci-runner"})
		}
	}
	r.resARN = append(r.resARN[:0], "arn:aws:iam::"...)
	r.resARN = append(r.resARN, r.a.id...)
	r.resARN = append(r.resARN, ":user/"...)
	r.resARN = append(r.resARN, r.s1...)
	return r.s1
}

func (r *rec) roleName() string {
	if r.s1 == "" {
		if r.g.chance(0.7) {
			r.s1 = pick(r.g, r.a.roles).name
		} else {
			r.s1 = pick(r.g, appNames) + "-service-role"
		}
	}
	r.resARN = append(r.resARN[:0], "arn:aws:iam::"...)
	r.resARN = append(r.resARN, r.a.id...)
	r.resARN = append(r.resARN, ":role/"...)
	r.resARN = append(r.resARN, r.s1...)
	return r.s1
}

func (r *rec) trailARN() {
	r.resARN = append(r.resARN[:0], r.a.trailArn...)
	r.resARN = append(r.resARN, r.m.trailName...)
	r.s1 = r.m.trailName
}

func lit(s string) func(*rec) { return func(r *rec) { r.o(s) } }

// ---- the catalog ----

// catalogSpecs returns the catalog as written, ordered by frequency rank;
// catalog fills in the derived fields.
func catalogSpecs() []evSpec {
	return []evSpec{
		// 1
		{src: "s3", name: "GetObject", ro: true, data: true, ids: ipData, errRate: 0.045, errs: errsS3Get,
			req: func(r *rec) { r.s3Req(true, "") },
			add: func(r *rec) { r.s3Add(0, 200+r.g.IntN(5_000_000)) }, res: s3ObjRes},
		{src: "kms", name: "Decrypt", ro: true, ids: ipKMS, errs: errsKMS,
			req: func(r *rec) {
				r.kmsKey()
				r.o(`{"encryptionAlgorithm":"SYMMETRIC_DEFAULT"`)
				r.encContext()
				if r.g.chance(0.3) {
					r.o(`,"keyId":"`)
					r.b = r.kmsKeyARN(r.b)
					r.o(`"`)
				}
				r.o("}")
			}, res: kmsRes},
		{src: "sts", name: "AssumeRole", ro: true, global: true, ids: ipAssume, errs: errsSTS,
			req: func(r *rec) {
				ro := &r.a.roles[r.a.work[r.a.workTab.draw(r.g)]]
				if r.g.chance(0.2) {
					ro = &r.a.roles[r.a.human[r.g.IntN(len(r.a.human))]]
				}
				r.s1 = ro.name
				r.resARN = append(r.resARN[:0], ro.arn...)
				r.s(`{"roleArn":`, ro.arn)
				if ro.session != "" {
					r.k1 = append(r.k1[:0], ro.session...)
				} else {
					r.k1 = r.g.appendHex(append(r.k1[:0], "session-"...), 12)
				}
				r.sb(`,"roleSessionName":`, r.k1)
				r.i(`,"durationSeconds":`, pick(r.g, []int{900, 3600, 3600, 43200}))
				if r.idt == idAWSAccount && r.g.chance(0.5) {
					r.hex(`,"externalId":`, "", 20)
				}
				r.o("}")
			},
			resp: func(r *rec) {
				r.o("{")
				r.creds()
				r.o(`,"assumedRoleUser":{"assumedRoleId":"AROA`)
				r.b = r.g.appendChars(r.b, upperNum, 17)
				r.o(`:`)
				r.b = append(r.b, r.k1...)
				r.o(`","arn":"arn:aws:sts::`)
				r.o(r.a.id)
				r.o(`:assumed-role/`)
				r.o(r.s1)
				r.o(`/`)
				r.b = append(r.b, r.k1...)
				r.o(`"}}`)
			},
			res: func(r *rec) {
				r.o(`{"accountId":"`)
				r.o(r.a.id)
				r.o(`","type":"AWS::IAM::Role","ARN":"`)
				r.b = append(r.b, r.resARN...)
				r.o(`"}`)
			}},
		{src: "ec2", name: "DescribeInstances", ro: true, ids: ipWorkload, errRate: 0.02, errs: errsEC2,
			req: func(r *rec) {
				switch r.g.IntN(3) {
				case 0:
					r.o(`{"instancesSet":{},"filterSet":{}}`)
				case 1:
					r.instancesReq()
				default:
					r.o(`{"maxResults":1000,"instancesSet":{},`)
					r.filterSet("tag:Name", pick(r.g, appNames)+"-*")
					r.o("}")
				}
			}},
		{src: "s3", name: "PutObject", data: true, ids: ipData, errs: errsS3,
			req: func(r *rec) {
				if r.g.chance(0.3) {
					r.s3Req(true, `,"x-amz-server-side-encryption":"aws:kms","x-amz-acl":"bucket-owner-full-control"`)
				} else {
					r.s3Req(true, "")
				}
			},
			resp: func(r *rec) {
				if r.g.chance(0.7) {
					r.o(`{"x-amz-server-side-encryption":"AES256"}`)
				} else {
					r.o(`{"x-amz-server-side-encryption-aws-kms-key-id":"`)
					bucket := r.s1
					r.s1 = pick(r.g, r.a.kmsKeys)
					r.b = r.kmsKeyARN(r.b)
					r.s1 = bucket
					r.o(`","x-amz-server-side-encryption":"aws:kms"}`)
				}
			},
			add: func(r *rec) { r.s3Add(100+r.g.IntN(20_000_000), 0) }, res: s3ObjRes},
		{src: "kms", name: "GenerateDataKey", ro: true, ids: ipKMS, errs: errsKMS,
			req: func(r *rec) {
				r.kmsKey()
				r.o(`{"keyId":"`)
				if r.g.chance(0.4) {
					r.o("alias/aws/s3")
				} else {
					r.b = r.kmsKeyARN(r.b)
				}
				r.o(`"`)
				r.encContext()
				r.o(`,"keySpec":"AES_256"}`)
			}, res: kmsRes},
		{src: "s3", name: "HeadObject", ro: true, data: true, ids: ipData, errRate: 0.05, errs: errsS3Get,
			req: func(r *rec) { r.s3Req(true, "") },
			add: func(r *rec) { r.s3Add(0, 0) }, res: s3ObjRes},
		{src: "sts", name: "GetCallerIdentity", ro: true, global: true, errs: errsSTS, errRate: 0.01},
		{src: "ec2", name: "DescribeSecurityGroups", ro: true, ids: ipWorkload, errRate: 0.02, errs: errsEC2,
			req: func(r *rec) {
				r.o(`{"securityGroupSet":{},"securityGroupIdSet":{"items":[{"groupId":"`)
				r.o(pick(r.g, r.a.sgs))
				r.o(`"}]},"filterSet":{}}`)
			}},
		{src: "lambda", name: "Invoke", data: true, ids: ipData, errs: errsLambda,
			req: func(r *rec) {
				fn := r.fn()
				r.o(`{"functionName":"`)
				r.b = r.lambdaFnARN(r.b, fn)
				r.o(`"`)
				if r.g.chance(0.3) {
					r.o(`,"invocationType":"Event"`)
				}
				r.o("}")
			},
			add: func(r *rec) {
				r.o(`{"functionVersion":"`)
				r.b = r.lambdaFnARN(r.b, r.s1)
				r.o(`:$LATEST"}`)
			},
			res: func(r *rec) {
				r.o(`{"accountId":"`)
				r.o(r.a.id)
				r.o(`","type":"AWS::Lambda::Function","ARN":"`)
				r.b = r.lambdaFnARN(r.b, r.s1)
				r.o(`"}`)
			}},
		// 11
		{src: "dynamodb", name: "GetItem", ro: true, data: true, ids: ipData, api: "2012-08-10", errs: errsDDB, errRate: 0.02,
			req: func(r *rec) {
				r.s(`{"tableName":`, r.table())
				r.o(`,"key":{"pk":"HIDDEN_DUE_TO_SECURITY_REASONS"},"consistentRead":`)
				r.b = strconv.AppendBool(r.b, r.g.chance(0.3))
				r.o("}")
			}, res: ddbRes},
		{src: "logs", name: "CreateLogStream", ids: ipWorkload, errs: errsGeneric, errRate: 0.01,
			req: func(r *rec) {
				r.s(`{"logGroupName":`, pick(r.g, r.a.logGroups))
				r.o(`,"logStreamName":"`)
				r.b = appendDatePath(r.b, r.t)
				r.o("/[$LATEST]")
				r.b = r.g.appendHex(r.b, 32)
				r.o(`"}`)
			}},
		{src: "ssm", name: "GetParameter", ro: true, ids: ipWorkload, errs: errsGeneric,
			req: func(r *rec) {
				r.s1 = pick(r.g, r.a.params)
				r.s(`{"name":`, r.s1)
				r.o(`,"withDecryption":true}`)
			}},
		{src: "ec2", name: "DescribeVpcs", ro: true, ids: ipWorkload, errRate: 0.02, errs: errsEC2,
			req: lit(`{"vpcSet":{},"filterSet":{}}`)},
		{src: "s3", name: "ListObjects", ro: true, data: true, ids: ipData, errs: errsS3,
			req: func(r *rec) {
				r.s3Req(false, `,"list-type":"2","encoding-type":"url","prefix":"`+pick(r.g, []string{"data/", "logs/", "uploads/", "reports/", ""})+`","delimiter":"/"`)
			},
			add: func(r *rec) { r.s3Add(0, 300+r.g.IntN(40000)) }, res: s3ObjRes},
		{src: "secretsmanager", name: "GetSecretValue", ro: true, ids: ipWorkload, errs: errsGeneric,
			req: func(r *rec) {
				r.o(`{"secretId":"`)
				r.b = r.arnPrefix(r.b, "secretsmanager")
				r.o("secret:")
				r.o(pick(r.g, r.a.secrets))
				r.o(`"}`)
			}},
		{src: "ec2", name: "DescribeSubnets", ro: true, ids: ipWorkload, errRate: 0.02, errs: errsEC2,
			req: func(r *rec) {
				r.o(`{"subnetSet":{},`)
				r.filterSet("vpc-id", pick(r.g, r.a.vpcs))
				r.o("}")
			}},
		{src: "dynamodb", name: "PutItem", data: true, ids: ipData, api: "2012-08-10", errs: errsDDB,
			req: func(r *rec) {
				r.s(`{"tableName":`, r.table())
				r.o(`,"key":{"pk":"HIDDEN_DUE_TO_SECURITY_REASONS","sk":"HIDDEN_DUE_TO_SECURITY_REASONS"},"item":["pk","sk","status","updatedAt"]}`)
			}, res: ddbRes},
		{src: "ssm", name: "UpdateInstanceInformation", ids: ipWorkload,
			req: func(r *rec) {
				g := r.g
				r.s(`{"instanceId":`, pick(g, r.a.instances))
				r.o(`,"agentVersion":"3.3.`)
				r.n(900 + g.IntN(400))
				r.o(`.0","agentStatus":"Active","platformType":"Linux","platformName":"Amazon Linux","platformVersion":"2023","iPAddress":"`)
				r.b = g.appendPrivateIPv4(r.b)
				r.o(`","computerName":"ip-10-0-`)
				r.n(g.IntN(256))
				r.o("-")
				r.n(g.IntN(256))
				r.o(".")
				r.o(r.region)
				r.o(`.compute.internal","agentName":"amazon-ssm-agent","availabilityZone":"`)
				r.o(r.region)
				r.o(`a"}`)
			}},
		{src: "monitoring", name: "GetMetricData", ro: true, ids: ipWorkload, errs: errsGeneric, errRate: 0.01,
			req: func(r *rec) {
				r.o(`{"metricDataQueries":[{"id":"m1","metricStat":{"metric":{"namespace":"AWS/EC2","metricName":"CPUUtilization","dimensions":[{"name":"InstanceId","value":"`)
				r.o(pick(r.g, r.a.instances))
				r.o(`"}]},"period":300,"stat":"Average"},"returnData":true}],"startTime":`)
				r.b = appendJavaDate(r.b, r.t-3600)
				r.o(`,"endTime":`)
				r.b = appendJavaDate(r.b, r.t)
				r.o("}")
			}},
		// 21
		{src: "s3", name: "ListBuckets", ro: true, errs: errsS3, errRate: 0.01,
			req: func(r *rec) {
				r.o(`{"Host":"s3.`)
				r.o(r.region)
				r.o(`.amazonaws.com"}`)
			}},
		{src: "kms", name: "Encrypt", ro: true, ids: ipKMS, errs: errsKMS,
			req: func(r *rec) {
				r.kmsKey()
				r.o(`{"keyId":"`)
				r.b = r.kmsKeyARN(r.b)
				r.o(`","encryptionAlgorithm":"SYMMETRIC_DEFAULT"`)
				r.encContext()
				r.o("}")
			}, res: kmsRes},
		{src: "ec2", name: "DescribeNetworkInterfaces", ro: true, ids: ipWorkload, errRate: 0.02, errs: errsEC2,
			req: func(r *rec) {
				r.o(`{"networkInterfaceIdSet":{},`)
				r.filterSet("vpc-id", pick(r.g, r.a.vpcs))
				r.o("}")
			}},
		{src: "signin", name: "ConsoleLogin", global: true, kind: kConsoleSignIn, ids: ipConsole},
		{src: "ecr", name: "GetAuthorizationToken", ro: true, ids: ipWorkload, errs: errsGeneric, errRate: 0.01,
			req: func(r *rec) {
				r.o(`{"registryIds":["`)
				r.o(r.a.id)
				r.o(`"]}`)
			}},
		{src: "dynamodb", name: "Query", ro: true, data: true, ids: ipData, api: "2012-08-10", errs: errsDDB, errRate: 0.02,
			req: func(r *rec) {
				r.s(`{"tableName":`, r.table())
				r.o(`,"consistentRead":false,"keyConditionExpression":"#pk = :pk AND begins_with(#sk, :prefix)","expressionAttributeNames":{"#pk":"pk","#sk":"sk"},"limit":`)
				r.n(pick(r.g, []int{25, 100, 1000}))
				r.o("}")
			}, res: ddbRes},
		{src: "logs", name: "DescribeLogGroups", ro: true, errs: errsGeneric, errRate: 0.01,
			req: func(r *rec) {
				if r.g.chance(0.5) {
					r.o(`{"logGroupNamePrefix":"/aws/lambda/"}`)
				} else {
					r.o(`{"limit":50}`)
				}
			}},
		{src: "elasticloadbalancing", name: "DescribeLoadBalancers", ro: true, ids: ipWorkload, errs: errsGeneric, errRate: 0.01,
			req: lit(`{"pageSize":400}`)},
		{src: "s3", name: "GetBucketLocation", ro: true, errs: errsS3, errRate: 0.01,
			req: func(r *rec) { r.s3Req(false, `,"location":""`) },
			res: s3ObjRes},
		{src: "ec2", name: "DescribeVolumes", ro: true, ids: ipWorkload, errRate: 0.02, errs: errsEC2,
			req: lit(`{"volumeSet":{},"filterSet":{},"maxResults":500}`)},
		// 31
		{src: "autoscaling", name: "DescribeAutoScalingGroups", ro: true, ids: ipWorkload, errs: errsGeneric, errRate: 0.01,
			req: lit(`{"maxRecords":100}`)},
		{src: "sts", name: "AssumeRoleWithWebIdentity", ro: true, global: true, ids: ipWebID, errs: errsSTS, errRate: 0.02,
			req: func(r *rec) {
				r.s1 = "github-actions-deploy"
				r.o(`{"roleArn":`)
				r.roleArnOf(r.s1)
				r.o(`,"roleSessionName":"GitHubActions","durationSeconds":3600}`)
			},
			resp: func(r *rec) {
				r.o("{")
				r.creds()
				r.o(`,"subjectFromWebIdentityToken":"repo:example-org/`)
				r.o(pick(r.g, appNames))
				r.o(`:ref:refs/heads/main","assumedRoleUser":{"assumedRoleId":"AROA`)
				r.b = r.g.appendChars(r.b, upperNum, 17)
				r.o(`:GitHubActions","arn":"arn:aws:sts::`)
				r.o(r.a.id)
				r.o(`:assumed-role/github-actions-deploy/GitHubActions"},"provider":"arn:aws:iam::`)
				r.o(r.a.id)
				r.o(`:oidc-provider/token.actions.githubusercontent.com","audience":"sts.amazonaws.com"}`)
			}},
		{src: "lambda", name: "ListFunctions20150331", ro: true, errs: errsLambda, errRate: 0.01},
		{src: "s3", name: "DeleteObject", data: true, ids: ipData, errs: errsS3,
			req: func(r *rec) { r.s3Req(true, "") },
			add: func(r *rec) { r.s3Add(0, 0) }, res: s3ObjRes},
		{src: "kms", name: "DescribeKey", ro: true, errs: errsKMS, errRate: 0.01,
			req: func(r *rec) {
				r.kmsKey()
				r.o(`{"keyId":"alias/`)
				r.o(pick(r.g, appNames))
				r.o(`"}`)
			}, res: kmsRes},
		{src: "rds", name: "DescribeDBInstances", ro: true, ids: ipWorkload, errs: errsGeneric, errRate: 0.01},
		{src: "ec2", name: "RunInstances", ids: ipHuman, errRate: 0.06, errs: errsEC2,
			req: func(r *rec) {
				g := r.g
				r.o(`{"instancesSet":{"items":[{"imageId":"`)
				r.o(pick(g, r.a.amis))
				r.o(`","minCount":1,"maxCount":`)
				r.n(1 + g.IntN(3))
				r.o(`}]},"userData":"<sensitiveDataRemoved>","instanceType":"`)
				r.o(pick(g, []string{"t3.micro", "m6i.xlarge", "c7g.2xlarge", "p3.2xlarge"}))
				r.o(`","blockDeviceMapping":{},"monitoring":{"enabled":false},"disableApiTermination":false,"disableApiStop":false,"clientToken":"`)
				r.b = g.appendUUID(r.b)
				r.s(`","subnetId":`, pick(g, r.a.subnets))
				r.o(`,"iamInstanceProfile":{"name":"ec2-app-server-role"},"tagSpecificationSet":{"items":[{"resourceType":"instance","tags":[{"key":"Name","value":`)
				r.q(pick(g, appNames) + "-worker")
				r.o(`}]}]}}`)
			},
			resp: func(r *rec) {
				g := r.g
				r.ec2RequestID()
				r.o(`,"reservationId":"r-0`)
				r.b = g.appendHex(r.b, 16)
				r.s(`","ownerId":`, r.a.id)
				r.o(`,"groupSet":{},"instancesSet":{"items":[`)
				n := 1 + g.IntN(3)
				for i := 0; i < n; i++ {
					if i > 0 {
						r.o(",")
					}
					r.instanceItem(string(g.appendHex([]byte("i-0"), 16)))
				}
				r.o("]}}")
			}},
		{src: "s3", name: "GetBucketAcl", ro: true, errs: errsS3, errRate: 0.01,
			req: func(r *rec) { r.s3Req(false, `,"acl":""`) }, res: s3ObjRes},
		{src: "iam", name: "ListRoles", ro: true, global: true, errs: errsIAM, errRate: 0.01,
			req: lit(`{"maxItems":1000}`)},
		{src: "monitoring", name: "DescribeAlarms", ro: true, errs: errsGeneric, errRate: 0.01,
			req: lit(`{"maxRecords":100}`)},
		// 41
		{src: "cloudtrail", name: "DescribeTrails", ro: true, errs: errsCT, errRate: 0.01,
			req: lit(`{"includeShadowTrails":true}`)},
		{src: "cloudtrail", name: "LookupEvents", ro: true, errs: errsCT, errRate: 0.01,
			req: func(r *rec) {
				r.o(`{"lookupAttributes":[{"attributeKey":"EventName","attributeValue":"`)
				r.o(pick(r.g, []string{"ConsoleLogin", "RunInstances", "AssumeRole"}))
				r.o(`"}],"startTime":`)
				r.b = appendJavaDate(r.b, r.t-86400)
				r.o(`,"maxResults":50}`)
			}},
		{src: "config", name: "DescribeConfigRules", ro: true, errs: errsGeneric, errRate: 0.01},
		{src: "sns", name: "ListTopics", ro: true, errs: errsGeneric, errRate: 0.01},
		{src: "sqs", name: "ListQueues", ro: true, errs: errsGeneric, errRate: 0.01},
		{src: "dynamodb", name: "DescribeTable", ro: true, api: "2012-08-10", errs: errsDDB, errRate: 0.01,
			req: func(r *rec) { r.s(`{"tableName":`, r.table()); r.o("}") }, res: ddbRes},
		{src: "logs", name: "CreateLogGroup", ids: ipWorkload, errs: errsGeneric, errRate: 0.02,
			req: func(r *rec) { r.s(`{"logGroupName":`, pick(r.g, r.a.logGroups)); r.o("}") }},
		{src: "lambda", name: "GetFunction20150331v2", ro: true, errs: errsLambda, errRate: 0.02,
			req: func(r *rec) { r.s(`{"functionName":`, r.fn()); r.o("}") }},
		{src: "ec2", name: "CreateTags", ids: ipWorkload, errRate: 0.02, errs: errsEC2,
			req: func(r *rec) {
				r.s(`{"resourcesSet":{"items":[{"resourceId":`, pick(r.g, r.a.instances))
				r.o(`}]},"tagSet":{"items":[{"key":"Owner","value":`)
				r.q(pick(r.g, r.a.people))
				r.o(`}]}}`)
			}, resp: ec2ReturnResp},
		{src: "ec2", name: "AuthorizeSecurityGroupIngress", ids: ipHuman, errRate: 0.05, errs: errsEC2SG,
			req: func(r *rec) {
				r.s1 = pick(r.g, r.a.sgs)
				r.s(`{"groupId":`, r.s1)
				r.o(",")
				r.ipPermissions(false)
				r.o("}")
			},
			resp: func(r *rec) {
				r.ec2RequestID()
				r.o(`,"_return":true,"securityGroupRuleSet":{"items":[{"groupOwnerId":"`)
				r.o(r.a.id)
				r.o(`","groupId":"`)
				r.o(r.s1)
				r.o(`","securityGroupRuleId":"sgr-0`)
				r.b = r.g.appendHex(r.b, 16)
				r.o(`","isEgress":false,"ipProtocol":"tcp"}]}}`)
			}},
		// 51
		{src: "ec2", name: "CreateSecurityGroup", ids: ipHuman, errRate: 0.03, errs: errsEC2,
			req: func(r *rec) {
				r.s(`{"groupName":`, pick(r.g, appNames)+"-sg-"+string(r.g.appendHex(nil, 4)))
				r.o(`,"groupDescription":`)
				r.q(pick(r.g, []string{"managed by terraform", "launch-wizard-3 created 2024-11-02T10:11:12.000Z", "Sécurité – équipe données"}))
				r.s(`,"vpcId":`, pick(r.g, r.a.vpcs))
				r.o("}")
			},
			resp: func(r *rec) {
				r.ec2RequestID()
				r.o(`,"_return":true,"groupId":"sg-0`)
				r.b = r.g.appendHex(r.b, 16)
				r.o(`"}`)
			}},
		{src: "ec2", name: "TerminateInstances", ids: ipHuman, errRate: 0.04, errs: errsEC2,
			req:  func(r *rec) { r.instancesReq() },
			resp: func(r *rec) { r.instanceStateItems("32", "shutting-down", "16", "running") }},
		{src: "ec2", name: "StartInstances", ids: ipHuman, errRate: 0.03, errs: errsEC2,
			req:  func(r *rec) { r.instancesReq() },
			resp: func(r *rec) { r.instanceStateItems("0", "pending", "80", "stopped") }},
		{src: "ec2", name: "StopInstances", ids: ipHuman, errRate: 0.03, errs: errsEC2,
			req:  func(r *rec) { r.instancesReq() },
			resp: func(r *rec) { r.instanceStateItems("64", "stopping", "16", "running") }},
		{src: "iam", name: "CreateAccessKey", global: true, ids: ipHuman, errRate: 0.05, errs: errsIAM,
			req: func(r *rec) { r.s(`{"userName":`, r.userName()); r.o("}") },
			resp: func(r *rec) {
				r.s(`{"accessKey":{"userName":`, r.s1)
				r.o(`,"accessKeyId":"AKIA`)
				r.b = r.g.appendChars(r.b, upperNum, 16)
				r.o(`","status":"Active","createDate":`)
				r.b = appendJavaDate(r.b, r.t)
				r.o("}}")
			}},
		{src: "iam", name: "AttachRolePolicy", global: true, ids: ipHuman, errRate: 0.05, errs: errsIAM,
			req: func(r *rec) { r.s(`{"roleName":`, r.roleName()); r.policyArn(); r.o("}") }},
		{src: "iam", name: "PutRolePolicy", global: true, ids: ipHuman, errRate: 0.05, errs: errsIAM,
			req: func(r *rec) {
				r.s(`{"roleName":`, r.roleName())
				r.s(`,"policyName":`, pick(r.g, appNames)+"-inline")
				r.policyDoc(`,"policyDocument":`, false)
				r.o("}")
			}},
		{src: "iam", name: "CreateRole", global: true, ids: ipHuman, errRate: 0.04, errs: errsIAM,
			req: func(r *rec) {
				r.s1 = pick(r.g, appNames) + "-" + pick(r.g, envNames) + "-role"
				r.s(`{"roleName":`, r.s1)
				r.policyDoc(`,"assumeRolePolicyDocument":`, true)
				r.o(`,"path":"/"}`)
			},
			resp: func(r *rec) {
				r.o(`{"role":{"path":"/","roleName":`)
				r.q(r.s1)
				r.o(`,"roleId":"AROA`)
				r.b = r.g.appendChars(r.b, upperNum, 17)
				r.o(`","arn":`)
				r.roleArnOf(r.s1)
				r.o(`,"createDate":`)
				r.b = appendJavaDate(r.b, r.t)
				r.o("}}")
			}},
		{src: "s3", name: "PutBucketPolicy", ids: ipHuman, errRate: 0.05, errs: errsS3,
			req: func(r *rec) {
				g := r.g
				b := r.bucket()
				pub := g.chance(0.2)
				r.o(`{"bucketPolicy":{"Version":"2012-10-17","Statement":[{"Sid":"`)
				if pub {
					r.o(`PublicRead","Effect":"Allow","Principal":"*"`)
				} else {
					r.o(`AllowAccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`)
					r.o(r.a.id)
					r.o(`:root"}`)
				}
				r.o(`,"Action":["s3:GetObject"],"Resource":"arn:aws:s3:::`)
				r.o(b)
				r.o(`/*"}]},"bucketName":"`)
				r.o(b)
				r.o(`","Host":"`)
				r.o(b)
				r.o(".s3.")
				r.o(r.region)
				r.o(`.amazonaws.com","policy":`)
				d := r.tmp[:0]
				d = append(d, `{"Version":"2012-10-17","Statement":[{"Sid":"`...)
				if pub {
					d = append(d, `PublicRead","Effect":"Allow","Principal":"*"`...)
				} else {
					d = append(d, `AllowAccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`...)
					d = append(d, r.a.id...)
					d = append(d, `:root"}`...)
				}
				d = append(d, `,"Action":["s3:GetObject"],"Resource":"arn:aws:s3:::`...)
				d = append(d, b...)
				d = append(d, `/*"}]}`...)
				r.tmp = d
				r.b = appendStr(r.b, d)
				r.o("}")
				r.resARN = append(r.resARN[:0], "arn:aws:s3:::"...)
				r.resARN = append(r.resARN, b...)
			},
			add: func(r *rec) { r.s3Add(0, 0) }, res: s3ObjRes},
		{src: "ec2", name: "CreateRoute", ids: ipHuman, errRate: 0.03, errs: errsEC2,
			req: func(r *rec) {
				r.s(`{"routeTableId":`, pick(r.g, r.a.rtbs))
				if r.g.chance(0.5) {
					r.o(`,"destinationCidrBlock":"0.0.0.0/0"`)
				} else {
					r.o(`,"destinationCidrBlock":"172.`)
					r.n(16 + r.g.IntN(16))
					r.o(`.0.0/16"`)
				}
				r.s(`,"gatewayId":`, pick(r.g, r.a.igws))
				r.o("}")
			}, resp: ec2ReturnResp},
		// 61
		{src: "ec2", name: "CreateVpc", ids: ipHuman, errRate: 0.03, errs: errsEC2,
			req: func(r *rec) {
				r.o(`{"cidrBlock":"10.`)
				r.n(r.g.IntN(256))
				r.o(`.0.0/16","instanceTenancy":"default","amazonProvidedIpv6CidrBlock":false}`)
			},
			resp: func(r *rec) {
				g := r.g
				r.ec2RequestID()
				r.o(`,"vpc":{"vpcId":"vpc-0`)
				r.b = g.appendHex(r.b, 16)
				r.s(`","state":"pending","ownerId":`, r.a.id)
				r.o(`,"cidrBlock":"10.0.0.0/16","cidrBlockAssociationSet":{"items":[{"cidrBlock":"10.0.0.0/16","associationId":"vpc-cidr-assoc-0`)
				r.b = g.appendHex(r.b, 16)
				r.o(`","cidrBlockState":{"state":"associated"}}]},"ipv6CidrBlockAssociationSet":{},"dhcpOptionsId":"dopt-0`)
				r.b = g.appendHex(r.b, 16)
				r.o(`","instanceTenancy":"default","tagSet":{},"isDefault":false}}`)
			}},
		{src: "ec2", name: "CreateNetworkAclEntry", ids: ipHuman, errRate: 0.03, errs: errsEC2,
			req: func(r *rec) {
				r.s(`{"networkAclId":`, pick(r.g, r.a.acls))
				r.i(`,"ruleNumber":`, 100*(1+r.g.IntN(9)))
				r.bo(`,"egress":`, r.g.chance(0.3))
				if r.g.chance(0.85) {
					r.o(`,"ruleAction":"allow"`)
				} else {
					r.o(`,"ruleAction":"deny"`)
				}
				r.o(`,"icmpTypeCode":{},"portRange":{"from":22,"to":22},"aclProtocol":"6","cidrBlock":"0.0.0.0/0"}`)
			}, resp: ec2ReturnResp},
		{src: "ec2", name: "RevokeSecurityGroupIngress", ids: ipHuman, errRate: 0.03, errs: errsEC2SG,
			req: func(r *rec) {
				r.s(`{"groupId":`, pick(r.g, r.a.sgs))
				r.o(",")
				r.ipPermissions(false)
				r.o("}")
			}, resp: ec2ReturnResp},
		{src: "ec2", name: "AuthorizeSecurityGroupEgress", ids: ipHuman, errRate: 0.03, errs: errsEC2SG,
			req: func(r *rec) {
				r.s(`{"groupId":`, pick(r.g, r.a.sgs))
				r.o(",")
				r.ipPermissions(true)
				r.o("}")
			}, resp: ec2ReturnResp},
		{src: "kms", name: "CreateKey", ids: ipHuman, errs: errsKMS,
			req: func(r *rec) {
				r.o(`{"keyUsage":"ENCRYPT_DECRYPT","keySpec":"SYMMETRIC_DEFAULT","description":`)
				r.q(pick(r.g, appNames) + " data key")
				r.o(`,"origin":"AWS_KMS","bypassPolicyLockoutSafetyCheck":false,"multiRegion":false,"tags":[]}`)
			},
			resp: func(r *rec) {
				g := r.g
				r.s1 = string(g.appendUUID(nil))
				r.o(`{"keyMetadata":{"aWSAccountId":"`)
				r.o(r.a.id)
				r.s(`","keyId":`, r.s1)
				r.o(`,"arn":"`)
				r.b = r.kmsKeyARN(r.b)
				r.o(`","creationDate":`)
				r.b = appendJavaDate(r.b, r.t)
				r.o(`,"enabled":true,"description":"","keyUsage":"ENCRYPT_DECRYPT","keyState":"Enabled","origin":"AWS_KMS","keyManager":"CUSTOMER","customerMasterKeySpec":"SYMMETRIC_DEFAULT","keySpec":"SYMMETRIC_DEFAULT","encryptionAlgorithms":["SYMMETRIC_DEFAULT"],"multiRegion":false}}`)
			}, res: kmsRes},
		{src: "iam", name: "CreateUser", global: true, ids: ipHuman, errRate: 0.04, errs: errsIAM,
			req: func(r *rec) { r.s(`{"userName":`, r.userName()); r.o("}") },
			resp: func(r *rec) {
				r.s(`{"user":{"path":"/","userName":`, r.s1)
				r.o(`,"userId":"AIDA`)
				r.b = r.g.appendChars(r.b, upperNum, 17)
				r.o(`","arn":"`)
				r.b = append(r.b, r.resARN...)
				r.o(`","createDate":`)
				r.b = appendJavaDate(r.b, r.t)
				r.o("}}")
			}},
		{src: "iam", name: "PutUserPolicy", global: true, ids: ipHuman, errRate: 0.05, errs: errsIAM,
			req: func(r *rec) {
				r.s(`{"userName":`, r.userName())
				r.s(`,"policyName":`, "inline-"+pick(r.g, appNames))
				r.policyDoc(`,"policyDocument":`, false)
				r.o("}")
			}},
		{src: "iam", name: "AttachUserPolicy", global: true, ids: ipHuman, errRate: 0.05, errs: errsIAM,
			req: func(r *rec) { r.s(`{"userName":`, r.userName()); r.policyArn(); r.o("}") }},
		{src: "iam", name: "CreatePolicy", global: true, ids: ipHuman, errRate: 0.04, errs: errsIAM,
			req: func(r *rec) {
				r.s1 = pick(r.g, appNames) + "-access"
				r.s(`{"policyName":`, r.s1)
				r.policyDoc(`,"policyDocument":`, false)
				r.o("}")
			},
			resp: func(r *rec) {
				r.s(`{"policy":{"policyName":`, r.s1)
				r.o(`,"policyId":"ANPA`)
				r.b = r.g.appendChars(r.b, upperNum, 17)
				r.o(`","arn":"arn:aws:iam::`)
				r.o(r.a.id)
				r.o(`:policy/`)
				r.o(r.s1)
				r.o(`","path":"/","defaultVersionId":"v1","attachmentCount":0,"permissionsBoundaryUsageCount":0,"isAttachable":true,"createDate":`)
				r.b = appendJavaDate(r.b, r.t)
				r.o(`,"updateDate":`)
				r.b = appendJavaDate(r.b, r.t)
				r.o("}}")
			}},
		{src: "iam", name: "CreateLoginProfile", global: true, ids: ipHuman, errRate: 0.04, errs: errsIAM,
			req: func(r *rec) { r.s(`{"userName":`, r.userName()); r.o(`,"passwordResetRequired":true}`) },
			resp: func(r *rec) {
				r.s(`{"loginProfile":{"userName":`, r.s1)
				r.o(`,"createDate":`)
				r.b = appendJavaDate(r.b, r.t)
				r.o(`,"passwordResetRequired":true}}`)
			}},
		// 71
		{src: "s3", name: "CreateBucket", ids: ipHuman, errRate: 0.04, errs: errsS3,
			req: func(r *rec) {
				r.s1 = pick(r.g, r.a.buckets) + "-" + string(r.g.appendHex(nil, 6))
				r.o(`{"CreateBucketConfiguration":{"LocationConstraint":"`)
				r.o(r.region)
				r.o(`","xmlns":"http://s3.amazonaws.com/doc/2006-03-01/"}`)
				r.s3ReqTail()
			}, add: func(r *rec) { r.s3Add(0, 0) }, res: s3ObjRes},
		{src: "s3", name: "PutBucketAcl", ids: ipHuman, errRate: 0.04, errs: errsS3,
			req: func(r *rec) {
				extra := `,"acl":"","AccessControlPolicy":{"AccessControlList":{"Grant":[{"Grantee":{"xsi:type":"CanonicalUser","xmlns:xsi":"http://www.w3.org/2001/XMLSchema-instance","ID":"` +
					r.a.canonical + `"},"Permission":"FULL_CONTROL"}`
				if r.g.chance(0.3) {
					extra += `,{"Grantee":{"xsi:type":"Group","xmlns:xsi":"http://www.w3.org/2001/XMLSchema-instance","URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"}`
				}
				extra += `]},"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","Owner":{"ID":"` + r.a.canonical + `"}}`
				r.s3Req(false, extra)
			}, add: func(r *rec) { r.s3Add(0, 0) }, res: s3ObjRes},
		{src: "s3", name: "PutBucketPublicAccessBlock", ids: ipHuman, errRate: 0.04, errs: errsS3,
			req: func(r *rec) {
				v := "true"
				if r.g.chance(0.25) {
					v = "false"
				}
				r.s3Req(false, `,"publicAccessBlock":"","PublicAccessBlockConfiguration":{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","RestrictPublicBuckets":`+v+`,"BlockPublicPolicy":`+v+`,"BlockPublicAcls":`+v+`,"IgnorePublicAcls":`+v+`}`)
			}, add: func(r *rec) { r.s3Add(0, 0) }, res: s3ObjRes},
		{src: "ec2", name: "CreateRouteTable", ids: ipHuman, errRate: 0.03, errs: errsEC2,
			req: func(r *rec) { r.s1 = pick(r.g, r.a.vpcs); r.s(`{"vpcId":`, r.s1); r.o("}") },
			resp: func(r *rec) {
				r.ec2RequestID()
				r.o(`,"routeTable":{"routeTableId":"rtb-0`)
				r.b = r.g.appendHex(r.b, 16)
				r.s(`","vpcId":`, r.s1)
				r.s(`,"ownerId":`, r.a.id)
				r.o(`,"routeSet":{"items":[{"destinationCidrBlock":"10.0.0.0/16","gatewayId":"local","state":"active","origin":"CreateRouteTable"}]},"associationSet":{},"propagatingVgwSet":{},"tagSet":{}}}`)
			}},
		{src: "ec2", name: "ReplaceRoute", ids: ipHuman, errRate: 0.03, errs: errsEC2,
			req: func(r *rec) {
				r.s(`{"routeTableId":`, pick(r.g, r.a.rtbs))
				r.o(`,"destinationCidrBlock":"0.0.0.0/0"`)
				r.s(`,"gatewayId":`, pick(r.g, r.a.igws))
				r.o("}")
			}, resp: ec2ReturnResp},
		{src: "ec2", name: "AttachInternetGateway", ids: ipHuman, errRate: 0.03, errs: errsEC2,
			req: func(r *rec) {
				r.s(`{"internetGatewayId":`, pick(r.g, r.a.igws))
				r.s(`,"vpcId":`, pick(r.g, r.a.vpcs))
				r.o("}")
			}, resp: ec2ReturnResp},
		{src: "ec2", name: "CreateInternetGateway", ids: ipHuman, errRate: 0.03, errs: errsEC2,
			req: lit(`{}`),
			resp: func(r *rec) {
				r.ec2RequestID()
				r.o(`,"internetGateway":{"internetGatewayId":"igw-0`)
				r.b = r.g.appendHex(r.b, 16)
				r.s(`","ownerId":`, r.a.id)
				r.o(`,"attachmentSet":{},"tagSet":{}}}`)
			}},
		{src: "ec2", name: "CreateNetworkAcl", ids: ipHuman, errRate: 0.03, errs: errsEC2,
			req: func(r *rec) { r.s1 = pick(r.g, r.a.vpcs); r.s(`{"vpcId":`, r.s1); r.o("}") },
			resp: func(r *rec) {
				r.ec2RequestID()
				r.o(`,"networkAcl":{"networkAclId":"acl-0`)
				r.b = r.g.appendHex(r.b, 16)
				r.s(`","vpcId":`, r.s1)
				r.o(`,"default":false,"entrySet":{"items":[{"ruleNumber":32767,"protocol":"-1","ruleAction":"deny","egress":true,"cidrBlock":"0.0.0.0/0"},{"ruleNumber":32767,"protocol":"-1","ruleAction":"deny","egress":false,"cidrBlock":"0.0.0.0/0"}]},"associationSet":{},"tagSet":{}`)
				r.s(`,"ownerId":`, r.a.id)
				r.o("}}")
			}},
		{src: "ec2", name: "ModifyInstanceAttribute", ids: ipHuman, errRate: 0.03, errs: errsEC2,
			req: func(r *rec) {
				r.s(`{"instanceId":`, pick(r.g, r.a.instances))
				r.o(`,"disableApiTermination":{"value":false}}`)
			}, resp: ec2ReturnResp},
		{src: "secretsmanager", name: "CreateSecret", ids: ipHuman, errs: errsGeneric,
			req: func(r *rec) {
				r.s1 = pick(r.g, envNames) + "/" + pick(r.g, appNames) + "/api-key"
				r.s(`{"name":`, r.s1)
				r.uuid(`,"clientRequestToken":`)
				r.o(`,"secretString":"HIDDEN_DUE_TO_SECURITY_REASONS","forceOverwriteReplicaSecret":false}`)
			},
			resp: func(r *rec) {
				r.o(`{"aRN":"`)
				r.b = r.arnPrefix(r.b, "secretsmanager")
				r.o("secret:")
				r.o(r.s1)
				r.o("-")
				r.b = r.g.appendChars(r.b, alnum, 6)
				r.s(`","name":`, r.s1)
				r.uuid(`,"versionId":`)
				r.o("}")
			}},
		// 81
		{src: "ssm", name: "SendCommand", ids: ipHuman, errs: errsGeneric,
			req: func(r *rec) {
				r.s(`{"instanceIds":[`, pick(r.g, r.a.instances))
				r.o(`],"documentName":"AWS-RunShellScript","parameters":"HIDDEN_DUE_TO_SECURITY_REASONS","interactive":false}`)
			},
			resp: func(r *rec) {
				r.o(`{"command":{"commandId":"`)
				r.b = r.g.appendUUID(r.b)
				r.o(`","documentName":"AWS-RunShellScript","documentVersion":"$DEFAULT","comment":"","expiresAfter":`)
				r.b = appendJavaDate(r.b, r.t+3600)
				r.o(`,"parameters":"HIDDEN_DUE_TO_SECURITY_REASONS","instanceIds":[],"targets":[],"requestedDateTime":`)
				r.b = appendJavaDate(r.b, r.t)
				r.o(`,"status":"Pending","statusDetails":"Pending","outputS3Region":"`)
				r.o(r.region)
				r.o(`","targetCount":1,"completedCount":0,"errorCount":0,"deliveryTimedOutCount":0,"serviceRole":"","timeoutSeconds":3600,"interactive":false}}`)
			}},
		{src: "ssm", name: "StartSession", ids: ipHuman, errs: errsGeneric,
			req: func(r *rec) { r.s(`{"target":`, pick(r.g, r.a.instances)); r.o("}") },
			resp: func(r *rec) {
				r.o(`{"sessionId":"`)
				r.o(pick(r.g, firstNames))
				r.o("-0")
				r.b = r.g.appendHex(r.b, 16)
				r.o(`","tokenValue":"Value hidden due to security reasons.","streamUrl":"wss://ssmmessages.`)
				r.o(r.region)
				r.o(`.amazonaws.com/v1/data-channel/session?role=publish_subscribe&cell-number=AAEAAQAAAAA"}`)
			}},
		{src: "lambda", name: "CreateFunction20150331", ids: ipHuman, errs: errsLambda,
			req: func(r *rec) {
				r.s1 = pick(r.g, appNames) + "-" + pick(r.g, []string{"worker", "api", "cron"})
				r.s(`{"functionName":`, r.s1)
				r.o(`,"runtime":"python3.12","role":`)
				r.roleArnOf(r.s1 + "-role")
				r.o(`,"handler":"app.handler","code":{},"timeout":30,"memorySize":256,"publish":false,"architectures":["arm64"]}`)
			},
			resp: func(r *rec) {
				r.s(`{"functionName":`, r.s1)
				r.o(`,"functionArn":"`)
				r.b = r.lambdaFnARN(r.b, r.s1)
				r.o(`","runtime":"python3.12","role":`)
				r.roleArnOf(r.s1 + "-role")
				r.o(`,"handler":"app.handler","codeSize":`)
				r.n(1000 + r.g.IntN(5_000_000))
				r.o(`,"description":"","timeout":30,"memorySize":256,"lastModified":"`)
				r.b = appendTime(r.b, r.t)
				r.o(`","codeSha256":"`)
				r.b = r.g.appendChars(r.b, base64Set, 43)
				r.o(`=","version":"$LATEST","tracingConfig":{"mode":"PassThrough"},"revisionId":"`)
				r.b = r.g.appendUUID(r.b)
				r.o(`","state":"Pending","stateReason":"The function is being created.","stateReasonCode":"Creating","packageType":"Zip","architectures":["arm64"],"ephemeralStorage":{"size":512}}`)
			}},
		{src: "lambda", name: "UpdateFunctionCode20150331v2", ids: ipHuman, errs: errsLambda,
			req: func(r *rec) {
				r.s(`{"functionName":`, r.fn())
				r.o(`,"publish":false,"dryRun":false}`)
			},
			resp: func(r *rec) {
				r.s(`{"functionName":`, r.s1)
				r.o(`,"functionArn":"`)
				r.b = r.lambdaFnARN(r.b, r.s1)
				r.o(`","runtime":"nodejs20.x","codeSize":`)
				r.n(1000 + r.g.IntN(5_000_000))
				r.o(`,"version":"$LATEST","revisionId":"`)
				r.b = r.g.appendUUID(r.b)
				r.o(`","lastUpdateStatus":"InProgress"}`)
			}},
		{src: "dynamodb", name: "CreateTable", ids: ipHuman, api: "2012-08-10", errs: errsDDB,
			req: func(r *rec) {
				r.s1 = pick(r.g, envNames) + "-" + pick(r.g, tableNames) + "-v2"
				r.o(`{"attributeDefinitions":[{"attributeName":"pk","attributeType":"S"},{"attributeName":"sk","attributeType":"S"}],"tableName":`)
				r.q(r.s1)
				r.o(`,"keySchema":[{"attributeName":"pk","keyType":"HASH"},{"attributeName":"sk","keyType":"RANGE"}],"billingMode":"PAY_PER_REQUEST","sSESpecification":{"enabled":true}}`)
				r.table()
			},
			resp: func(r *rec) {
				r.o(`{"tableDescription":{"tableName":`)
				r.q(r.s1)
				r.o(`,"tableStatus":"CREATING","creationDateTime":`)
				r.b = appendJavaDate(r.b, r.t)
				r.o(`,"provisionedThroughput":{"numberOfDecreasesToday":0,"readCapacityUnits":0,"writeCapacityUnits":0},"tableSizeBytes":0,"itemCount":0,"tableArn":"`)
				r.b = append(r.b, r.resARN...)
				r.o(`","tableId":"`)
				r.b = r.g.appendUUID(r.b)
				r.o(`","billingModeSummary":{"billingMode":"PAY_PER_REQUEST"}}}`)
			}, res: ddbRes},
		{src: "rds", name: "CreateDBInstance", ids: ipHuman, errs: errsGeneric,
			req: func(r *rec) {
				r.s1 = pick(r.g, appNames) + "-db"
				r.s(`{"dBInstanceIdentifier":`, r.s1)
				r.o(`,"allocatedStorage":100,"dBInstanceClass":"db.r6g.large","engine":"postgres","masterUsername":"postgres","masterUserPassword":"HIDDEN_DUE_TO_SECURITY_REASONS","multiAZ":true,"publiclyAccessible":`)
				r.b = strconv.AppendBool(r.b, r.g.chance(0.1))
				r.o(`,"storageEncrypted":true}`)
			},
			resp: func(r *rec) {
				r.s(`{"dBInstanceIdentifier":`, r.s1)
				r.o(`,"dBInstanceClass":"db.r6g.large","engine":"postgres","dBInstanceStatus":"creating","masterUsername":"postgres","allocatedStorage":100,"multiAZ":true,"engineVersion":"16.3","dbiResourceId":"db-`)
				r.b = r.g.appendChars(r.b, upperNum, 26)
				r.o(`","dBInstanceArn":"`)
				r.b = r.arnPrefix(r.b, "rds")
				r.o("db:")
				r.o(r.s1)
				r.o(`"}`)
			}},
		{src: "sns", name: "CreateTopic", ids: ipHuman, errs: errsGeneric,
			req: func(r *rec) { r.s1 = pick(r.g, r.a.topics); r.s(`{"name":`, r.s1); r.o("}") },
			resp: func(r *rec) {
				r.o(`{"topicArn":"`)
				r.b = r.arnPrefix(r.b, "sns")
				r.o(r.s1)
				r.o(`"}`)
			}},
		{src: "sns", name: "Subscribe", ids: ipHuman, errs: errsGeneric,
			req: func(r *rec) {
				r.o(`{"topicArn":"`)
				r.b = r.arnPrefix(r.b, "sns")
				r.o(pick(r.g, r.a.topics))
				r.s(`","protocol":"email","endpoint":`, pick(r.g, r.a.people))
				r.o(`,"returnSubscriptionArn":false}`)
			},
			resp: lit(`{"subscriptionArn":"pending confirmation"}`)},
		{src: "logs", name: "PutRetentionPolicy", ids: ipHuman, errs: errsGeneric,
			req: func(r *rec) {
				r.s(`{"logGroupName":`, pick(r.g, r.a.logGroups))
				r.i(`,"retentionInDays":`, pick(r.g, []int{7, 30, 90, 365}))
				r.o("}")
			}},
		{src: "monitoring", name: "PutMetricAlarm", ids: ipHuman, errs: errsGeneric,
			req: func(r *rec) {
				r.o(`{"alarmName":`)
				r.q(pick(r.g, appNames) + "-high-cpu")
				r.o(`,"metricName":"CPUUtilization","namespace":"AWS/EC2","statistic":"Average","period":300,"evaluationPeriods":2,"threshold":80.0,"comparisonOperator":"GreaterThanThreshold","alarmActions":["`)
				r.b = r.arnPrefix(r.b, "sns")
				r.o(pick(r.g, r.a.topics))
				r.o(`"]}`)
			}},
		// 91
		{src: "cloudtrail", name: "UpdateTrail", ids: ipHuman, errRate: 0.05, errs: errsCT,
			req: func(r *rec) {
				r.trailARN()
				r.sb(`{"name":`, r.resARN)
				r.o(`,"s3BucketName":"`)
				r.o(r.m.bucket)
				r.o(`","isMultiRegionTrail":true,"enableLogFileValidation":`)
				r.b = strconv.AppendBool(r.b, r.g.chance(0.7))
				r.o("}")
			},
			resp: func(r *rec) {
				r.s(`{"name":`, r.m.trailName)
				r.s(`,"s3BucketName":`, r.m.bucket)
				r.o(`,"includeGlobalServiceEvents":true,"isMultiRegionTrail":true,"trailARN":`)
				r.b = appendStr(r.b, r.resARN)
				r.o(`,"logFileValidationEnabled":true,"isOrganizationTrail":`)
				r.b = strconv.AppendBool(r.b, r.m.cfg.OrgID != "")
				r.o("}")
			}},
		{src: "cloudtrail", name: "StopLogging", ids: ipHuman, errRate: 0.08, errs: errsCT,
			req: func(r *rec) { r.trailARN(); r.sb(`{"name":`, r.resARN); r.o("}") }},
		{src: "cloudtrail", name: "StartLogging", ids: ipHuman, errRate: 0.03, errs: errsCT,
			req: func(r *rec) { r.trailARN(); r.sb(`{"name":`, r.resARN); r.o("}") }},
		{src: "cloudtrail", name: "DeleteTrail", ids: ipHuman, errRate: 0.1, errs: errsCT,
			req: func(r *rec) { r.trailARN(); r.sb(`{"name":`, r.resARN); r.o("}") }},
		{src: "config", name: "StopConfigurationRecorder", ids: ipHuman, errRate: 0.05, errs: errsGeneric,
			req: lit(`{"configurationRecorderName":"default"}`)},
		{src: "config", name: "DeleteDeliveryChannel", ids: ipHuman, errRate: 0.05, errs: errsGeneric,
			req: lit(`{"deliveryChannelName":"default"}`)},
		{src: "config", name: "PutConfigurationRecorder", ids: ipHuman, errs: errsGeneric,
			req: func(r *rec) {
				r.o(`{"configurationRecorder":{"name":"default","roleARN":"arn:aws:iam::`)
				r.o(r.a.id)
				r.o(`:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig","recordingGroup":{"allSupported":true,"includeGlobalResourceTypes":true,"resourceTypes":[]}}}`)
			}},
		{src: "kms", name: "DisableKey", ids: ipHuman, errRate: 0.05, errs: errsKMS,
			req: func(r *rec) { r.s(`{"keyId":`, r.kmsKey()); r.o("}") }, res: kmsRes},
		{src: "kms", name: "ScheduleKeyDeletion", ids: ipHuman, errRate: 0.05, errs: errsKMS,
			req: func(r *rec) {
				r.s(`{"keyId":`, r.kmsKey())
				r.i(`,"pendingWindowInDays":`, pick(r.g, []int{7, 30}))
				r.o("}")
			},
			resp: func(r *rec) {
				r.o(`{"keyId":"`)
				r.b = r.kmsKeyARN(r.b)
				r.o(`","deletionDate":`)
				r.b = appendJavaDate(r.b, (r.t/86400+31)*86400)
				r.o(`,"keyState":"PendingDeletion","pendingWindowInDays":30}`)
			}, res: kmsRes},
		{src: "iam", name: "DetachRolePolicy", global: true, ids: ipHuman, errRate: 0.05, errs: errsIAM,
			req: func(r *rec) { r.s(`{"roleName":`, r.roleName()); r.policyArn(); r.o("}") }},
		// 101
		{src: "iam", name: "DeleteUser", global: true, ids: ipHuman, errRate: 0.06, errs: errsIAM,
			req: func(r *rec) { r.s(`{"userName":`, r.userName()); r.o("}") }},
		{src: "iam", name: "DeleteAccessKey", global: true, ids: ipHuman, errRate: 0.05, errs: errsIAM,
			req: func(r *rec) {
				r.s(`{"userName":`, r.userName())
				r.o(`,"accessKeyId":"AKIA`)
				r.b = r.g.appendChars(r.b, upperNum, 16)
				r.o(`"}`)
			}},
		{src: "iam", name: "UpdateAssumeRolePolicy", global: true, ids: ipHuman, errRate: 0.05, errs: errsIAM,
			req: func(r *rec) {
				r.s(`{"roleName":`, r.roleName())
				r.policyDoc(`,"policyDocument":`, true)
				r.o("}")
			}},
		{src: "iam", name: "CreatePolicyVersion", global: true, ids: ipHuman, errRate: 0.05, errs: errsIAM,
			req: func(r *rec) {
				r.o(`{"policyArn":"arn:aws:iam::`)
				r.o(r.a.id)
				r.o(`:policy/`)
				r.o(pick(r.g, appNames))
				r.o(`-access"`)
				r.policyDoc(`,"policyDocument":`, false)
				r.o(`,"setAsDefault":true}`)
			},
			resp: func(r *rec) {
				r.o(`{"policyVersion":{"versionId":"v`)
				r.n(2 + r.g.IntN(4))
				r.o(`","isDefaultVersion":true,"createDate":`)
				r.b = appendJavaDate(r.b, r.t)
				r.o("}}")
			}},
		{src: "iam", name: "DeactivateMFADevice", global: true, ids: ipHuman, errRate: 0.05, errs: errsIAM,
			req: func(r *rec) {
				u := r.userName()
				r.s(`{"userName":`, u)
				r.o(`,"serialNumber":"arn:aws:iam::`)
				r.o(r.a.id)
				r.o(`:mfa/`)
				r.o(u)
				r.o(`"}`)
			}},
		{src: "iam", name: "AddUserToGroup", global: true, ids: ipHuman, errRate: 0.04, errs: errsIAM,
			req: func(r *rec) {
				r.s(`{"groupName":`, pick(r.g, []string{"admins", "developers", "readonly", "billing"}))
				r.s(`,"userName":`, r.userName())
				r.o("}")
			}},
		{src: "organizations", name: "CreateAccount", global: true, ids: ipHuman, errs: errsGeneric,
			req: func(r *rec) {
				r.o(`{"accountName":`)
				r.q(pick(r.g, appNames) + "-" + pick(r.g, envNames))
				r.o(`,"email":"HIDDEN_DUE_TO_SECURITY_REASONS","roleName":"OrganizationAccountAccessRole"}`)
			},
			resp: func(r *rec) {
				r.o(`{"createAccountStatus":{"id":"car-`)
				r.b = r.g.appendHex(r.b, 32)
				r.o(`","accountName":"new-account","state":"IN_PROGRESS","requestedTimestamp":`)
				r.b = appendJavaDate(r.b, r.t)
				r.o("}}")
			}},
		{src: "organizations", name: "AttachPolicy", global: true, ids: ipHuman, errs: errsGeneric,
			req: func(r *rec) {
				r.o(`{"policyId":"p-`)
				r.b = r.g.appendChars(r.b, lowerNum, 8)
				r.o(`","targetId":"ou-`)
				r.b = r.g.appendChars(r.b, lowerNum, 4)
				r.o("-")
				r.b = r.g.appendChars(r.b, lowerNum, 8)
				r.o(`"}`)
			}},
		{src: "organizations", name: "DescribeOrganization", ro: true, global: true, errs: errsGeneric, errRate: 0.01},
		{src: "organizations", name: "ListAccounts", ro: true, global: true, errs: errsGeneric, errRate: 0.01},
		// 111
		{src: "s3", name: "DeleteBucketPolicy", ids: ipHuman, errRate: 0.05, errs: errsS3,
			req: func(r *rec) { r.s3Req(false, `,"policy":""`) }, add: func(r *rec) { r.s3Add(0, 0) }, res: s3ObjRes},
		{src: "ec2", name: "DeleteSecurityGroup", ids: ipHuman, errRate: 0.05, errs: errsEC2,
			req:  func(r *rec) { r.s1 = pick(r.g, r.a.sgs); r.s(`{"groupId":`, r.s1); r.o("}") },
			resp: func(r *rec) { r.ec2RequestID(); r.o(`,"_return":true,"groupId":`); r.q(r.s1); r.o("}") }},
		{src: "ec2", name: "DeleteVpc", ids: ipHuman, errRate: 0.05, errs: errsEC2,
			req: func(r *rec) { r.s(`{"vpcId":`, pick(r.g, r.a.vpcs)); r.o("}") }, resp: ec2ReturnResp},
		{src: "ec2", name: "CreateCustomerGateway", ids: ipHuman, errRate: 0.03, errs: errsEC2,
			req: func(r *rec) {
				r.o(`{"type":"ipsec.1","ipAddress":"`)
				r.b = r.g.appendIPv4(r.b)
				r.o(`","bgpAsn":65000}`)
			},
			resp: func(r *rec) {
				r.ec2RequestID()
				r.o(`,"customerGateway":{"customerGatewayId":"cgw-0`)
				r.b = r.g.appendHex(r.b, 16)
				r.o(`","state":"available","type":"ipsec.1","bgpAsn":"65000","tagSet":{}}}`)
			}},
		{src: "ec2", name: "DeleteNetworkAclEntry", ids: ipHuman, errRate: 0.03, errs: errsEC2,
			req: func(r *rec) {
				r.s(`{"networkAclId":`, pick(r.g, r.a.acls))
				r.o(`,"ruleNumber":100,"egress":false}`)
			}, resp: ec2ReturnResp},
		{src: "ec2", name: "ReplaceNetworkAclAssociation", ids: ipHuman, errRate: 0.03, errs: errsEC2,
			req: func(r *rec) {
				r.o(`{"associationId":"aclassoc-0`)
				r.b = r.g.appendHex(r.b, 16)
				r.s(`","networkAclId":`, pick(r.g, r.a.acls))
				r.o("}")
			},
			resp: func(r *rec) {
				r.ec2RequestID()
				r.o(`,"newAssociationId":"aclassoc-0`)
				r.b = r.g.appendHex(r.b, 16)
				r.o(`"}`)
			}},
		{src: "kms", name: "RotateKey", kind: kServiceEvent, ids: ipSvcEvent,
			req: func(r *rec) { r.kmsKey(); r.o("null") }, res: kmsRes,
			sed: func(r *rec) { r.s(`{"keyId":`, r.s1); r.o("}") }},
		{src: "backup", name: "BackupJobCompleted", kind: kServiceEvent, ids: ipSvcEvent,
			sed: func(r *rec) {
				g := r.g
				r.o(`{"backupJobId":"`)
				r.b = g.appendUUID(r.b)
				r.o(`","backupVaultName":"Default","backupVaultArn":"`)
				r.b = r.arnPrefix(r.b, "backup")
				r.o(`backup-vault:Default","resourceArn":"`)
				r.b = r.arnPrefix(r.b, "ec2")
				r.o("volume/vol-0")
				r.b = g.appendHex(r.b, 16)
				r.o(`","creationDate":`)
				r.b = appendJavaDate(r.b, r.t-1800)
				r.o(`,"state":"COMPLETED","percentDone":100.0,"backupSizeInBytes":`)
				r.n(g.IntN(1 << 30))
				r.o(`,"iamRoleArn":"arn:aws:iam::`)
				r.o(r.a.id)
				r.o(`:role/service-role/AWSBackupDefaultServiceRole","resourceType":"EBS"}`)
			}},
		{src: "signin", name: "SwitchRole", global: true, kind: kConsoleSignIn, ids: ipConsole},
		{src: "sts", name: "GetSessionToken", ro: true, global: true, errs: errsSTS,
			req:  lit(`{"durationSeconds":43200}`),
			resp: func(r *rec) { r.o("{"); r.creds(); r.o("}") }},
		// 121
		{src: "sts", name: "AssumeRoleWithSAML", ro: true, global: true, ids: ipSAML, errs: errsSTS,
			req: func(r *rec) {
				r.s1 = pick(r.g, r.a.roles).name
				r.o(`{"sAMLAssertionID":"_`)
				r.b = r.g.appendHex(r.b, 32)
				r.o(`","roleSessionName":`)
				r.q(pick(r.g, r.a.people))
				r.o(`,"principalArn":"arn:aws:iam::`)
				r.o(r.a.id)
				r.o(`:saml-provider/okta","roleArn":`)
				r.roleArnOf(r.s1)
				r.o(`,"durationSeconds":3600}`)
			},
			resp: func(r *rec) {
				r.o("{")
				r.creds()
				r.o(`,"subjectType":"persistent","issuer":"http://www.okta.com/exk`)
				r.b = r.g.appendChars(r.b, alnum, 17)
				r.o(`","audience":"https://signin.aws.amazon.com/saml"}`)
			}},
		{src: "guardduty", name: "ListDetectors", ro: true, errs: errsGeneric, errRate: 0.01},
		{src: "guardduty", name: "DeleteDetector", ids: ipHuman, errs: errsGeneric, errRate: 0.06,
			req: func(r *rec) { r.hex(`{"detectorId":`, "", 32); r.o("}") }},
		{src: "organizations", name: "LeaveOrganization", global: true, ids: ipHuman, errs: errsGeneric, errRate: 0.2},
	}
}

// s3ReqTail writes the "bucketName"/"Host" tail of a bucket request whose
// object has already been opened, using r.s1 as the bucket.
func (r *rec) s3ReqTail() {
	b := r.s1
	r.o(`,"bucketName":`)
	r.q(b)
	r.o(`,"Host":"`)
	r.o(b)
	r.o(".s3.")
	r.o(r.region)
	r.o(`.amazonaws.com"}`)
	r.resARN = append(r.resARN[:0], "arn:aws:s3:::"...)
	r.resARN = append(r.resARN, b...)
}
