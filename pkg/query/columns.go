package query

import "strings"

// Lake columns the engine knows by name. Everything else is discovered from
// the Parquet footer of each file.
const (
	colRaw    = "ctqRaw"
	colExact  = "ctqExact"
	colNulls  = "ctqNulls.list.element"
	colExtra  = "ctqExtra"
	colTime   = "eventTime"
	colID     = "eventID"
	nullsRoot = "ctqNulls"
)

// jsonColumns hold free-form JSON objects as text; selectors below them are
// evaluated by extracting the path from that text.
var jsonColumns = map[string]bool{
	"requestParameters":   true,
	"responseElements":    true,
	"additionalEventData": true,
	"serviceEventDetails": true,
	"edgeDeviceDetails":   true,
	"insightDetails":      true,
	"userIdentity.sessionContext.webIdFederationData.attributes": true,
}

// typedGroups are the object-valued fields stored as Parquet groups.
var typedGroups = map[string]bool{
	"userIdentity": true, "userIdentity.onBehalfOf": true, "userIdentity.sessionContext": true,
	"userIdentity.sessionContext.attributes": true, "userIdentity.sessionContext.sessionIssuer": true,
	"userIdentity.sessionContext.webIdFederationData": true, "addendum": true, "tlsDetails": true,
}

// boolColumns are the typed boolean leaves.
var boolColumns = map[string]bool{"readOnly": true, "managementEvent": true}

// targetKind says where a selector's value lives in the lake.
type targetKind uint8

const (
	tTyped targetKind = iota // a typed leaf column (string, boolean, or eventTime)
	tJSON                    // below (or at) a JSON text column
	tExtra                   // a top-level member unknown to the schema: in ctqExtra
	tRaw                     // anything else: evaluated over ctqRaw
)

type target struct {
	kind targetKind
	col  string // dotted leaf path of the column
	rest Selector
}

// classify maps a selector to the column that holds its value.
func classify(sel Selector) target {
	var parts []string
	for i, st := range sel.Steps {
		if st.Kind != StepField {
			if i > 0 && jsonColumns[strings.Join(parts, ".")] {
				return target{kind: tJSON, col: strings.Join(parts, "."), rest: Selector{Steps: sel.Steps[i:]}}
			}
			return target{kind: tRaw}
		}
		parts = append(parts, st.Name)
		p := strings.Join(parts, ".")
		if jsonColumns[p] {
			return target{kind: tJSON, col: p, rest: Selector{Steps: sel.Steps[i+1:]}}
		}
		if i == 0 && !knownTopLevel[st.Name] {
			return target{kind: tExtra, col: colExtra, rest: sel}
		}
		if typedGroups[p] {
			continue
		}
		if i == len(sel.Steps)-1 && knownLeaves[p] {
			return target{kind: tTyped, col: p}
		}
		return target{kind: tRaw}
	}
	return target{kind: tRaw} // a group itself, or the root
}

// knownLeaves and knownTopLevel list the typed schema; they mirror the lake
// schema written by ingest (the engine still checks each file's footer).
var knownLeaves = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range []string{
		"eventVersion", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent",
		"errorCode", "errorMessage", "requestID", "eventID", "readOnly", "eventType", "apiVersion",
		"managementEvent", "recipientAccountId", "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId",
		"eventCategory", "sessionCredentialFromConsole",
		"userIdentity.type", "userIdentity.principalId", "userIdentity.arn", "userIdentity.accountId",
		"userIdentity.invokedBy", "userIdentity.accessKeyId", "userIdentity.userName", "userIdentity.credentialId",
		"userIdentity.identityProvider", "userIdentity.onBehalfOf.userId", "userIdentity.onBehalfOf.identityStoreArn",
		"userIdentity.sessionContext.attributes.mfaAuthenticated", "userIdentity.sessionContext.attributes.creationDate",
		"userIdentity.sessionContext.sessionIssuer.type", "userIdentity.sessionContext.sessionIssuer.principalId",
		"userIdentity.sessionContext.sessionIssuer.arn", "userIdentity.sessionContext.sessionIssuer.accountId",
		"userIdentity.sessionContext.sessionIssuer.userName",
		"userIdentity.sessionContext.webIdFederationData.federatedProvider",
		"userIdentity.sessionContext.sourceIdentity", "userIdentity.sessionContext.ec2RoleDelivery",
		"userIdentity.sessionContext.assumedRoot",
		"addendum.reason", "addendum.updatedFields", "addendum.originalRequestID", "addendum.originalEventID",
		"tlsDetails.tlsVersion", "tlsDetails.cipherSuite", "tlsDetails.clientProvidedHostHeader", "tlsDetails.keyExchange",
	} {
		m[p] = true
	}
	return m
}()

var knownTopLevel = func() map[string]bool {
	m := map[string]bool{"resources": true}
	for p := range knownLeaves {
		top, _, _ := strings.Cut(p, ".")
		m[top] = true
	}
	for p := range jsonColumns {
		top, _, _ := strings.Cut(p, ".")
		m[top] = true
	}
	return m
}()
