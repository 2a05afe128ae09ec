package query

import (
	"errors"
	"strings"
	"testing"
)

type shorthandCase struct {
	in   string // shorthand pattern
	want string // canonical JSON form, or "error: " + message substring
}

var shorthandCases = []shorthandCase{
	{`eventName=GetObject`, `{ $.eventName = GetObject }`},
	{`eventname=GetObject and useridentity.username=example`, `{ $.eventName = GetObject && $.userIdentity.userName = example }`},
	{`EVENTNAME=GetObject AND UserIdentity.UserName=example`, `{ $.eventName = GetObject && $.userIdentity.userName = example }`},
	{`eventName=GetObject userIdentity.userName="example user"`, `{ $.eventName = GetObject && $.userIdentity.userName = "example user" }`},
	{`requestParameters.bucketName=x`, `{ $.requestParameters.bucketName = x }`},
	{`requestParameters.BucketName=x`, `{ $.requestParameters.BucketName = x }`},
	{`responseElements.credentials.accessKeyId=ASIA*`, `{ $.responseElements.credentials.accessKeyId = ASIA* }`},
	{`additionalEventData.MFAUsed!=Yes eventName=ConsoleLogin`, `{ $.additionalEventData.MFAUsed != Yes && $.eventName = ConsoleLogin }`},
	{`errorCode=AccessDenied*`, `{ $.errorCode = AccessDenied* }`},
	{`errorCode=*`, `{ $.errorCode = * }`},
	{`errorcode="*UnauthorizedOperation" or errorcode=AccessDenied*`, `{ $.errorCode = "*UnauthorizedOperation" || $.errorCode = AccessDenied* }`},
	{`(eventName=GetObject or eventName=PutObject) and (errorCode=AccessDenied or errorCode=NoSuchKey)`, `{ ($.eventName = GetObject || $.eventName = PutObject) && ($.errorCode = AccessDenied || $.errorCode = NoSuchKey) }`},
	{`eventName=GetObject or eventName=PutObject errorCode=AccessDenied`, `{ $.eventName = GetObject || $.eventName = PutObject && $.errorCode = AccessDenied }`},
	{`eventName=a || eventName=b && eventName=c`, `{ $.eventName = a || $.eventName = b && $.eventName = c }`},
	{`(((eventName=a)))`, `{ $.eventName = a }`},
	{`eventSource=kms.amazonaws.com`, `{ $.eventSource = kms.amazonaws.com }`},
	{`sourceIPAddress=10.0.*`, `{ $.sourceIPAddress = 10.0.* }`},
	{`sourceipaddress!=10.0.0.1`, `{ $.sourceIPAddress != 10.0.0.1 }`},
	{`useridentity.arn=arn:aws:iam::123456789012:user/alice`, `{ $.userIdentity.arn = arn:aws:iam::123456789012:user/alice }`},
	{`useridentity.sessioncontext.attributes.mfaauthenticated=false`, `{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = false }`},
	{`userIdentity.sessionContext.webIdFederationData.federatedProvider=x`, `{ $.userIdentity.sessionContext.webIdFederationData.federatedProvider = x }`},
	{`userIdentity.sessionContext.webIdFederationData.attributes.aud=x`, `{ $.userIdentity.sessionContext.webIdFederationData.attributes.aud = x }`},
	{`useridentity.onbehalfof.userid=x`, `{ $.userIdentity.onBehalfOf.userId = x }`},
	{`tlsdetails.tlsversion=TLSv1.2`, `{ $.tlsDetails.tlsVersion = TLSv1.2 }`},
	{`addendum.reason=DELIVERY_DELAY`, `{ $.addendum.reason = DELIVERY_DELAY }`},
	{`resources.type=AWS::S3::Object`, `{ $.resources[*].type = AWS::S3::Object }`},
	{`resources.arn=arn:aws:s3:::b/*`, `{ $.resources[*].ARN = arn:aws:s3:::b/* }`},
	{`resources[1].accountid=123456789012`, `{ $.resources[1].accountId = 123456789012 }`},
	{`resources[*].arn=x`, `{ $.resources[*].ARN = x }`},
	{`requestParameters.items[0].key=x`, `{ $.requestParameters.items[0].key = x }`},
	{`requestParameters.items[*].key=x`, `{ $.requestParameters.items[*].key = x }`},
	{`requestParameters.*=x`, `{ $.requestParameters.* = x }`},
	{`serviceEventDetails.x=1`, `{ $.serviceEventDetails.x = 1 }`},
	{`edgeDeviceDetails.x=1`, `{ $.edgeDeviceDetails.x = 1 }`},
	{`insightDetails.state=Start`, `{ $.insightDetails.state = Start }`},
	{`readOnly=false managementEvent=true`, `{ $.readOnly = false && $.managementEvent = true }`},
	{`responseElements.size>100 responseElements.size<=200`, `{ $.responseElements.size > 100 && $.responseElements.size <= 200 }`},
	{`eventName=%^(Get|List)%`, `error: parentheses (groups) are not supported`},
	{`eventName=%^Get% or eventName=%^List%`, `{ $.eventName = %^Get% || $.eventName = %^List% }`},
	{`eventName=%a% eventName=%b% eventName=%c%`, `error: at most 2 regular expressions`},
	{`requestParameters.a[*].b[*]=1`, `error: at most one wildcard`},
	{`eventTime>2024`, `{ $.eventTime > 2024 }`},
	{`username=x`, `error: unknown field "username" (did you mean userIdentity.userName, userIdentity.sessionContext.sessionIssuer.userName?)`},
	{`eventsource=x evntname=y`, `error: unknown field "evntname" (did you mean eventName?)`},
	{`useridentity.sessioncontext=x`, `error: userIdentity.sessionContext is an object`},
	{`useridentity.type.x=1`, `error: userIdentity.type is a string field and has no members`},
	{`resources.arn.x=1`, `error: resources.ARN is a string field`},
	{`resources.foo=1`, `error: unknown field "resources.foo"`},
	{`requestParameters..x=1`, `error: empty name before '.'`},
	{`requestParameters[x]=1`, `error: [x] is not an array index`},
	{`eventName=GetObject and`, `error: expected a comparison (field=value) or '(', found end of pattern`},
	{`and eventName=GetObject`, `error: expected a comparison (field=value) or '(', found 'and'`},
	{`eventName=Get Object`, `error: expected a comparison operator (=, !=, <, >, <=, >=) after 'Object'`},
}

func TestShorthand_Patterns(t *testing.T) {
	for _, c := range shorthandCases {
		p, err := Parse(c.in, ParseOptions{})
		if msg, isErr := strings.CutPrefix(c.want, "error: "); isErr {
			if err == nil || !strings.Contains(err.Error(), msg) {
				t.Errorf("Parse(%q) = %v, want error containing %q", c.in, err, msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if p.Kind != KindShorthand {
			t.Errorf("Parse(%q).Kind = %v", c.in, p.Kind)
		}
		if got := p.String(); got != c.want {
			t.Errorf("Parse(%q) = %s, want %s", c.in, got, c.want)
		}
		// The JSON form parses to the same tree.
		j, err := Parse(c.want, ParseOptions{})
		if err != nil || !langEqual(j.Root, p.Root) {
			t.Errorf("JSON form %s: %v, tree %s vs %s", c.want, err, langDump(p.Root), langDump(j.Root))
		}
	}
}

func TestShorthand_ResolveEveryKnownField(t *testing.T) {
	paths := KnownFieldPaths()
	if len(paths) < 50 {
		t.Fatalf("only %d known paths", len(paths))
	}
	for _, path := range paths {
		for _, typed := range []string{path, strings.ToLower(path), strings.ToUpper(path)} {
			sel, err := DefaultResolver(typed)
			if err != nil {
				t.Errorf("DefaultResolver(%q): %v", typed, err)
				continue
			}
			want := "$." + strings.Replace(path, "resources.", "resources[*].", 1)
			if got := sel.String(); got != want {
				t.Errorf("DefaultResolver(%q) = %s, want %s", typed, got, want)
			}
			if !KnownSelector(sel) {
				t.Errorf("KnownSelector(%s) = false", sel)
			}
		}
	}
	for _, want := range []string{
		"eventVersion", "userIdentity.type", "userIdentity.principalId", "userIdentity.arn", "userIdentity.accountId",
		"userIdentity.accessKeyId", "userIdentity.userName", "userIdentity.invokedBy", "userIdentity.credentialId",
		"userIdentity.identityProvider", "userIdentity.onBehalfOf.userId", "userIdentity.onBehalfOf.identityStoreArn",
		"userIdentity.sessionContext.attributes.creationDate", "userIdentity.sessionContext.attributes.mfaAuthenticated",
		"userIdentity.sessionContext.sessionIssuer.type", "userIdentity.sessionContext.sessionIssuer.principalId",
		"userIdentity.sessionContext.sessionIssuer.arn", "userIdentity.sessionContext.sessionIssuer.accountId",
		"userIdentity.sessionContext.sessionIssuer.userName", "userIdentity.sessionContext.webIdFederationData.federatedProvider",
		"userIdentity.sessionContext.webIdFederationData.attributes", "userIdentity.sessionContext.sourceIdentity",
		"userIdentity.sessionContext.ec2RoleDelivery", "userIdentity.sessionContext.assumedRoot",
		"eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent", "errorCode", "errorMessage",
		"requestParameters", "responseElements", "additionalEventData", "requestID", "eventID", "eventType", "apiVersion",
		"managementEvent", "readOnly", "resources.ARN", "resources.accountId", "resources.type", "recipientAccountId",
		"serviceEventDetails", "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId", "eventCategory",
		"addendum.reason", "addendum.updatedFields", "addendum.originalRequestID", "addendum.originalEventID",
		"sessionCredentialFromConsole", "edgeDeviceDetails", "tlsDetails.tlsVersion", "tlsDetails.cipherSuite",
		"tlsDetails.clientProvidedHostHeader", "tlsDetails.keyExchange", "eventContext", "insightDetails", "annotation",
	} {
		found := false
		for _, p := range paths {
			found = found || p == want
		}
		if !found {
			t.Errorf("%s is not a known path", want)
		}
	}
}

func TestShorthand_ResolverErrors(t *testing.T) {
	f := func(path, want string, sugg ...string) {
		t.Helper()
		_, err := DefaultResolver(path)
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("DefaultResolver(%q) = %v, want a *FieldError", path, err)
		}
		if err.Error() != want {
			t.Errorf("DefaultResolver(%q):\n got  %s\n want %s", path, err, want)
		}
		if len(sugg) > 0 && strings.Join(fe.Suggestions, ",") != strings.Join(sugg, ",") {
			t.Errorf("suggestions %v, want %v", fe.Suggestions, sugg)
		}
	}
	f("evenname", `unknown field "evenname" (did you mean eventName?)`, "eventName")
	f("mfaauthenticated", `unknown field "mfaauthenticated" (did you mean userIdentity.sessionContext.attributes.mfaAuthenticated?)`)
	f("useridentity.sessioncontext.attributes.mfa", `unknown field "useridentity.sessioncontext.attributes.mfa" (did you mean userIdentity.sessionContext.attributes.mfaAuthenticated?)`)
	f("xyzzy", `unknown field "xyzzy"`)
	f("", `invalid field path "": empty path`)
	f("a.", `invalid field path "a.": ends with '.'`)
	f("a[", `invalid field path "a[": missing ']'`)
	f("[0]", `invalid field path "[0]": '[' must follow a name`)
	f("addendum", `addendum is an object; compare one of its fields (reason, updatedFields, originalRequestID, originalEventID)`)
	f("resources[0]", `resources[0] is an object; compare one of its fields (ARN, accountId, type)`)
	f("resources.*", `resources is an array; use resources[*] or resources.ARN`)
	f("readonly[0]", `readOnly is a boolean field, not an array; in "readonly[0]"`)
	f("eventtime.x", `eventTime is a timestamp field and has no members; in "eventtime.x"`)
}

func TestShorthand_Dispatch(t *testing.T) {
	f := func(in string, want bool) {
		t.Helper()
		if got := looksLikeShorthand(in); got != want {
			t.Errorf("looksLikeShorthand(%q) = %v, want %v", in, got, want)
		}
	}
	f(`eventName=x`, true)
	f(`eventName = x`, true)
	f(`eventName!=x`, true)
	f(`a<1`, true)
	f(`a>=1`, true)
	f(`(a=1)`, true)
	f(`x a_b.c[0]=1`, true)
	f(`eventName=`, true)
	f(`"a=b"`, false)
	f(`%a=b%`, false)
	f(`-a=b`, false)
	f(`?a=b`, false)
	f(`1a=b`, false)
	f(`=b`, false)
	f(`ERROR`, false)
	f(`a ! b`, false)
	f(`"unterminated a=b`, false)
}

func TestShorthand_DispatchMore(t *testing.T) {
	f := func(in string, want bool) {
		t.Helper()
		if got := looksLikeShorthand(in); got != want {
			t.Errorf("looksLikeShorthand(%q) = %v, want %v", in, got, want)
		}
	}
	f(`( eventName = x )`, true)
	f(`(eventName =x)`, true)
	f(`x eventName= y`, true)
	f(`eventName="a b"`, true)
	f(`%a b=c%`, false)
	f(`-%a b=c%`, false)
	f(`(%x -"a% b=c"`, false)
	f(`-"a=b" "c<d"`, false)
	f(`-x = y`, false)
	f(`?x =y`, false)
}
