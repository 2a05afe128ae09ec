package lineage

import (
	"net/netip"
	"strings"
)

// FlagExfiltration marks a workload credential used from a second network
// origin: possible credential exfiltration. It is a heuristic, see
// exfiltration.
const FlagExfiltration = "possible-exfiltration"

// Reasons of a FlagExfiltration finding.
const (
	ReasonNewAddress = "new-address"          // a literal IP the service never used the key from
	ReasonNewAgent   = "new-agent-family"     // a user-agent family the service never used
	ReasonVPCAccount = "foreign-vpce-account" // through a VPC endpoint of another account
)

// exfiltration applies the heuristic to a workload credential's uses (in
// time order). The uses made by the service itself are those from an AWS
// service name (sourceIPAddress like "lambda.amazonaws.com"), with
// userIdentity.invokedBy, or with a service runtime user agent (Lambda's
// awslambda-worker or exec-env/AWS_Lambda_*, ECS's exec-env/AWS_ECS_*);
// when there is none, the first use stands for the service. A later use
// is suspicious when its sourceIPAddress is a literal IP address that no
// service use had, when its user-agent family is one no service use had,
// or when it came through a VPC endpoint of an account other than the
// session's. Without AWS's published address ranges the rule cannot tell
// an AWS address from an outside one: a new literal address is enough.
func exfiltration(c *Credential, recs []*record) (Flag, bool) {
	if !c.Workload || len(recs) < 2 {
		return Flag{}, false
	}
	var base []*record
	for _, r := range recs {
		if byService(r) {
			base = append(base, r)
		}
	}
	if len(base) == 0 {
		base = recs[:1]
	}
	ips, fams := set{}, set{}
	for _, r := range base {
		ips.add(r.SourceIP)
		fams.add(agentFamily(r.UserAgent))
	}
	f := Flag{Kind: FlagExfiltration, Evidence: []string{base[0].EventID}}
	reasons := set{}
	for _, r := range recs {
		if byService(r) || r == base[0] {
			continue
		}
		var why []string
		if _, err := netip.ParseAddr(r.SourceIP); err == nil && !ips[r.SourceIP] {
			why = append(why, ReasonNewAddress)
		}
		if fam := agentFamily(r.UserAgent); fam != "" && !fams[fam] {
			why = append(why, ReasonNewAgent)
		}
		if r.VPCEndpointAccount != "" && c.Account != "" && r.VPCEndpointAccount != c.Account {
			why = append(why, ReasonVPCAccount)
		}
		if len(why) > 0 {
			f.Evidence = append(f.Evidence, r.EventID)
			for _, w := range why {
				reasons.add(w)
			}
		}
	}
	if len(f.Evidence) < 2 {
		return Flag{}, false
	}
	f.Reasons = reasons.sorted()
	return f, true
}

// byService reports whether a use was made by an AWS service itself.
func byService(r *record) bool {
	if r.ID.InvokedBy != "" || isServiceName(r.SourceIP) {
		return true
	}
	switch agentFamily(r.UserAgent) {
	case "aws-lambda-runtime", "aws-ecs-runtime", "aws-service":
		return true
	}
	return false
}

// isServiceName reports a sourceIPAddress that names an AWS service
// ("lambda.amazonaws.com") or "AWS Internal" rather than an address.
func isServiceName(s string) bool {
	return strings.HasSuffix(s, ".amazonaws.com") || s == "AWS Internal"
}

// agentFamily reduces a user agent to its family: the runtime for service
// runtimes, "aws-service" for a service name, else the first product name
// lower-cased ("aws-cli/1.16.19 Python/2.7" -> "aws-cli",
// "[Boto3/1.28 ...]" -> "boto3").
func agentFamily(ua string) string {
	switch {
	case ua == "":
		return ""
	case strings.Contains(ua, "awslambda-worker") || strings.Contains(ua, "exec-env/AWS_Lambda"):
		return "aws-lambda-runtime"
	case strings.Contains(ua, "exec-env/AWS_ECS"):
		return "aws-ecs-runtime"
	case isServiceName(ua):
		return "aws-service"
	}
	ua = strings.TrimLeft(ua, "[ ")
	if i := strings.IndexAny(ua, "/ ]"); i >= 0 {
		ua = ua[:i]
	}
	return strings.ToLower(ua)
}
