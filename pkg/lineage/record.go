package lineage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// record is the part of one CloudTrail record that lineage reads. Records
// are decoded leniently: a field of an unexpected JSON type reads as absent,
// so one odd record never stops a trace.
type record struct {
	raw []byte

	EventID, EventName, EventSource, EventType string
	Region, SourceIP, UserAgent, ErrorCode     string
	Recipient, SharedEventID, RequestID        string
	Time                                       time.Time
	HasTime                                    bool
	ConsoleFlag                                bool // sessionCredentialFromConsole
	VPCEndpointAccount                         string

	ID identity

	doc, req, resp, add, sed map[string]any
}

// identity is the userIdentity of a record.
type identity struct {
	Type, ARN, PrincipalID, AccountID, AccessKeyID string
	UserName, InvokedBy, IdentityProvider          string
	CreationDate                                   time.Time
	HasCreation                                    bool
	SourceIdentity, SessionIssuerARN               string
	SignInSessionARN                               string
	Workload                                       bool // ec2RoleDelivery or inScopeOf present
	OnBehalfOfUser, CredentialID                   string
}

// decodeRecord decodes one record. It fails only when raw is not a JSON
// object; the error names the offset decoding stopped at.
func decodeRecord(raw []byte) (*record, error) {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("lineage: record is not a JSON object (offset %d): %w", d.InputOffset(), err)
	}
	r := &record{raw: raw, doc: m}
	r.EventID = str(m, "eventID")
	r.EventName = str(m, "eventName")
	r.EventSource = str(m, "eventSource")
	r.EventType = str(m, "eventType")
	r.Region = str(m, "awsRegion")
	r.SourceIP = str(m, "sourceIPAddress")
	r.UserAgent = str(m, "userAgent")
	r.ErrorCode = str(m, "errorCode")
	r.Recipient = str(m, "recipientAccountId")
	r.SharedEventID = str(m, "sharedEventID")
	r.RequestID = str(m, "requestID")
	r.VPCEndpointAccount = str(m, "vpcEndpointAccountId")
	r.ConsoleFlag = str(m, "sessionCredentialFromConsole") == "true"
	r.Time, r.HasTime = parseTime(str(m, "eventTime"))
	r.req, _ = m["requestParameters"].(map[string]any)
	r.resp, _ = m["responseElements"].(map[string]any)
	r.add, _ = m["additionalEventData"].(map[string]any)
	r.sed, _ = m["serviceEventDetails"].(map[string]any)
	if u, ok := m["userIdentity"].(map[string]any); ok {
		id := &r.ID
		id.Type = str(u, "type")
		id.ARN = str(u, "arn")
		id.PrincipalID = str(u, "principalId")
		id.AccountID = str(u, "accountId")
		id.AccessKeyID = str(u, "accessKeyId")
		id.UserName = str(u, "userName")
		id.InvokedBy = str(u, "invokedBy")
		id.IdentityProvider = str(u, "identityProvider")
		id.CredentialID = str(u, "credentialId")
		id.OnBehalfOfUser = str(u, "onBehalfOf", "userId")
		_, id.Workload = u["inScopeOf"].(map[string]any)
		if sc, ok := u["sessionContext"].(map[string]any); ok {
			id.CreationDate, id.HasCreation = parseTime(str(sc, "attributes", "creationDate"))
			id.SourceIdentity = str(sc, "sourceIdentity")
			id.SessionIssuerARN = str(sc, "sessionIssuer", "arn")
			id.SignInSessionARN = str(sc, "signInSessionArn")
			if str(sc, "ec2RoleDelivery") != "" {
				id.Workload = true
			}
		}
	}
	return r, nil
}

// str walks m along path and returns the string found there, or "" when a
// step is missing or the value is not a string.
func str(m map[string]any, path ...string) string {
	var v any = m
	for _, p := range path {
		o, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = o[p]
	}
	s, _ := v.(string)
	return s
}

// field returns the value at a dotted path ("userIdentity.arn",
// "requestParameters.bucketName") as text: strings as they are, numbers
// and booleans in their JSON spelling, objects and arrays as compact JSON;
// "" when the path reaches nothing or null.
func (r *record) field(path string) string {
	var v any = r.doc
	for _, p := range strings.Split(path, ".") {
		o, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = o[p]
	}
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, _ := json.Marshal(v) // decoded JSON re-encodes
	return string(b)
}

// timeLayouts are the eventTime and creationDate spellings seen in logs:
// RFC 3339 (CloudTrail's own), ISO 8601 basic (documented for
// creationDate), and the space-separated form some exports use.
var timeLayouts = []string{
	time.RFC3339Nano,
	"20060102T150405Z",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05",
}

func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// sameSecond reports whether two times fall in the same second:
// creationDate is the issuing event's eventTime truncated to the second.
func sameSecond(a, b time.Time) bool {
	return a.Truncate(time.Second).Equal(b.Truncate(time.Second))
}
