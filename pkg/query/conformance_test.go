package query

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Conformance with the filter-pattern specification (filter-patterns.md): §3 (rows 1-64),
// §4 (every CIS metric filter), and the choices ctq makes on the open
// questions of §8 (documented in LANGUAGE.md).

const (
	specE1 = `{"eventType":"UpdateTrail","sourceIPAddress":"111.111.111.111","arrayKey":["value","another value"],"objectList":[{"name":"a","id":1},{"name":"b","id":2}],"SomeObject":null,"ThisFlag":true,"cluster.name":"c"}`
	specE2 = `{"user":{"id":1,"email":"John.Stiles@example.com"},"users":[{"id":2,"email":"John.Doe@example.com"},{"id":3,"email":"Jane.Doe@example.com"}],"actions":["GET","PUT","DELETE"],"coordinates":[[0,1,2],[4,5,6],[7,8,9]]}`
)

type specRow struct {
	n       int
	pattern string
	event   string
	want    bool
	wantErr string // substring of the parse error (rows 63, 64)
}

var specRows = []specRow{
	{1, `{ $.eventType = "UpdateTrail" }`, specE1, true, ""},
	{2, `{ $.sourceIPAddress != 123.123.* }`, specE1, true, ""},
	{3, `{ $.arrayKey[0] = "value" }`, specE1, true, ""},
	{4, `{ $.objectList[1].id = 2 }`, specE1, true, ""},
	{5, `{ $.SomeObject IS NULL }`, specE1, true, ""},
	{6, `{ $.SomeOtherObject NOT EXISTS }`, specE1, true, ""},
	{7, `{ $.ThisFlag IS TRUE }`, specE1, true, ""},
	{8, `{ $.ThisFlag IS FALSE }`, specE1, false, ""},
	{9, `{ $.eventType = %Trail% }`, specE1, true, ""},
	{10, `{ $.arrayKey[*] = %val.{2}% }`, specE1, true, ""},
	{11, `{ $.* = %111\.111\.111\.1[0-9]{1,2}% }`, specE1, true, ""},
	{12, `{ $.['cluster.name'] = "c" }`, specE1, true, ""},
	{13, `{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }`, specE1, true, ""},
	{14, `{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`, specE2, true, ""},
	{15, `{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }`, specE2, false, ""},
	{16, `{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }`, specE2, true, ""},
	{17, `{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }`, specE2, false, ""},
	{18, `{ $.coordinates[1][2] = 6 }`, specE2, true, ""},
	{19, `{ $.users = 1 }`, `{"users":[1,2,3]}`, false, ""},
	{20, `{ $.users != 1 }`, `{"users":[1,2,3]}`, false, ""},
	{21, `{ $.user != "x" }`, `{"user":{"id":1}}`, false, ""},
	{22, `{ $.arrayKey[0] = "value" }`, `{"arrayKey":"value"}`, false, ""},
	{23, `{ $.objectList[1].id = 2 }`, `{"objectList":[{"name":"a"},{"name":"b"}]}`, false, ""},
	{24, `{($.errorCode = "AccessDenied") && ($.userIdentity.invokedBy != "cloudfront.amazonaws.com")}`, `{"errorCode":"AccessDenied","userIdentity":{"accountId":"anonymous"}}`, false, ""},
	{25, `{ $.userIdentity.invokedBy != "x" }`, `{"userIdentity":{"type":"Root"}}`, false, ""},
	{26, `{ $.userIdentity.invokedBy NOT EXISTS || $.userIdentity.invokedBy != "x" }`, `{"userIdentity":{"type":"Root"}}`, true, ""},
	{27, `{ $.x = "a" }`, `{}`, false, ""},
	{28, `{$.foo = bar}`, `{"foo":"bar"}`, true, ""},
	{29, `{$.foo = bar}`, `{"foo":"baz"}`, false, ""},
	{30, `{$.foo = bar || $.foo = baz }`, `{"foo":"baz"}`, true, ""},
	{31, `{ $.eventName = *Event }`, `{"eventName":"PutEvent"}`, true, ""},
	{32, `{ $.eventName = Event* }`, `{"eventName":"EventName"}`, true, ""},
	{33, `{ $.eventName = Ev*ent }`, `{"eventName":"EvXYent"}`, false, ""},
	{34, `{ $.eventName = Ev*ent }`, `{"eventName":"Ev*ent"}`, true, ""},
	{35, `{ $.errorCode = "*UnauthorizedOperation" }`, `{"errorCode":"Client.UnauthorizedOperation"}`, true, ""},
	{36, `{ $.errorCode = "AccessDenied*" }`, `{"errorCode":"AccessDeniedException"}`, true, ""},
	{37, `{ $.errorCode = "AccessDenied*" }`, `{"errorCode":"Client.AccessDenied"}`, false, ""},
	{38, `{ $.latency = * }`, `{"latency":50}`, true, ""},
	{39, `{ $.latency = * }`, `{"requestType":"GET"}`, false, ""},
	{40, `{ $.bandwidth > 75 }`, `{"bandwidth":100}`, true, ""},
	{41, `{ $.latency < 50 }`, `{"latency":50}`, false, ""},
	{42, `{ $.refreshRate >= 60 }`, `{"refreshRate":60}`, true, ""},
	{43, `{ $.latency > +1000 }`, `{"latency":1001}`, true, ""},
	{44, `{ $.numbers[0] < 10e3 }`, `{"numbers":[9999]}`, true, ""},
	{45, `{ $.number[0] = 1e-3 }`, `{"number":[0.001]}`, true, ""},
	{46, `{ $.errorCode = 400 }`, `{"errorCode":400}`, true, ""},
	{47, `{ $.eventName = "consolelogin" }`, `{"eventName":"ConsoleLogin"}`, false, ""},
	{48, `{ $.SomeObject IS NULL }`, `{}`, false, ""},
	{49, `{ $.SomeObject NOT EXISTS }`, `{"SomeObject":null}`, false, ""},
	{50, `{ $.eventType = "UpdateTrail" }`, `UpdateTrail happened`, false, ""},
	{51, `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`, `{"userIdentity":{"type":"Root"},"eventType":"AwsConsoleSignIn"}`, true, ""},
	{52, `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`, `{"userIdentity":{"type":"Root","invokedBy":"support.amazonaws.com"},"eventType":"AwsApiCall"}`, false, ""},
	{53, `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`, `{"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"No"}}`, true, ""},
	{54, `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`, `{"eventName":"ConsoleLogin","additionalEventData":{}}`, false, ""},
	{55, `ERROR`, `Exiting with ERRORCODE: -1`, true, ""},
	{56, `ERROR`, `error=cannot process ticket`, false, ""},
	{57, `ERROR -ARGUMENTS`, `[ERROR 419] MISSING ARGUMENTS`, false, ""},
	{58, `?ERROR ?ARGUMENTS`, `[ERROR 400] BAD REQUEST`, true, ""},
	{59, `?ERROR ?ARGUMENTS REQUEST`, `[INFO] REQUEST FAILED`, true, ""},
	{60, `"INTERNAL SERVER ERROR"`, `[ERROR 500] INTERNAL SERVER ERROR`, true, ""},
	{61, `%AUTHORIZED%`, `[ERROR 401] UNAUTHORIZED REQUEST`, true, ""},
	{62, `ConsoleLogin`, `{"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com"}`, true, ""},
	{63, `[w1=ERROR, w2]`, `ERROR 09/25/2014 12:00:02 Failed to process request`, false, "space-delimited patterns ([field, ...]) do not apply to CloudTrail records, which are JSON"},
	{64, `[w1=ERROR || w1=WARNING, w2]`, `INFO 09/25/2014 12:00:00 GET /service/resource/67 1200`, false, "space-delimited patterns ([field, ...]) do not apply to CloudTrail records, which are JSON"},
}

func TestConformance_SpecRows(t *testing.T) {
	if len(specRows) != 64 {
		t.Fatalf("%d rows, want 64", len(specRows))
	}
	for i, r := range specRows {
		if r.n != i+1 {
			t.Fatalf("row %d numbered %d", i+1, r.n)
		}
		t.Run(fmt.Sprintf("row%02d", r.n), func(t *testing.T) {
			p, err := Parse(r.pattern, ParseOptions{})
			if r.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), r.wantErr) {
					t.Fatalf("Parse(%q) = %v, want error containing %q", r.pattern, err, r.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", r.pattern, err)
			}
			if got := MatchJSON(p.Root, []byte(r.event)); got != r.want {
				t.Errorf("%s on %s = %v, want %v", r.pattern, r.event, got, r.want)
			}
			checkRoundTrip(t, r.pattern, p)
		})
	}
}

// ctRec builds a CloudTrail-shaped record: a plain IAM-user API call,
// deep-merged with overrides (a JSON object; the string "<delete>" removes
// a member).
func ctRec(overrides string) string {
	base := map[string]any{}
	mustUnmarshal(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEEXAMPLE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIAEXAMPLEEXAMPLE","userName":"alice"},"eventTime":"2024-03-01T12:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15.0 Python/3.11","requestParameters":null,"responseElements":null,"requestID":"11111111-2222-3333-4444-555555555555","eventID":"66666666-7777-8888-9999-000000000000","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"}`, &base)
	over := map[string]any{}
	mustUnmarshal(overrides, &over)
	deepMerge(base, over)
	b, err := json.Marshal(base)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func mustUnmarshal(s string, v any) {
	if err := json.Unmarshal([]byte(s), v); err != nil {
		panic(fmt.Sprintf("bad fixture %s: %v", s, err))
	}
}

func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		if v == "<delete>" {
			delete(dst, k)
			continue
		}
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				deepMerge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

type cisCase struct {
	id      string
	pattern string
	match   []string // records that must match
	miss    []string // near misses that must not
	// source, when set, is the eventSource every eventName alternative of
	// the pattern needs; each alternative is then checked to match.
	source string
}

func cisEvent(source, name string) string {
	return ctRec(fmt.Sprintf(`{"eventSource":%q,"eventName":%q,"readOnly":false}`, source, name))
}

const (
	cis31  = `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`
	cis32  = `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`
	cis33  = `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`
	cis34  = `{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}`
	cis35  = `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`
	cis36  = `{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }`
	cis37  = `{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }`
	cis38  = `{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }`
	cis39  = `{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel) ||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }`
	cis310 = `{($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }`
	cis311 = `{ ($.eventName = CreateNetworkAcl) || ($.eventName =  CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }`
	cis312 = `{($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }`
	cis313 = `{($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }`
	cis314 = `{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }`

	cis41v13  = `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }`
	cis41v20  = `{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }`
	cis41v40  = `{ ($.errorCode =*UnauthorizedOperation) || ($.errorCode =AccessDenied*) && ($.sourceIPAddress!=delivery.logs.amazonaws.com) && ($.eventName!=HeadBucket) }`
	cis42     = `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`
	cis42sso  = `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }`
	cis43     = `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`
	cis44     = cis34
	cis45     = cis35
	cis46     = cis36
	cis47     = cis37
	cis48     = cis38
	cis49     = `{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }`
	cis410    = `{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }`
	cis411    = `{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }`
	cis412    = `{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }`
	cis413    = `{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }`
	cis414    = `{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }`
	cis415    = `{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }`
	cis415v13 = `{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName ="InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }`
	cisSH2    = `{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}`
)

// Records shared by several controls.
var (
	recUnauthorized  = ctRec(`{"eventName":"RunInstances","errorCode":"Client.UnauthorizedOperation","errorMessage":"You are not authorized to perform this operation."}`)
	recAccessDenied  = ctRec(`{"eventSource":"s3.amazonaws.com","eventName":"GetObject","errorCode":"AccessDenied","errorMessage":"Access Denied"}`)
	recThrottled     = ctRec(`{"errorCode":"Client.RequestLimitExceeded"}`)
	recLogDelivery   = ctRec(`{"eventSource":"s3.amazonaws.com","eventName":"HeadBucket","sourceIPAddress":"delivery.logs.amazonaws.com","userIdentity":{"type":"AWSService","invokedBy":"delivery.logs.amazonaws.com"}}`)
	recDeniedHead    = ctRec(`{"eventSource":"s3.amazonaws.com","eventName":"HeadBucket","errorCode":"AccessDenied"}`)
	recDeniedLogs    = ctRec(`{"eventSource":"s3.amazonaws.com","eventName":"PutObject","errorCode":"AccessDenied","sourceIPAddress":"delivery.logs.amazonaws.com"}`)
	recUnauthHead    = ctRec(`{"eventSource":"s3.amazonaws.com","eventName":"HeadBucket","errorCode":"Client.UnauthorizedOperation"}`)
	recLoginNoMFA    = ctRec(`{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","readOnly":false,"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/","MobileVersion":"No","MFAUsed":"No"},"responseElements":{"ConsoleLogin":"Success"}}`)
	recLoginMFA      = ctRec(`{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","readOnly":false,"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/","MobileVersion":"No","MFAUsed":"Yes"},"responseElements":{"ConsoleLogin":"Success"}}`)
	recLoginNoField  = ctRec(`{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","readOnly":false,"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/"},"responseElements":{"ConsoleLogin":"Success"}}`)
	recLoginSSO      = ctRec(`{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","readOnly":false,"userIdentity":{"type":"AssumedRole","userName":"<delete>","arn":"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin/alice"},"additionalEventData":{"MFAUsed":"No"},"responseElements":{"ConsoleLogin":"Success"}}`)
	recLoginFailed   = ctRec(`{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","readOnly":false,"errorMessage":"Failed authentication","additionalEventData":{"MFAUsed":"No"},"responseElements":{"ConsoleLogin":"Failure"}}`)
	recLoginNoMFAbad = ctRec(`{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","readOnly":false,"additionalEventData":{"MFAUsed":"No"},"responseElements":{"ConsoleLogin":"Failure"}}`)
	recRootAPI       = ctRec(`{"userIdentity":{"type":"Root","arn":"arn:aws:iam::123456789012:root","userName":"<delete>"},"eventName":"CreateAccessKey","eventSource":"iam.amazonaws.com","readOnly":false}`)
	recRootConsole   = ctRec(`{"userIdentity":{"type":"Root","arn":"arn:aws:iam::123456789012:root","userName":"<delete>"},"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","eventType":"AwsConsoleSignIn","additionalEventData":{"MFAUsed":"Yes"}}`)
	recRootService   = ctRec(`{"userIdentity":{"type":"Root","arn":"arn:aws:iam::123456789012:root","userName":"<delete>","invokedBy":"support.amazonaws.com"},"eventName":"DescribeTrustedAdvisorChecks","eventSource":"support.amazonaws.com"}`)
	recRootSvcEvent  = ctRec(`{"userIdentity":{"type":"Root","arn":"arn:aws:iam::123456789012:root","userName":"<delete>"},"eventName":"SharedSnapshotCopyInitiated","eventType":"AwsServiceEvent"}`)
)

var cisCases = []cisCase{
	{id: "v1.2 3.1", pattern: cis31, match: []string{recUnauthorized, recAccessDenied, recDeniedHead}, miss: []string{recThrottled, ctRec(`{"errorCode":"Client.AccessDenied"}`), ctRec(`{}`)}},
	{id: "v1.2 3.1 (Security Hub)", pattern: cisSH2, match: []string{recUnauthorized, recAccessDenied}, miss: []string{recThrottled}},
	{id: "v1.2 3.2", pattern: cis32, match: []string{recLoginNoMFA, recLoginSSO}, miss: []string{recLoginMFA, recLoginNoField, ctRec(`{"eventName":"GetObject","additionalEventData":{"MFAUsed":"No"}}`)}},
	{id: "v1.2 3.3", pattern: cis33, match: []string{recRootAPI, recRootConsole}, miss: []string{recRootService, recRootSvcEvent, ctRec(`{"eventName":"CreateAccessKey"}`)}},
	{id: "v1.2 3.4", pattern: cis34, match: []string{cisEvent("iam.amazonaws.com", "PutUserPolicy")}, miss: []string{cisEvent("iam.amazonaws.com", "GetUserPolicy"), cisEvent("iam.amazonaws.com", "putuserpolicy")}, source: "iam.amazonaws.com"},
	{id: "v1.2 3.5", pattern: cis35, match: []string{cisEvent("cloudtrail.amazonaws.com", "StopLogging")}, miss: []string{cisEvent("cloudtrail.amazonaws.com", "DescribeTrails"), cisEvent("cloudtrail.amazonaws.com", "LookupEvents")}, source: "cloudtrail.amazonaws.com"},
	{id: "v1.2 3.6", pattern: cis36, match: []string{recLoginFailed}, miss: []string{recLoginNoMFA, recLoginNoMFAbad}},
	{id: "v1.2 3.7", pattern: cis37, match: []string{cisEvent("kms.amazonaws.com", "ScheduleKeyDeletion")}, miss: []string{cisEvent("kms.amazonaws.com", "EnableKey"), cisEvent("ec2.amazonaws.com", "DisableKey")}, source: "kms.amazonaws.com"},
	{id: "v1.2 3.8", pattern: cis38, match: []string{cisEvent("s3.amazonaws.com", "PutBucketPolicy")}, miss: []string{cisEvent("s3.amazonaws.com", "GetBucketPolicy"), cisEvent("s3-outposts.amazonaws.com", "PutBucketPolicy")}, source: "s3.amazonaws.com"},
	{id: "v1.2 3.9", pattern: cis39, match: []string{cisEvent("config.amazonaws.com", "StopConfigurationRecorder")}, miss: []string{cisEvent("config.amazonaws.com", "DescribeConfigurationRecorders"), cisEvent("ec2.amazonaws.com", "PutDeliveryChannel")}, source: "config.amazonaws.com"},
	{id: "v1.2 3.10", pattern: cis310, match: []string{cisEvent("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress")}, miss: []string{cisEvent("ec2.amazonaws.com", "DescribeSecurityGroups")}, source: "ec2.amazonaws.com"},
	{id: "v1.2 3.11", pattern: cis311, match: []string{cisEvent("ec2.amazonaws.com", "CreateNetworkAclEntry")}, miss: []string{cisEvent("ec2.amazonaws.com", "DescribeNetworkAcls")}, source: "ec2.amazonaws.com"},
	{id: "v1.2 3.12", pattern: cis312, match: []string{cisEvent("ec2.amazonaws.com", "AttachInternetGateway")}, miss: []string{cisEvent("ec2.amazonaws.com", "DescribeInternetGateways")}, source: "ec2.amazonaws.com"},
	{id: "v1.2 3.13", pattern: cis313, match: []string{cisEvent("ec2.amazonaws.com", "ReplaceRoute")}, miss: []string{cisEvent("ec2.amazonaws.com", "DescribeRouteTables")}, source: "ec2.amazonaws.com"},
	{id: "v1.2 3.14", pattern: cis314, match: []string{cisEvent("ec2.amazonaws.com", "CreateVpcPeeringConnection")}, miss: []string{cisEvent("ec2.amazonaws.com", "DescribeVpcs"), cisEvent("ec2.amazonaws.com", "CreateVpcEndpoint")}, source: "ec2.amazonaws.com"},

	// v1.3-v1.5 4.1 is all-OR: it matches nearly every event; only an event
	// from log delivery on HeadBucket without an error escapes it.
	{id: "v1.3 4.1", pattern: cis41v13, match: []string{recUnauthorized, recAccessDenied, recThrottled, ctRec(`{}`), recDeniedHead}, miss: []string{recLogDelivery}},
	// v2.0/v3.0 4.1: && binds tighter than ||.
	{id: "v2.0 4.1", pattern: cis41v20, match: []string{recUnauthorized, recAccessDenied, recUnauthHead}, miss: []string{recDeniedHead, recDeniedLogs, recThrottled, recLogDelivery}},
	{id: "v4.0.1 4.1", pattern: cis41v40, match: []string{recUnauthorized, recAccessDenied, recUnauthHead}, miss: []string{recDeniedHead, recDeniedLogs, recThrottled}},
	{id: "v1.3 4.2", pattern: cis42, match: []string{recLoginNoMFA}, miss: []string{recLoginMFA, recLoginNoField}},
	{id: "v2.0 4.2 (SSO variant)", pattern: cis42sso, match: []string{recLoginNoMFA}, miss: []string{recLoginSSO, recLoginMFA, recLoginNoMFAbad}},
	{id: "v1.3 4.3", pattern: cis43, match: []string{recRootAPI}, miss: []string{recRootService, recRootSvcEvent}},
	{id: "v1.3 4.4", pattern: cis44, match: []string{cisEvent("iam.amazonaws.com", "AttachRolePolicy")}, miss: []string{cisEvent("iam.amazonaws.com", "ListAttachedRolePolicies")}, source: "iam.amazonaws.com"},
	{id: "v1.3 4.5", pattern: cis45, match: []string{cisEvent("cloudtrail.amazonaws.com", "DeleteTrail")}, miss: []string{cisEvent("cloudtrail.amazonaws.com", "GetTrailStatus")}, source: "cloudtrail.amazonaws.com"},
	{id: "v1.3 4.6", pattern: cis46, match: []string{recLoginFailed}, miss: []string{recLoginNoMFA}},
	{id: "v1.3 4.7", pattern: cis47, match: []string{cisEvent("kms.amazonaws.com", "DisableKey")}, miss: []string{cisEvent("kms.amazonaws.com", "DisableKeyRotation")}, source: "kms.amazonaws.com"},
	{id: "v1.3 4.8", pattern: cis48, match: []string{cisEvent("s3.amazonaws.com", "DeleteBucketCors")}, miss: []string{cisEvent("s3.amazonaws.com", "PutBucketTagging")}, source: "s3.amazonaws.com"},
	{id: "v1.3 4.9", pattern: cis49, match: []string{cisEvent("config.amazonaws.com", "DeleteDeliveryChannel")}, miss: []string{cisEvent("config.amazonaws.com", "DescribeDeliveryChannels")}, source: "config.amazonaws.com"},
	{id: "v1.3 4.10", pattern: cis410, match: []string{cisEvent("ec2.amazonaws.com", "RevokeSecurityGroupEgress")}, miss: []string{cisEvent("ec2.amazonaws.com", "DescribeSecurityGroupRules")}, source: "ec2.amazonaws.com"},
	{id: "v1.3 4.11", pattern: cis411, match: []string{cisEvent("ec2.amazonaws.com", "ReplaceNetworkAclAssociation")}, miss: []string{cisEvent("ec2.amazonaws.com", "DescribeNetworkAcls")}, source: "ec2.amazonaws.com"},
	{id: "v1.3 4.12", pattern: cis412, match: []string{cisEvent("ec2.amazonaws.com", "DeleteCustomerGateway")}, miss: []string{cisEvent("ec2.amazonaws.com", "DescribeCustomerGateways")}, source: "ec2.amazonaws.com"},
	{id: "v1.3 4.13", pattern: cis413, match: []string{cisEvent("ec2.amazonaws.com", "DisassociateRouteTable")}, miss: []string{cisEvent("ec2.amazonaws.com", "AssociateRouteTable")}, source: "ec2.amazonaws.com"},
	{id: "v1.3 4.14", pattern: cis414, match: []string{cisEvent("ec2.amazonaws.com", "ModifyVpcAttribute")}, miss: []string{cisEvent("ec2.amazonaws.com", "DescribeVpcAttribute")}, source: "ec2.amazonaws.com"},
	{id: "v2.0 4.15", pattern: cis415, match: []string{cisEvent("organizations.amazonaws.com", "CreateAccount")}, miss: []string{cisEvent("organizations.amazonaws.com", "DescribeAccount"), cisEvent("account.amazonaws.com", "CreateAccount")}, source: "organizations.amazonaws.com"},
	{id: "v1.3 4.15", pattern: cis415v13, match: []string{cisEvent("organizations.amazonaws.com", "InviteAccountToOrganization")}, miss: []string{cisEvent("organizations.amazonaws.com", "ListAccounts")}, source: "organizations.amazonaws.com"},
}

func TestConformance_CIS(t *testing.T) {
	for _, c := range cisCases {
		t.Run(c.id, func(t *testing.T) {
			p, err := Parse(c.pattern, ParseOptions{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.Kind != KindJSON || len(p.Warnings) != 0 {
				t.Errorf("kind %v, warnings %v", p.Kind, p.Warnings)
			}
			if ws := Lint(p, nil); len(ws) != 0 {
				t.Errorf("lint: %v", ws)
			}
			if len(c.match) == 0 || len(c.miss) == 0 {
				t.Fatal("each control needs a match and a near miss")
			}
			for _, rec := range c.match {
				if !MatchJSON(p.Root, []byte(rec)) {
					t.Errorf("does not match %s", rec)
				}
			}
			for _, rec := range c.miss {
				if MatchJSON(p.Root, []byte(rec)) {
					t.Errorf("matches near miss %s", rec)
				}
			}
			if c.source != "" {
				names := eventNameAlternatives(p.Root)
				if len(names) < 2 {
					t.Fatalf("found %d eventName alternatives", len(names))
				}
				for _, name := range names {
					if !MatchJSON(p.Root, []byte(cisEvent(c.source, name))) {
						t.Errorf("alternative %s does not match", name)
					}
				}
			}
			checkRoundTrip(t, c.pattern, p)
		})
	}
}

// eventNameAlternatives lists the values compared with $.eventName.
func eventNameAlternatives(n Node) []string {
	var out []string
	var walk func(Node)
	walk = func(n Node) {
		switch n := n.(type) {
		case *And:
			for _, t := range n.Terms {
				walk(t)
			}
		case *Or:
			for _, t := range n.Terms {
				walk(t)
			}
		case *Compare:
			if n.Sel.String() == "$.eventName" && n.Op == OpEq && n.Val.Kind == ValString {
				out = append(out, n.Val.Str)
			}
		}
	}
	walk(n)
	return out
}

// TestConformance_CISPrecedence pins how the two published 4.1 forms parse.
func TestConformance_CISPrecedence(t *testing.T) {
	p, err := Parse(cis41v20, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*" && $.sourceIPAddress != "delivery.logs.amazonaws.com" && $.eventName != "HeadBucket" }`
	if got := p.String(); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	or, ok := p.Root.(*Or)
	if !ok || len(or.Terms) != 2 {
		t.Fatalf("root %s", langDump(p.Root))
	}
	if and, ok := or.Terms[1].(*And); !ok || len(and.Terms) != 3 {
		t.Fatalf("second branch %s", langDump(or.Terms[1]))
	}
	p, err = Parse(cis41v13, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if or, ok := p.Root.(*Or); !ok || len(or.Terms) != 4 {
		t.Fatalf("v1.3 root %s", langDump(p.Root))
	}
}

// choiceCase pins a documented choice on an open question (spec §8) or a
// detail the documentation leaves open.
type choiceCase struct {
	question string // spec §8 item, or "ctq" for ctq's own details
	pattern  string
	event    string
	want     bool
}

var choiceCases = []choiceCase{
	// §8.1 Cross-type comparisons. Numeric operators need a JSON number;
	// = and != with a number literal compare numbers numerically and other
	// scalars by the literal's text; a string literal compares with a
	// number's JSON text.
	{"8.1", `{ $.a = 400 }`, `{"a":400}`, true},
	{"8.1", `{ $.a = 400 }`, `{"a":400.0}`, true},
	{"8.1", `{ $.a = 4e2 }`, `{"a":400}`, true},
	{"8.1", `{ $.a = 400 }`, `{"a":"400"}`, true},
	{"8.1", `{ $.a = 4e2 }`, `{"a":"400"}`, false},
	{"8.1", `{ $.a = 400.0 }`, `{"a":"400"}`, false},
	{"8.1", `{ $.a != 400 }`, `{"a":"401"}`, true},
	{"8.1", `{ $.a != 400 }`, `{"a":"400"}`, false},
	{"8.1", `{ $.a != 400 }`, `{"a":400.00}`, false},
	{"8.1", `{ $.a > 300 }`, `{"a":"400"}`, false},
	{"8.1", `{ $.a < 300 }`, `{"a":"200"}`, false},
	{"8.1", `{ $.a >= 300 }`, `{"a":true}`, false},
	{"8.1", `{ $.a = "400" }`, `{"a":400}`, true},
	{"8.1", `{ $.a = "400" }`, `{"a":400.0}`, false},
	{"8.1", `{ $.a = 4* }`, `{"a":400}`, true},
	{"8.1", `{ $.a = %^4[0-9]{2}$% }`, `{"a":400}`, true},
	{"8.1", `{ $.a = 1 }`, `{"a":true}`, false},
	{"8.1", `{ $.recipientAccountId = 012345678901 }`, `{"recipientAccountId":"012345678901"}`, true},
	{"8.1", `{ $.eventVersion = 1.08 }`, `{"eventVersion":"1.08"}`, true},
	{"8.1", `{ $.eventVersion = 1.08 }`, `{"eventVersion":"1.8"}`, false},
	{"8.1", `{ $.a > 1 }`, `{"a":1e400}`, true},

	// §8.2 Booleans and null. A boolean compares as its text "true"/"false"
	// with = / != / regex; IS TRUE / IS FALSE need a JSON boolean; null
	// satisfies only IS NULL (unquoted null is the string "null").
	{"8.2", `{ $.f = true }`, `{"f":true}`, true},
	{"8.2", `{ $.f = "true" }`, `{"f":true}`, true},
	{"8.2", `{ $.f = TRUE }`, `{"f":true}`, false},
	{"8.2", `{ $.f != true }`, `{"f":false}`, true},
	{"8.2", `{ $.f = false }`, `{"f":false}`, true},
	{"8.2", `{ $.f = %^t% }`, `{"f":true}`, true},
	{"8.2", `{ $.f IS TRUE }`, `{"f":"true"}`, false},
	{"8.2", `{ $.f IS FALSE }`, `{"f":"false"}`, false},
	{"8.2", `{ $.f IS FALSE }`, `{"f":false}`, true},
	{"8.2", `{ $.f IS TRUE }`, `{"f":null}`, false},
	{"8.2", `{ $.f = null }`, `{"f":null}`, false},
	{"8.2", `{ $.f = "null" }`, `{"f":null}`, false},
	{"8.2", `{ $.f != "x" }`, `{"f":null}`, false},
	{"8.2", `{ $.f = null }`, `{"f":"null"}`, true},
	{"8.2", `{ $.f IS NULL }`, `{"f":"null"}`, false},
	{"8.2", `{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = "true" }`, `{"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":"true"}}}}`, true},
	{"8.2", `{ $.userIdentity.sessionContext.attributes.mfaAuthenticated IS TRUE }`, `{"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":"true"}}}}`, false},
	{"8.2", `{ $.readOnly IS TRUE }`, `{"readOnly":true}`, true},

	// §8.3 Keywords in any case.
	{"8.3", `{ $.a is null }`, `{"a":null}`, true},
	{"8.3", `{ $.a Is NuLL }`, `{"a":null}`, true},
	{"8.3", `{ $.a not exists }`, `{}`, true},
	{"8.3", `{ $.a is true }`, `{"a":true}`, true},
	{"8.3", `{ $.a IS false }`, `{"a":false}`, true},

	// §8.4 Wildcards are existential, != included; .* is one level; NOT
	// EXISTS with a wildcard means nothing is selected.
	{"8.4", `{ $.a[*] != "x" }`, `{"a":["x","y"]}`, true},
	{"8.4", `{ $.a[*] != "x" }`, `{"a":["x","x"]}`, false},
	{"8.4", `{ $.a[*] != "x" }`, `{"a":[]}`, false},
	{"8.4", `{ $.a[*] = "x" }`, `{"a":"x"}`, false},
	{"8.4", `{ $.a[*] = 2 }`, `{"a":[1,[2]]}`, false},
	{"8.4", `{ $.* = "deep" }`, `{"o":{"k":"deep"}}`, false},
	{"8.4", `{ $.* = "deep" }`, `{"k":"deep"}`, true},
	{"8.4", `{ $.*.k = "deep" }`, `{"o":{"k":"deep"}}`, true},
	{"8.4", `{ $.* != "x" }`, `{"a":"x","b":"y"}`, true},
	{"8.4", `{ $.* != "x" }`, `{"a":"x","b":{"c":"y"}}`, false},
	{"8.4", `{ $.a.* = 1 }`, `{"a":[1]}`, false},
	{"8.4", `{ $.a[*].id = 2 }`, `{"a":[{"id":1},{"id":2}]}`, true},
	{"8.4", `{ $.a[*] NOT EXISTS }`, `{"a":[]}`, true},
	{"8.4", `{ $.a[*] NOT EXISTS }`, `{}`, true},
	{"8.4", `{ $.a[*] NOT EXISTS }`, `{"a":[null]}`, false},
	{"8.4", `{ $.a[*].id NOT EXISTS }`, `{"a":[{"id":1},{}]}`, false},
	{"8.4", `{ $.a[*].id NOT EXISTS }`, `{"a":[{},{}]}`, true},
	{"8.4", `{ $.a[*] IS NULL }`, `{"a":[1,null]}`, true},
	{"8.4", `{ $.a[*] > 5 }`, `{"a":[1,"9",7]}`, true},
	{"8.4", `{ $.resources[*].ARN = "arn:aws:s3:::b" }`, `{"resources":[{"ARN":"arn:aws:s3:::a"},{"ARN":"arn:aws:s3:::b"}]}`, true},

	// §8.5 = * is true for a present string, number or boolean, false for
	// null, objects and arrays; != * never matches.
	{"8.5", `{ $.a = * }`, `{"a":""}`, true},
	{"8.5", `{ $.a = * }`, `{"a":0}`, true},
	{"8.5", `{ $.a = * }`, `{"a":false}`, true},
	{"8.5", `{ $.a = * }`, `{"a":null}`, false},
	{"8.5", `{ $.a = * }`, `{"a":{}}`, false},
	{"8.5", `{ $.a = * }`, `{"a":[1]}`, false},
	{"8.5", `{ $.a = "*" }`, `{"a":"x"}`, true},
	{"8.5", `{ $.a = ** }`, `{"a":"x"}`, true},
	{"8.5", `{ $.a != * }`, `{"a":"x"}`, false},
	{"8.5", `{ $.a != * }`, `{}`, false},

	// §8.6 A member present with null exists.
	{"8.6", `{ $.a NOT EXISTS }`, `{"a":null}`, false},
	{"8.6", `{ $.a NOT EXISTS }`, `{"b":null}`, true},
	{"8.6", `{ $.a.b NOT EXISTS }`, `{"a":null}`, true},
	{"8.6", `{ $.a[3] NOT EXISTS }`, `{"a":[1]}`, true},

	// §8.9 Term patterns search the record's raw text as stored.
	{"8.9", `"\"eventName\":\"ConsoleLogin\""`, `{"eventName":"ConsoleLogin"}`, true},
	{"8.9", `"\"eventName\": \"ConsoleLogin\""`, `{"eventName":"ConsoleLogin"}`, false},
	{"8.9", `%\x22eventName\x22:\x22ConsoleLogin\x22%`, `{"eventName":"ConsoleLogin"}`, true},
	{"8.9", `%eventName.{3}ConsoleLogin%`, `{"eventName":"ConsoleLogin"}`, true},
	{"8.9", `consolelogin`, `{"eventName":"ConsoleLogin"}`, false},
	{"8.9", `Jos\u00e9`, `{"userName":"Jos\u00e9"}`, true},
	{"8.9", `José`, `{"userName":"Jos\u00e9"}`, false},
	{"8.9", `-AccessDenied`, `{"errorCode":"AccessDenied"}`, false},
	{"8.9", `-AccessDenied`, `{"eventName":"GetObject"}`, true},
	{"8.9", `ConsoleLogin`, `not json ConsoleLogin`, true},

	// ctq details: wildcards, escapes, regex dialect, odd input.
	{"ctq", `{ $.a = "\*x" }`, `{"a":"*x"}`, true},
	{"ctq", `{ $.a = "\*x" }`, `{"a":"yx"}`, false},
	{"ctq", `{ $.a = *x* }`, `{"a":"axb"}`, true},
	{"ctq", `{ $.a = "*x*" }`, `{"a":"x"}`, true},
	{"ctq", `{ $.a = **x }`, `{"a":"a*x"}`, true},
	{"ctq", `{ $.a = **x }`, `{"a":"ax"}`, false},
	{"ctq", `{ $.a != *x }`, `{"a":"ax"}`, false},
	{"ctq", `{ $.a != *x }`, `{"a":"xa"}`, true},
	{"ctq", `{ $.a = "" }`, `{"a":""}`, true},
	{"ctq", `{ $.a = "" }`, `{"a":"x"}`, false},
	{"ctq", `{ $.a = "a\nb" }`, `{"a":"a\nb"}`, true},
	{"ctq", `{ $.a = "\u00e9" }`, `{"a":"é"}`, true},
	{"ctq", `{ $.a = %^a.b$% }`, `{"a":"a\nb"}`, true},
	{"ctq", `{ $.a = %\x21% }`, `{"a":"hi!"}`, true},
	{"ctq", `{ $.a = %^abc$% }`, `{"a":"xabc"}`, false},
	{"ctq", `{ $.a = %gra|ey% }`, `{"a":"grey"}`, true},
	{"ctq", `{ $.a = %[^0-9]{2,}% }`, `{"a":"12a4"}`, false},
	{"ctq", `{ $.a = %a{,2}b% }`, `{"a":"b"}`, true},
	{"ctq", `{ $.a = 1 }`, `{"a":2,"a":1}`, true},
	{"ctq", `{ $.a NOT EXISTS }`, `[1,2]`, true},
	{"ctq", `{ $.a NOT EXISTS }`, `{} {}`, false},
	{"ctq", `{ $.a NOT EXISTS }`, ``, false},
	{"ctq", `{ $.a = 1 }`, `{"a":1`, false},
	{"ctq", `{ $.['a.b'] = 1 }`, `{"a":{"b":1}}`, false},
	{"ctq", `{ $.a.b = 1 }`, `{"a.b":1}`, false},
	{"ctq", `{ $.a[1] = 1 }`, `{"a":{"1":1}}`, false},
	{"ctq", `{ $.x-y = 1 }`, `{"x-y":1}`, true},
	{"ctq", `requestParameters.bucketName=b`, `{"requestParameters":{"bucketName":"b"}}`, true},
	{"ctq", `requestParameters.bucketname=b`, `{"requestParameters":{"bucketName":"b"}}`, false},
	{"ctq", `useridentity.username=alice eventname=GetObject`, `{"eventName":"GetObject","userIdentity":{"userName":"alice"}}`, true},
}

func TestConformance_Choices(t *testing.T) {
	for _, c := range choiceCases {
		p, err := Parse(c.pattern, ParseOptions{})
		if err != nil {
			t.Errorf("§%s Parse(%q): %v", c.question, c.pattern, err)
			continue
		}
		if got := MatchJSON(p.Root, []byte(c.event)); got != c.want {
			t.Errorf("§%s %s on %s = %v, want %v", c.question, c.pattern, c.event, got, c.want)
		}
	}
}

// TestConformance_TermTokens pins how term patterns split into terms.
func TestConformance_TermTokens(t *testing.T) {
	f := func(in string, want *Terms) {
		t.Helper()
		p, err := Parse(in, ParseOptions{})
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if !langEqual(p.Root, want) {
			t.Errorf("Parse(%q) = %s, want %s", in, langDump(p.Root), langDump(want))
		}
	}
	f(`"\"eventName\":\"ConsoleLogin\""`, &Terms{Must: []Term{{Text: `"eventName":"ConsoleLogin"`, Quoted: true}}})
	f(`ERROR -"MISSING ARGUMENTS" ?x`, &Terms{Must: []Term{{Text: "ERROR"}}, Exclude: []Term{{Text: "MISSING ARGUMENTS", Quoted: true}}})
	f(`?a ?b`, &Terms{Any: []Term{{Text: "a"}, {Text: "b"}}})
	f(`-a`, &Terms{Exclude: []Term{{Text: "a"}}})
}

// TestConformance_Nesting pins the limits ctq chose where CloudWatch
// documents none (§8.7).
func TestConformance_Nesting(t *testing.T) {
	deep := "{ " + strings.Repeat("(", MaxNesting) + "$.a = 1" + strings.Repeat(")", MaxNesting) + " }"
	p, err := Parse(deep, ParseOptions{})
	if err != nil {
		t.Fatalf("nesting %d: %v", MaxNesting, err)
	}
	if !MatchJSON(p.Root, []byte(`{"a":1}`)) {
		t.Error("deep pattern does not match")
	}
	if _, err := Parse("{ "+strings.Repeat("(", MaxNesting+1)+"$.a = 1"+strings.Repeat(")", MaxNesting+1)+" }", ParseOptions{}); err == nil {
		t.Errorf("nesting %d accepted", MaxNesting+1)
	}
	sh := strings.Repeat("(", MaxNesting) + "eventName=x" + strings.Repeat(")", MaxNesting)
	if _, err := Parse(sh, ParseOptions{}); err != nil {
		t.Errorf("shorthand nesting %d: %v", MaxNesting, err)
	}
	if _, err := Parse("("+sh+")", ParseOptions{}); err == nil {
		t.Errorf("shorthand nesting %d accepted", MaxNesting+1)
	}
	// Many terms, no depth: fine at any length (with a warning past 1024).
	wide := "{ " + strings.TrimSuffix(strings.Repeat("$.eventName = X || ", 2000), " || ") + " }"
	p, err = Parse(wide, ParseOptions{})
	if err != nil || len(p.Root.(*Or).Terms) != 2000 || len(p.Warnings) != 1 {
		t.Errorf("wide pattern: %v", err)
	}
}
