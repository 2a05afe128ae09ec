package gen

import (
	"math"
)

// roleKind classifies IAM roles by how their sessions look in CloudTrail.
type roleKind uint8

const (
	rkSSO roleKind = iota
	rkAdmin
	rkEC2
	rkLambda
	rkEKS
	rkECS
	rkCI
	rkTerraform
	rkServiceLinked
	rkVendor
)

type role struct {
	name, id, path string
	arn            string
	kind           roleKind
	svc            string  // invoking service for service-linked roles
	session        string  // fixed session name, if any
	weight         float64 // relative call volume
}

type user struct {
	name, id string
	arn      string
	keys     []string
	console  bool
}

// account holds one account's deterministic principals and resources.
type account struct {
	idx      int
	id       string
	roles    []role
	human    []int // indexes into roles: human (console/SSO/admin) roles
	work     []int // indexes into roles: workloads
	humanTab cumTable
	workTab  cumTable
	users    []user
	people   []string

	buckets   []string
	kmsKeys   []string
	functions []string
	tables    []string
	secrets   []string
	params    []string
	logGroups []string
	instances []string
	sgs       []string
	vpcs      []string
	subnets   []string
	rtbs      []string
	acls      []string
	igws      []string
	amis      []string
	topics    []string
	office    []string
	idStore   string
	canonical string
	trailArn  string
}

// model is the immutable description shared by the planner and the workers.
type model struct {
	cfg       Config
	prefix    string // "" or "p/"
	orgPart   string // "" or "o-xxx/"
	accounts  []*account
	acctTab   cumTable
	regions   []string
	regionTab cumTable
	globalReg int     // index of the region that receives global-service events
	pGlobal   float64 // in globalReg objects, probability of a global event
	global    evTable
	regional  evTable
	idTabs    [nProfiles]cumTable // identity draw tables, by profile (profileWeights)
	start     int64               // Unix seconds
	span      int64               // seconds
	trailName string
	bucket    string
	lineages  []*job // lineage files in window order (lineage.go)
}

type evTable struct {
	specs []*evSpec
	tab   cumTable
}

// accountIDs derives n distinct 12-digit account ids from seed. The second
// id (or the only one when n == 1) has a leading zero.
func accountIDs(seed uint64, n int) []string {
	g := newRng(seed, 0xACC0)
	seen := make(map[string]bool, n)
	ids := make([]string, 0, n)
	lead := 1
	if n == 1 {
		lead = 0
	}
	for len(ids) < n {
		var b []byte
		if len(ids) == lead {
			b = append(b, '0')
			b = append(b, byte('1'+g.IntN(9)))
		} else {
			b = append(b, byte('1'+g.IntN(9)))
			b = append(b, byte('0'+g.IntN(10)))
		}
		for len(b) < 12 {
			b = append(b, byte('0'+g.IntN(10)))
		}
		id := string(b)
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

var (
	firstNames = []string{"jane", "john", "maria", "wei", "aisha", "lars", "priya", "diego", "emma", "kenji", "fatima", "noah", "olga", "samuel", "chloe", "arjun", "lucia", "tom", "nina", "omar"}
	lastNames  = []string{"doe", "smith", "garcia", "chen", "khan", "nilsen", "patel", "rossi", "brown", "tanaka", "haddad", "miller", "ivanova", "okafor", "martin", "rao", "fernandez", "becker", "kowalski", "silva"}
	bucketUses = []string{"data", "logs", "artifacts", "backups", "static-site", "athena-results", "ml-datasets", "terraform-state", "uploads", "reports"}
	fnNames    = []string{"orders-api", "image-resizer", "etl-ingest", "slack-notifier", "cost-report", "auth-authorizer", "stream-processor", "cleanup-snapshots", "webhook-handler", "pdf-render"}
	tableNames = []string{"orders", "sessions", "users", "inventory", "events", "feature-flags", "payments", "audit-log"}
	appNames   = []string{"checkout", "catalog", "billing", "search", "identity", "reporting"}
	envNames   = []string{"prod", "staging", "dev"}
)

func newModel(cfg Config) *model {
	m := &model{cfg: cfg, regions: cfg.Regions, idTabs: profileTables()}
	if cfg.Prefix != "" {
		m.prefix = cfg.Prefix + "/"
	}
	if cfg.OrgID != "" {
		m.orgPart = cfg.OrgID + "/"
		m.trailName = "org-trail"
	} else {
		m.trailName = "management-events"
	}
	m.bucket = cfg.Bucket
	m.start = cfg.Start.Unix()
	m.span = int64(cfg.Days) * 86400

	ids := cfg.AccountIDs()
	g := newRng(cfg.Seed, 0x0DE1)
	aw := make([]float64, len(ids))
	for i, id := range ids {
		m.accounts = append(m.accounts, newAccount(g, i, id, cfg.Regions[0]))
		aw[i] = 1 / math.Pow(float64(i+1), 0.8)
	}
	m.acctTab = newCumTable(aw)

	m.globalReg = 0
	for i, r := range cfg.Regions {
		if r == "us-east-1" {
			m.globalReg = i
		}
	}
	var gw, rw []float64
	gsum, tot := 0.0, 0.0
	cat := catalog()
	for i := range cat {
		sp := &cat[i]
		if sp.global {
			m.global.specs = append(m.global.specs, sp)
			gw = append(gw, sp.weight)
			gsum += sp.weight
		} else {
			m.regional.specs = append(m.regional.specs, sp)
			rw = append(rw, sp.weight)
		}
		tot += sp.weight
	}
	m.global.tab = newCumTable(gw)
	m.regional.tab = newCumTable(rw)
	gfrac := gsum / tot
	// Region weights: a skewed base share plus all global-service traffic
	// in the global region, so that the overall event-name distribution is
	// exactly the catalog's.
	base := make([]float64, len(cfg.Regions))
	bs := 0.0
	for i := range base {
		base[i] = 1 / float64(i+1)
		bs += base[i]
	}
	rwts := make([]float64, len(cfg.Regions))
	for i := range rwts {
		rwts[i] = (1 - gfrac) * base[i] / bs
	}
	rwts[m.globalReg] += gfrac
	m.regionTab = newCumTable(rwts)
	m.pGlobal = gfrac / rwts[m.globalReg]
	return m
}

func newAccount(g *rng, idx int, id, home string) *account {
	a := &account{idx: idx, id: id}
	hexid := func(prefix string, n int) string { return string(g.appendHex([]byte(prefix), n)) }
	addRole := func(name, path string, kind roleKind, svc, session string, w float64) {
		r := role{name: name, path: path, kind: kind, svc: svc, session: session, weight: w}
		r.id = string(g.appendChars([]byte("AROA"), upperNum, 17))
		r.arn = "arn:aws:iam::" + id + ":role" + path + name
		a.roles = append(a.roles, r)
	}
	for _, ps := range []string{"AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "DataScientist"} {
		addRole("AWSReservedSSO_"+ps+"_"+hexid("", 16), "/aws-reserved/sso.amazonaws.com/", rkSSO, "", "", 3)
	}
	addRole("OrganizationAccountAccessRole", "/", rkAdmin, "", "", 1)
	addRole("BreakGlassAdmin", "/", rkAdmin, "", "", 0.2)
	addRole("ec2-app-server-role", "/", rkEC2, "", "", 6)
	addRole("eks-node-group-role", "/", rkEC2, "", "", 5)
	addRole("batch-worker-instance", "/service-role/", rkEC2, "", "", 2)
	for _, fn := range fnNames[:6] {
		addRole(fn+"-lambda-role", "/service-role/", rkLambda, "", fn, 3)
	}
	for _, n := range []string{"eks-external-dns", "karpenter-controller", "loki-s3-access", "cluster-autoscaler"} {
		addRole(n, "/", rkEKS, "", "", 3)
	}
	addRole("ecsTaskExecutionRole", "/", rkECS, "", "", 3)
	addRole("payments-task-role", "/", rkECS, "", "", 2)
	addRole("github-actions-deploy", "/", rkCI, "", "GitHubActions", 2)
	addRole("terraform-apply", "/", rkTerraform, "", "", 1.5)
	addRole("AWSServiceRoleForConfig", "/aws-service-role/config.amazonaws.com/", rkServiceLinked, "config.amazonaws.com", "AWSConfig-Describe", 3)
	addRole("AWSServiceRoleForAutoScaling", "/aws-service-role/autoscaling.amazonaws.com/", rkServiceLinked, "autoscaling.amazonaws.com", "AutoScaling", 1.5)
	addRole("AWSServiceRoleForAmazonGuardDuty", "/aws-service-role/guardduty.amazonaws.com/", rkServiceLinked, "guardduty.amazonaws.com", "AmazonGuardDuty", 1.5)
	addRole("AWSServiceRoleForSecurityHub", "/aws-service-role/securityhub.amazonaws.com/", rkServiceLinked, "securityhub.amazonaws.com", "securityhub", 1)
	addRole("DatadogIntegrationRole", "/", rkVendor, "", "DatadogAWSIntegration", 2)
	var hw, ww []float64
	for i, r := range a.roles {
		switch r.kind {
		case rkSSO, rkAdmin:
			a.human = append(a.human, i)
			hw = append(hw, r.weight)
		default:
			a.work = append(a.work, i)
			ww = append(ww, r.weight)
		}
	}
	a.humanTab = newCumTable(hw)
	a.workTab = newCumTable(ww)

	for _, n := range []string{"alice", "bob.martin", "ci-legacy", "svc-backup", "jenkins", "ses-smtp-user.20230412-101512", "break-glass", "ana.souza", "readonly-auditor", "deploy-bot"} {
		u := user{name: n, id: string(g.appendChars([]byte("AIDA"), upperNum, 17))}
		u.arn = "arn:aws:iam::" + id + ":user/" + n
		u.console = n == "alice" || n == "bob.martin" || n == "ana.souza" || n == "break-glass" || n == "readonly-auditor"
		for k := 0; k < 1+g.IntN(2); k++ {
			u.keys = append(u.keys, string(g.appendChars([]byte("AKIA"), upperNum, 16)))
		}
		a.users = append(a.users, u)
	}
	for i := 0; i < 12; i++ {
		a.people = append(a.people, pick(g, firstNames)+"."+pick(g, lastNames)+"@example.com")
	}
	org := pick(g, []string{"acme", "globex", "initech", "umbrella", "hooli"})
	for i, u := range bucketUses {
		env := envNames[i%len(envNames)]
		name := org + "-" + env + "-" + u
		if i%3 == 0 {
			name += "-" + id
		} else {
			name += "-" + string(g.appendChars(nil, lowerNum, 5))
		}
		a.buckets = append(a.buckets, name)
	}
	a.buckets = append(a.buckets, "cdk-hnb659fds-assets-"+id+"-"+home, "aws-cloudtrail-logs-"+id+"-"+hexid("", 8), "elasticbeanstalk-"+home+"-"+id)
	for i := 0; i < 6; i++ {
		a.kmsKeys = append(a.kmsKeys, string(g.appendUUID(nil)))
	}
	a.functions = append(a.functions, fnNames...)
	for _, t := range tableNames {
		a.tables = append(a.tables, pick(g, envNames)+"-"+t)
	}
	for _, app := range appNames {
		env := pick(g, envNames)
		a.secrets = append(a.secrets, env+"/"+app+"/db-credentials-"+string(g.appendChars(nil, alnum, 6)))
		a.params = append(a.params, "/"+env+"/"+app+"/config/endpoint", "/"+env+"/"+app+"/feature-flags")
		a.logGroups = append(a.logGroups, "/aws/lambda/"+app+"-handler", "/ecs/"+env+"-"+app)
		a.topics = append(a.topics, env+"-"+app+"-alerts")
	}
	for i := 0; i < 24; i++ {
		a.instances = append(a.instances, hexid("i-0", 16))
	}
	for i := 0; i < 12; i++ {
		a.sgs = append(a.sgs, hexid("sg-0", 16))
		a.subnets = append(a.subnets, hexid("subnet-0", 16))
	}
	for i := 0; i < 4; i++ {
		a.vpcs = append(a.vpcs, hexid("vpc-0", 16))
		a.rtbs = append(a.rtbs, hexid("rtb-0", 16))
		a.acls = append(a.acls, hexid("acl-0", 16))
		a.igws = append(a.igws, hexid("igw-0", 16))
		a.amis = append(a.amis, hexid("ami-0", 16))
	}
	for i := 0; i < 6; i++ {
		a.office = append(a.office, string(g.appendIPv4(nil)))
	}
	a.idStore = hexid("d-9", 9)
	a.canonical = hexid("", 64)
	a.trailArn = "arn:aws:cloudtrail:" + home + ":" + id + ":trail/"
	return a
}
