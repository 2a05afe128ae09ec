package detect

import (
	"fmt"
	"strings"
	"time"
)

// cisV12 and cisV30 name the benchmark versions whose metric filters the
// pack ships verbatim.
const (
	cisV12 = "CIS AWS Foundations Benchmark v1.2.0"
	cisV30 = "CIS AWS Foundations Benchmark v3.0.0"
	cisV15 = "CIS AWS Foundations Benchmark v1.3.0-v1.5.0"
)

// Patterns shared by CIS v1.2.0 3.x and v3.0.0 4.x (identical text up to
// whitespace in the published transcriptions; each is kept as published).
const (
	patUnauthorizedV12 = `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`
	patUnauthorizedV15 = `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }`
	patUnauthorizedV30 = `{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }`
	patNoMFA           = `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`
	patRoot            = `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`
	patIAMPolicy       = `{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}`
	patTrail           = `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`
	patAuthFailures    = `{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }`
	patCMK             = `{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }`
	patS3Policy        = `{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }`
	patConfigV12       = `{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel) ||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }`
	patConfigV30       = `{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }`
	patSGV12           = `{($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }`
	patSGV30           = `{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }`
	patNACLV12         = `{ ($.eventName = CreateNetworkAcl) || ($.eventName =  CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }`
	patNACLV30         = `{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }`
	patGatewayV12      = `{($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }`
	patGatewayV30      = `{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }`
	patRouteV12        = `{($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }`
	patRouteV30        = `{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }`
	patVPC             = `{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }`
	patOrgs            = `{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }`
)

// The classics go beyond the CIS text where CloudTrail has since added
// event names for the same change, or where the CIS filter is known to be
// noisy.
const (
	patClassicNoMFA      = `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }`
	patClassicSG         = `{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) || ($.eventName = ModifySecurityGroupRules) }`
	patClassicGateway    = `{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) || ($.eventName = CreateNatGateway) || ($.eventName = DeleteNatGateway) || ($.eventName = CreateEgressOnlyInternetGateway) || ($.eventName = DeleteEgressOnlyInternetGateway) }`
	patClassicTrail      = `{ ($.eventSource = cloudtrail.amazonaws.com) && (($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) || ($.eventName = PutEventSelectors)) }`
	patClassicConfig     = `{ ($.eventSource = config.amazonaws.com) && (($.eventName = StopConfigurationRecorder) || ($.eventName = DeleteConfigurationRecorder) || ($.eventName = DeleteDeliveryChannel) || ($.eventName = PutDeliveryChannel) || ($.eventName = PutConfigurationRecorder)) }`
	patClassicCMK        = `{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }`
	patClassicS3         = `{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication) || ($.eventName = PutBucketPublicAccessBlock) || ($.eventName = DeleteBucketPublicAccessBlock)) }`
	patClassicAuthFailed = `{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }`
)

type builtinDef struct {
	name, title, pattern, source, severity string
	threshold                              Threshold
}

// optIn names the built-in rules kept out of the default pack: they match
// (nearly) every event, so they only run when named.
var optIn = map[string]bool{"cis-1.5-4.1": true}

// optInNote is the note on a rule that is not in the default pack.
const optInNote = "not in the default pack (it matches almost every event): run it by naming it in --rules"

var builtinDefs = []builtinDef{
	// CIS v1.2.0, controls 3.1-3.14.
	{"cis-1.2-3.1", "Unauthorized API calls", patUnauthorizedV12, cisV12 + " 3.1", "medium", Threshold{}},
	{"cis-1.2-3.2", "Management console sign-in without MFA", patNoMFA, cisV12 + " 3.2", "high", Threshold{}},
	{"cis-1.2-3.3", "Usage of the root account", patRoot, cisV12 + " 3.3", "critical", Threshold{}},
	{"cis-1.2-3.4", "IAM policy changes", patIAMPolicy, cisV12 + " 3.4", "medium", Threshold{}},
	{"cis-1.2-3.5", "CloudTrail configuration changes", patTrail, cisV12 + " 3.5", "high", Threshold{}},
	{"cis-1.2-3.6", "Management console authentication failures", patAuthFailures, cisV12 + " 3.6", "medium", Threshold{}},
	{"cis-1.2-3.7", "Disabling or scheduled deletion of customer created CMKs", patCMK, cisV12 + " 3.7", "high", Threshold{}},
	{"cis-1.2-3.8", "S3 bucket policy changes", patS3Policy, cisV12 + " 3.8", "medium", Threshold{}},
	{"cis-1.2-3.9", "AWS Config configuration changes", patConfigV12, cisV12 + " 3.9", "high", Threshold{}},
	{"cis-1.2-3.10", "Security group changes", patSGV12, cisV12 + " 3.10", "medium", Threshold{}},
	{"cis-1.2-3.11", "Changes to network access control lists (NACL)", patNACLV12, cisV12 + " 3.11", "medium", Threshold{}},
	{"cis-1.2-3.12", "Changes to network gateways", patGatewayV12, cisV12 + " 3.12", "medium", Threshold{}},
	{"cis-1.2-3.13", "Route table changes", patRouteV12, cisV12 + " 3.13", "medium", Threshold{}},
	{"cis-1.2-3.14", "VPC changes", patVPC, cisV12 + " 3.14", "medium", Threshold{}},
	// CIS v3.0.0, controls 4.1-4.15, and the v1.3.0-v1.5.0 form of 4.1.
	{"cis-3.0-4.1", "Unauthorized API calls (v2.0.0/v3.0.0 form)", patUnauthorizedV30, cisV30 + " 4.1", "medium", Threshold{}},
	{"cis-1.5-4.1", "Unauthorized API calls (v1.3.0-v1.5.0 form: all-OR, matches almost every event)", patUnauthorizedV15, cisV15 + " 4.1", "info", Threshold{}},
	{"cis-3.0-4.2", "Management console sign-in without MFA", patNoMFA, cisV30 + " 4.2", "high", Threshold{}},
	{"cis-3.0-4.3", "Usage of the root account", patRoot, cisV30 + " 4.3", "critical", Threshold{}},
	{"cis-3.0-4.4", "IAM policy changes", patIAMPolicy, cisV30 + " 4.4", "medium", Threshold{}},
	{"cis-3.0-4.5", "CloudTrail configuration changes", patTrail, cisV30 + " 4.5", "high", Threshold{}},
	{"cis-3.0-4.6", "Management console authentication failures", patAuthFailures, cisV30 + " 4.6", "medium", Threshold{}},
	{"cis-3.0-4.7", "Disabling or scheduled deletion of customer created CMKs", patCMK, cisV30 + " 4.7", "high", Threshold{}},
	{"cis-3.0-4.8", "S3 bucket policy changes", patS3Policy, cisV30 + " 4.8", "medium", Threshold{}},
	{"cis-3.0-4.9", "AWS Config configuration changes", patConfigV30, cisV30 + " 4.9", "high", Threshold{}},
	{"cis-3.0-4.10", "Security group changes", patSGV30, cisV30 + " 4.10", "medium", Threshold{}},
	{"cis-3.0-4.11", "Changes to network access control lists (NACL)", patNACLV30, cisV30 + " 4.11", "medium", Threshold{}},
	{"cis-3.0-4.12", "Changes to network gateways", patGatewayV30, cisV30 + " 4.12", "medium", Threshold{}},
	{"cis-3.0-4.13", "Route table changes", patRouteV30, cisV30 + " 4.13", "medium", Threshold{}},
	{"cis-3.0-4.14", "VPC changes", patVPC, cisV30 + " 4.14", "medium", Threshold{}},
	{"cis-3.0-4.15", "AWS Organizations changes", patOrgs, cisV30 + " 4.15", "high", Threshold{}},
	// Classics.
	{"root-account-use", "Any use of the root account that is not an AWS service acting for it", patRoot, "classic (as CIS 4.3)", "critical", Threshold{}},
	{"console-login-without-mfa", "Successful console sign-in of an IAM user without MFA (SSO sign-ins excluded)", patClassicNoMFA, "classic (CIS 4.2, reduced false positives variant)", "high", Threshold{}},
	{"console-auth-failures", "Three or more failed console sign-ins within 5 minutes", patClassicAuthFailed, "classic (as CIS 4.6, threshold 3)", "medium", Threshold{Op: ">=", Value: 3}},
	{"security-group-changes", "Security group created, deleted or its rules changed", patClassicSG, "classic (CIS 4.10 + ModifySecurityGroupRules)", "medium", Threshold{}},
	{"nacl-changes", "Network ACL or NACL entry created, changed or deleted", patNACLV30, "classic (as CIS 4.11)", "medium", Threshold{}},
	{"route-table-changes", "Route or route table created, changed or deleted", patRouteV30, "classic (as CIS 4.13)", "medium", Threshold{}},
	{"vpc-changes", "VPC created, deleted, modified or peered", patVPC, "classic (as CIS 4.14)", "medium", Threshold{}},
	{"network-gateway-changes", "Internet, customer, NAT or egress-only gateway created, attached, detached or deleted", patClassicGateway, "classic (CIS 4.12 + NAT and egress-only gateways)", "medium", Threshold{}},
	{"iam-policy-changes", "IAM policy created, deleted, versioned, attached or detached", patIAMPolicy, "classic (as CIS 4.4)", "medium", Threshold{}},
	{"cloudtrail-changes", "Trail created, updated, deleted, started, stopped or its event selectors changed", patClassicTrail, "classic (CIS 4.5 + PutEventSelectors)", "high", Threshold{}},
	{"config-changes", "AWS Config recorder or delivery channel stopped, changed or deleted", patClassicConfig, "classic (CIS 4.9 + DeleteConfigurationRecorder)", "high", Threshold{}},
	{"cmk-disable-or-delete", "KMS customer managed key disabled or scheduled for deletion", patClassicCMK, "classic (as CIS 4.7)", "high", Threshold{}},
	{"s3-bucket-policy-changes", "S3 bucket ACL, policy, CORS, lifecycle, replication or public access block changed", patClassicS3, "classic (CIS 4.8 + public access block)", "medium", Threshold{}},
	{"organizations-changes", "AWS Organizations accounts, units, policies or handshakes changed", patOrgs, "classic (as CIS 4.15)", "high", Threshold{}},
}

// Builtin returns the default pack, compiled: CIS v1.2.0 3.1-3.14, CIS
// v3.0.0 4.1-4.15 and the classics. Rules that match almost every event
// (the CIS v1.3.0-v1.5.0 form of 4.1) are left out; see BuiltinAll.
func Builtin() []*Rule {
	return builtinRules(func(d builtinDef) bool { return !optIn[d.name] })
}

// BuiltinAll returns every built-in rule, those left out of the default
// pack included (they carry a note saying so).
func BuiltinAll() []*Rule {
	return builtinRules(func(builtinDef) bool { return true })
}

// CIS returns the CIS rules of the default pack.
func CIS() []*Rule {
	return builtinRules(func(d builtinDef) bool { return !optIn[d.name] && strings.HasPrefix(d.name, "cis-") })
}

// BuiltinRule returns the built-in rule with this name, whether or not it
// is in the default pack, and whether there is one.
func BuiltinRule(name string) (*Rule, bool) {
	rs := builtinRules(func(d builtinDef) bool { return d.name == name })
	if len(rs) == 0 {
		return nil, false
	}
	return rs[0], true
}

func builtinRules(keep func(builtinDef) bool) []*Rule {
	var out []*Rule
	for _, d := range builtinDefs {
		if !keep(d) {
			continue
		}
		r := &Rule{
			Name:              d.name,
			Description:       d.title,
			Pattern:           d.pattern,
			Period:            5 * time.Minute,
			Threshold:         d.threshold,
			EvaluationPeriods: 1,
			Severity:          d.severity,
			Source:            "builtin: " + d.source,
		}
		if strings.HasPrefix(d.source, "CIS") {
			r.References = []string{"https://www.cisecurity.org/benchmark/amazon_web_services"}
		}
		if optIn[d.name] {
			r.Notes = []string{optInNote}
		}
		if err := r.Compile(); err != nil {
			panic(fmt.Sprintf("BUG: built-in rule %s: %v", d.name, err))
		}
		out = append(out, r)
	}
	return out
}
