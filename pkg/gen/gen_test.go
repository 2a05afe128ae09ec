package gen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
)

// collected is one emitted object with its decompressed content.
type collected struct {
	Object
	raw     []byte
	records []json.RawMessage
}

func gunzip(t testing.TB, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return raw
}

// collect generates cfg and decodes every object.
func collect(t testing.TB, cfg Config) ([]collected, Stats) {
	t.Helper()
	var out []collected
	st, err := Generate(context.Background(), cfg, func(o Object) error {
		c := collected{Object: o, raw: gunzip(t, o.Data)}
		if o.Kind != KindDigest {
			var v struct {
				Records []json.RawMessage `json:"Records"`
			}
			dec := json.NewDecoder(bytes.NewReader(c.raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&v); err != nil {
				return fmt.Errorf("%s: %v", o.Key, err)
			}
			if v.Records == nil {
				return fmt.Errorf("%s: no Records array", o.Key)
			}
			c.records = v.Records
		} else if !json.Valid(c.raw) {
			return fmt.Errorf("%s: invalid JSON", o.Key)
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return out, st
}

func archiveHash(t testing.TB, cfg Config) (string, Stats) {
	t.Helper()
	h := sha256.New()
	st, err := Generate(context.Background(), cfg, func(o Object) error {
		fmt.Fprintf(h, "%s\x00%d\x00", o.Key, len(o.Data))
		h.Write(o.Data)
		return nil
	})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return hex.EncodeToString(h.Sum(nil)), st
}

func smallConfig() Config {
	cfg := DefaultConfig()
	cfg.Events = 3000
	return cfg
}

func TestDeterminism(t *testing.T) {
	noOrg := smallConfig()
	noOrg.OrgID = ""
	noOrg.Prefix = "trail/sub"
	extras := smallConfig()
	extras.Insight, extras.Digest = true, true
	single := smallConfig()
	single.Accounts, single.Regions, single.Days = 1, []string{"eu-central-1"}, 1
	lin := smallConfig()
	lin.Lineages, lin.Digest = 6, true
	tests := []struct {
		name string
		cfg  Config
	}{
		{"default", smallConfig()},
		{"no-org-prefix", noOrg},
		{"insight-digest", extras},
		{"single-account-region", single},
		{"lineages", lin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h1, st1 := archiveHash(t, tc.cfg)
			h2, st2 := archiveHash(t, tc.cfg)
			if h1 != h2 || st1 != st2 {
				t.Fatalf("two runs differ: %s %+v vs %s %+v", h1, st1, h2, st2)
			}
			prev := runtime.GOMAXPROCS(1)
			h3, _ := archiveHash(t, tc.cfg)
			runtime.GOMAXPROCS(prev)
			if h3 != h1 {
				t.Fatalf("output depends on GOMAXPROCS: %s vs %s", h3, h1)
			}
			other := tc.cfg
			other.Seed++
			if h4, _ := archiveHash(t, other); h4 == h1 {
				t.Fatalf("seed %d and %d give the same archive", tc.cfg.Seed, other.Seed)
			}
		})
	}
}

// Enabling Insight and Digest objects must not change the log files.
func TestExtrasDoNotChangeLogs(t *testing.T) {
	logs := func(cfg Config) string {
		h := sha256.New()
		_, err := Generate(context.Background(), cfg, func(o Object) error {
			if o.Kind == KindLog {
				h.Write([]byte(o.Key))
				h.Write(o.Data)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	plain := smallConfig()
	extras := plain
	extras.Insight, extras.Digest = true, true
	if a, b := logs(plain), logs(extras); a != b {
		t.Fatalf("log files differ when Insight/Digest are enabled")
	}
}

var logKeyRE = regexp.MustCompile(`^(?:(.+)/)?AWSLogs/(?:(o-[a-z0-9]+)/)?(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8})T(\d{4})Z_[A-Za-z0-9]{16}\.json\.gz$`)

var globalSources = map[string]bool{"iam.amazonaws.com": true, "sts.amazonaws.com": true, "signin.amazonaws.com": true, "organizations.amazonaws.com": true}

// testRecord is the subset of a record the tests inspect.
type testRecord struct {
	EventVersion       string          `json:"eventVersion"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AwsRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode"`
	ErrorMessage       string          `json:"errorMessage"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	EventID            string          `json:"eventID"`
	ReadOnly           *bool           `json:"readOnly"`
	EventType          string          `json:"eventType"`
	ManagementEvent    *bool           `json:"managementEvent"`
	RecipientAccountID string          `json:"recipientAccountId"`
	EventCategory      string          `json:"eventCategory"`
	UserIdentity       map[string]any  `json:"userIdentity"`
	AdditionalData     map[string]any  `json:"additionalEventData"`
	Resources          []struct {
		ARN       string `json:"ARN"`
		AccountID string `json:"accountId"`
		Type      string `json:"type"`
	} `json:"resources"`
	TLSDetails                   map[string]any `json:"tlsDetails"`
	VpcEndpointID                string         `json:"vpcEndpointId"`
	SharedEventID                string         `json:"sharedEventID"`
	SessionCredentialFromConsole *string        `json:"sessionCredentialFromConsole"`
	ServiceEventDetails          map[string]any `json:"serviceEventDetails"`
	Addendum                     map[string]any `json:"addendum"`
}

// fieldOrder is CloudTrail's usual top-level field order.
var fieldOrder = []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
	"sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements",
	"additionalEventData", "requestID", "eventID", "readOnly", "resources", "eventType", "apiVersion",
	"managementEvent", "recipientAccountId", "serviceEventDetails", "sharedEventID", "vpcEndpointId",
	"vpcEndpointAccountId", "eventCategory", "tlsDetails", "sessionCredentialFromConsole", "addendum"}

func topLevelKeys(t testing.TB, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("record does not start with an object: %v %v", tok, err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// checkArchive verifies layout and per-record invariants that hold for any
// configuration, and returns the decoded log records by object.
func checkArchive(t *testing.T, cfg Config, objs []collected, st Stats) [][]testRecord {
	t.Helper()
	ncfg, err := cfg.normalize()
	if err != nil {
		t.Fatal(err)
	}
	accounts := map[string]bool{}
	for _, id := range cfg.AccountIDs() {
		accounts[id] = true
	}
	globalRegion := ncfg.Regions[0]
	if slices.Contains(ncfg.Regions, "us-east-1") {
		globalRegion = "us-east-1"
	}
	keys := map[string]bool{}
	var all [][]testRecord
	sumEvents, nRecords := 0, 0
	for _, o := range objs {
		if keys[o.Key] {
			t.Fatalf("duplicate key %s", o.Key)
		}
		keys[o.Key] = true
		if cfg.Prefix != "" && !strings.HasPrefix(o.Key, strings.Trim(cfg.Prefix, "/")+"/AWSLogs/") {
			t.Fatalf("key %s lacks prefix %q", o.Key, cfg.Prefix)
		}
		if cfg.Prefix == "" && !strings.HasPrefix(o.Key, "AWSLogs/") {
			t.Fatalf("key %s does not start with AWSLogs/", o.Key)
		}
		if o.Kind != KindLog {
			if o.Events != 0 {
				t.Fatalf("%s object %s has Events=%d", o.Kind, o.Key, o.Events)
			}
			continue
		}
		m := logKeyRE.FindStringSubmatch(o.Key)
		if m == nil {
			t.Fatalf("key %q does not match the layout", o.Key)
		}
		prefix, org, acct, region, y, mo, d, acct2, region2, ymd, hm := m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11]
		if prefix != strings.Trim(cfg.Prefix, "/") || org != cfg.OrgID {
			t.Fatalf("key %q: prefix %q org %q", o.Key, prefix, org)
		}
		if acct != acct2 || region != region2 || !accounts[acct] || !slices.Contains(ncfg.Regions, region) {
			t.Fatalf("key %q: inconsistent account/region", o.Key)
		}
		if y+mo+d != ymd {
			t.Fatalf("key %q: path day %s%s%s != file-name day %s", o.Key, y, mo, d, ymd)
		}
		if got := o.Delivered.Format("20060102T1504"); got != ymd+"T"+hm {
			t.Fatalf("key %q: Delivered %s", o.Key, got)
		}
		if len(o.records) != o.Events || o.Events == 0 {
			t.Fatalf("key %q: %d records, Events=%d", o.Key, len(o.records), o.Events)
		}
		if bytes.ContainsAny(o.raw, "\n\r") {
			t.Fatalf("key %q: file is not a single line", o.Key)
		}
		sumEvents += o.Events
		recs := make([]testRecord, len(o.records))
		for i, raw := range o.records {
			nRecords++
			r := &recs[i]
			if err := json.Unmarshal(raw, r); err != nil {
				t.Fatalf("%s: %v", o.Key, err)
			}
			et, err := time.Parse(time.RFC3339, r.EventTime)
			if err != nil || !strings.HasSuffix(r.EventTime, "Z") {
				t.Fatalf("bad eventTime %q", r.EventTime)
			}
			if et.After(o.Delivered) || et.Before(ncfg.Start) {
				t.Fatalf("%s: eventTime %s outside [start, delivery %s]", o.Key, et, o.Delivered)
			}
			if r.AwsRegion != region || r.RecipientAccountID != acct {
				t.Fatalf("%s: record region %s account %s", o.Key, r.AwsRegion, r.RecipientAccountID)
			}
			if globalSources[r.EventSource] && region != globalRegion {
				t.Fatalf("%s: global event %s in %s", o.Key, r.EventName, region)
			}
			if !slices.Contains([]string{"1.08", "1.09", "1.10", "1.11"}, r.EventVersion) {
				t.Fatalf("eventVersion %q", r.EventVersion)
			}
			if !uuidRE.MatchString(r.EventID) {
				t.Fatalf("eventID %q", r.EventID)
			}
			if r.ReadOnly == nil || r.ManagementEvent == nil || r.UserIdentity == nil || r.RequestParameters == nil || r.ResponseElements == nil {
				t.Fatalf("missing required field in %s", raw)
			}
			if *r.ManagementEvent != (r.EventCategory == "Management") || (r.EventCategory != "Management" && r.EventCategory != "Data") {
				t.Fatalf("managementEvent %v with eventCategory %q", *r.ManagementEvent, r.EventCategory)
			}
			if *r.ReadOnly && r.EventSource != "sts.amazonaws.com" && string(r.ResponseElements) != "null" {
				t.Fatalf("read-only %s has responseElements %s", r.EventName, r.ResponseElements)
			}
			if r.ErrorCode != "" && string(r.ResponseElements) != "null" {
				t.Fatalf("failed %s has responseElements", r.EventName)
			}
			keys := topLevelKeys(t, raw)
			pos := -1
			for _, k := range keys {
				p := slices.Index(fieldOrder, k)
				if p <= pos {
					t.Fatalf("field %q out of order in %v", k, keys)
				}
				pos = p
			}
		}
		all = append(all, recs)
	}
	if sumEvents != st.Events || st.Events != cfg.Events || nRecords != cfg.Events {
		t.Fatalf("records: sum of Object.Events %d, decoded %d, Stats.Events %d, cfg.Events %d", sumEvents, nRecords, st.Events, cfg.Events)
	}
	if st.Objects != len(objs) || st.LogObjects != len(all) {
		t.Fatalf("Stats objects %d/%d, emitted %d/%d", st.Objects, st.LogObjects, len(objs), len(all))
	}
	return all
}

func TestLayout(t *testing.T) {
	base := DefaultConfig()
	base.Events = 1500
	mk := func(f func(*Config)) Config { c := base; f(&c); return c }
	tests := []struct {
		name string
		cfg  Config
	}{
		{"org", base},
		{"org-prefix", mk(func(c *Config) { c.Prefix = "trail" })},
		{"no-org", mk(func(c *Config) { c.OrgID = "" })},
		{"no-org-nested-prefix", mk(func(c *Config) { c.OrgID = ""; c.Prefix = "/logs/ct/" })},
		{"one-event", mk(func(c *Config) { c.Events = 1 })},
		{"no-us-east-1", mk(func(c *Config) { c.Events = 400; c.Regions = []string{"eu-west-1", "eu-north-1"}; c.Accounts = 1 })},
		{"many-accounts", mk(func(c *Config) { c.Events = 2000; c.Accounts = 40; c.Days = 3 })},
		{"zero-events", mk(func(c *Config) { c.Events = 0; c.Insight = true })},
		{"extras", mk(func(c *Config) { c.Insight = true; c.Digest = true; c.Prefix = "p" })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, st := collect(t, tc.cfg)
			checkArchive(t, tc.cfg, objs, st)
			for _, id := range tc.cfg.AccountIDs() {
				if len(id) != 12 || strings.Trim(id, "0123456789") != "" {
					t.Fatalf("account id %q is not 12 digits", id)
				}
			}
		})
	}
}

func TestAccountIDs(t *testing.T) {
	for _, n := range []int{1, 2, 3, 50} {
		cfg := DefaultConfig()
		cfg.Accounts = n
		ids := cfg.AccountIDs()
		if len(ids) != n {
			t.Fatalf("%d ids, want %d", len(ids), n)
		}
		lead := 0
		seen := map[string]bool{}
		for _, id := range ids {
			if len(id) != 12 || strings.Trim(id, "0123456789") != "" || seen[id] {
				t.Fatalf("bad or repeated id %q", id)
			}
			seen[id] = true
			if id[0] == '0' {
				lead++
			}
		}
		if lead != 1 {
			t.Fatalf("%d accounts: %d ids with a leading zero, want 1", n, lead)
		}
	}
}

// TestContent checks the variety of a 20k-event archive.
func TestContent(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Events = 20000
	cfg.Insight = true
	cfg.Digest = true
	objs, st := collect(t, cfg)
	byObj := checkArchive(t, cfg, objs, st)

	type seenAt struct {
		obj int
		raw string
	}
	first := map[string]seenAt{}
	var (
		dups, late, crossDay, errs, addenda int
		names                               = map[string]int{}
		sources                             = map[string]bool{}
		idTypes                             = map[string]bool{}
		errCodes                            = map[string]bool{}
		mfaUsed                             = map[string]bool{}
		loginResults                        = map[string]bool{}
		eventTypes                          = map[string]bool{}
		mfaAuth                             = map[string]bool{}
		ips                                 = map[string]bool{}
		flags                               = map[string]bool{}
		rootInvoked, rootPlain              bool
		nonASCII                            bool
	)
	logIdx := 0
	for _, o := range objs {
		if o.Kind != KindLog {
			continue
		}
		recs := byObj[logIdx]
		m := logKeyRE.FindStringSubmatch(o.Key)
		pathDay := m[5] + "-" + m[6] + "-" + m[7]
		for i, r := range recs {
			raw := string(o.records[i])
			if f, ok := first[r.EventID]; ok {
				dups++
				if f.raw != raw {
					t.Fatalf("duplicate eventID %s with different bytes", r.EventID)
				}
				if f.obj >= logIdx {
					t.Fatalf("duplicate %s not in a later object", r.EventID)
				}
			} else {
				first[r.EventID] = seenAt{logIdx, raw}
				et, _ := time.Parse(time.RFC3339, r.EventTime)
				if o.Delivered.Sub(et) >= time.Hour {
					late++
				}
			}
			if r.EventTime[:10] != pathDay {
				crossDay++
			}
			names[r.EventName]++
			sources[r.EventSource] = true
			eventTypes[r.EventType] = true
			ips[r.SourceIPAddress] = true
			if r.ErrorCode != "" || r.ErrorMessage != "" {
				errs++
				errCodes[r.ErrorCode] = true
			}
			if r.Addendum != nil {
				addenda++
				if r.Addendum["reason"] != "DELIVERY_DELAY" {
					t.Fatalf("addendum %v", r.Addendum)
				}
			}
			ui := r.UserIdentity
			typ, _ := ui["type"].(string)
			idTypes[typ] = true
			switch typ {
			case "AWSService":
				if ui["invokedBy"] == nil || ui["arn"] != nil {
					t.Fatalf("AWSService identity %v", ui)
				}
			case "Root":
				if ui["invokedBy"] != nil {
					rootInvoked = true
				} else {
					rootPlain = true
				}
			case "IdentityCenterUser":
				if _, ok := ui["onBehalfOf"].(map[string]any); !ok {
					t.Fatalf("IdentityCenterUser without onBehalfOf: %v", ui)
				}
			case "AssumedRole":
				sc := ui["sessionContext"].(map[string]any)
				attrs := sc["attributes"].(map[string]any)
				mfaAuth[attrs["mfaAuthenticated"].(string)] = true
				if _, ok := sc["sessionIssuer"].(map[string]any)["arn"].(string); !ok {
					t.Fatalf("AssumedRole without sessionIssuer.arn: %v", ui)
				}
				if d, ok := sc["ec2RoleDelivery"].(string); ok {
					flags["ec2RoleDelivery="+d] = true
				}
				if w := sc["webIdFederationData"].(map[string]any); len(w) > 0 {
					flags["webIdFederationData"] = true
				}
			}
			if r.EventName == "ConsoleLogin" {
				mfaUsed[r.AdditionalData["MFAUsed"].(string)] = true
				var resp map[string]string
				if err := json.Unmarshal(r.ResponseElements, &resp); err != nil {
					t.Fatal(err)
				}
				loginResults[resp["ConsoleLogin"]] = true
				if resp["ConsoleLogin"] == "Failure" && r.ErrorMessage != "Failed authentication" {
					t.Fatalf("failed ConsoleLogin with errorMessage %q", r.ErrorMessage)
				}
			}
			switch r.EventName {
			case "AuthorizeSecurityGroupIngress":
				var p struct {
					IPPermissions struct {
						Items []struct {
							IPRanges struct {
								Items []struct{ CidrIP string }
							}
						}
					}
				}
				if err := json.Unmarshal(r.RequestParameters, &p); err != nil || len(p.IPPermissions.Items) == 0 {
					t.Fatalf("AuthorizeSecurityGroupIngress params %s", r.RequestParameters)
				}
				if p.IPPermissions.Items[0].IPRanges.Items[0].CidrIP == "0.0.0.0/0" {
					flags["open-ingress"] = true
				}
			case "RunInstances":
				var p struct {
					InstancesSet struct{ Items []map[string]any }
				}
				if json.Unmarshal(r.RequestParameters, &p) == nil && len(p.InstancesSet.Items) > 0 {
					flags["run-instances"] = true
				}
			case "PutBucketPolicy":
				var p struct{ Policy string }
				if json.Unmarshal(r.RequestParameters, &p) == nil && json.Valid([]byte(p.Policy)) && strings.Contains(p.Policy, "Statement") {
					flags["policy-string"] = true
				}
			case "GetObject":
				var p struct{ BucketName, Key, Host string }
				if err := json.Unmarshal(r.RequestParameters, &p); err != nil || p.BucketName == "" || p.Key == "" || p.Host == "" {
					t.Fatalf("GetObject params %s", r.RequestParameters)
				}
				if r.EventCategory != "Data" || *r.ManagementEvent || len(r.Resources) == 0 || r.Resources[0].Type != "AWS::S3::Object" {
					t.Fatalf("GetObject is not a data event with an object resource: %s", raw)
				}
				if !utf8.ValidString(p.Key) {
					t.Fatalf("invalid UTF-8 key")
				}
			case "Invoke":
				if r.EventCategory != "Data" {
					t.Fatalf("lambda Invoke category %q", r.EventCategory)
				}
			}
			if r.EventType == "AwsServiceEvent" && r.ServiceEventDetails != nil {
				flags["serviceEventDetails"] = true
			}
			if r.TLSDetails != nil {
				flags["tls"] = true
			}
			if r.VpcEndpointID != "" {
				flags["vpce"] = true
			}
			if r.SharedEventID != "" {
				flags["shared"] = true
			}
			if r.SessionCredentialFromConsole != nil {
				if *r.SessionCredentialFromConsole != "true" {
					t.Fatalf("sessionCredentialFromConsole %q", *r.SessionCredentialFromConsole)
				}
				flags["fromConsole"] = true
			}
			for _, s := range []string{r.UserAgent, string(r.RequestParameters)} {
				for _, c := range s {
					if c > 127 {
						nonASCII = true
					}
				}
			}
			for _, esc := range []string{`\u001b`, `\"`, `\\`, `\n`} {
				if strings.Contains(raw, esc) {
					flags["escape "+esc] = true
				}
			}
		}
		logIdx++
	}

	if dups == 0 || dups != st.Duplicates {
		t.Errorf("duplicates: found %d, Stats.Duplicates %d", dups, st.Duplicates)
	}
	if late == 0 || late != st.Late {
		t.Errorf("late records: found %d, Stats.Late %d", late, st.Late)
	}
	if crossDay == 0 || addenda == 0 {
		t.Errorf("%d records under another day's path, %d with an addendum", crossDay, addenda)
	}
	for _, typ := range []string{"Root", "IAMUser", "AssumedRole", "FederatedUser", "AWSService", "AWSAccount", "IdentityCenterUser", "Unknown", "Directory"} {
		if !idTypes[typ] {
			t.Errorf("no userIdentity of type %s", typ)
		}
	}
	if !rootInvoked || !rootPlain {
		t.Errorf("Root identities with invokedBy %v, without %v", rootInvoked, rootPlain)
	}
	if !mfaUsed["Yes"] || !mfaUsed["No"] || !loginResults["Success"] || !loginResults["Failure"] {
		t.Errorf("ConsoleLogin MFAUsed %v, results %v", mfaUsed, loginResults)
	}
	if !mfaAuth["true"] || !mfaAuth["false"] {
		t.Errorf("mfaAuthenticated values %v", mfaAuth)
	}
	if len(names) < 60 || len(sources) < 15 {
		t.Errorf("%d distinct eventNames, %d sources", len(names), len(sources))
	}
	type nc struct {
		name string
		n    int
	}
	var ranked []nc
	for n, c := range names {
		ranked = append(ranked, nc{n, c})
	}
	slices.SortFunc(ranked, func(a, b nc) int { return b.n - a.n })
	if ranked[0].name != "GetObject" || ranked[0].n < cfg.Events/10 {
		t.Errorf("most frequent event %v", ranked[0])
	}
	top := 0
	for _, x := range ranked[:4] {
		top += x.n
		if !slices.Contains([]string{"GetObject", "Decrypt", "AssumeRole", "DescribeInstances", "PutObject", "GenerateDataKey"}, x.name) {
			t.Errorf("unexpected top event %v", x)
		}
	}
	if top < cfg.Events*35/100 {
		t.Errorf("top 4 names hold %d of %d events: not skewed enough", top, cfg.Events)
	}
	if rate := float64(errs) / float64(cfg.Events); rate < 0.025 || rate > 0.055 {
		t.Errorf("error rate %.3f", rate)
	}
	for _, code := range []string{"AccessDenied", "Client.UnauthorizedOperation", "ThrottlingException", "NoSuchKey"} {
		if !errCodes[code] {
			t.Errorf("no errorCode %s", code)
		}
	}
	for _, et := range []string{"AwsApiCall", "AwsServiceEvent", "AwsConsoleSignIn"} {
		if !eventTypes[et] {
			t.Errorf("no eventType %s", et)
		}
	}
	for _, f := range []string{"ec2RoleDelivery=2.0", "ec2RoleDelivery=1.0", "webIdFederationData", "open-ingress", "run-instances",
		"policy-string", "serviceEventDetails", "tls", "vpce", "shared", "fromConsole",
		`escape \u001b`, `escape \"`, `escape \\`, `escape \n`} {
		if !flags[f] {
			t.Errorf("nothing with %s", f)
		}
	}
	if !nonASCII {
		t.Errorf("no non-ASCII text")
	}
	var v4, v6, svc, internal int
	for ip := range ips {
		switch {
		case ip == "AWS Internal":
			internal++
		case strings.HasSuffix(ip, ".amazonaws.com"):
			svc++
		default:
			a, err := netip.ParseAddr(ip)
			if err != nil {
				t.Fatalf("sourceIPAddress %q: %v", ip, err)
			}
			if a.Is4() {
				v4++
			} else {
				v6++
			}
		}
	}
	if v4 < 1000 || v6 < 100 || svc < 5 || internal == 0 {
		t.Errorf("distinct source addresses: %d IPv4, %d IPv6, %d services, internal %d", v4, v6, svc, internal)
	}

	// Object sizes: mostly small files, a few large ones.
	small, large, nLog := 0, 0, 0
	for _, o := range objs {
		if o.Kind != KindLog {
			continue
		}
		nLog++
		if o.Events <= 50 {
			small++
		}
		if o.Events >= 300 {
			large++
		}
	}
	if small*10 < nLog*7 || large == 0 {
		t.Errorf("%d log files: %d with <= 50 records, %d with >= 300", nLog, small, large)
	}
	if avg := st.LogRawBytes / int64(st.Events); avg < 1200 || avg > 1650 {
		t.Errorf("average record size %d bytes", avg)
	}
	if st.InsightObjects == 0 || st.DigestObjects == 0 {
		t.Errorf("insight objects %d, digest objects %d", st.InsightObjects, st.DigestObjects)
	}
	if !st.Start.Equal(cfg.Start) && (st.Start.Before(cfg.Start) || st.Start.Sub(cfg.Start) > time.Hour) {
		t.Errorf("Stats.Start %s", st.Start)
	}
}

func TestInsightObjects(t *testing.T) {
	cfg := smallConfig()
	cfg.Insight = true
	objs, st := collect(t, cfg)
	re := regexp.MustCompile(`^AWSLogs/o-[a-z0-9]+/(\d{12})/CloudTrail-Insight/([a-z0-9-]+)/\d{4}/\d{2}/\d{2}/(\d{12})_CloudTrail-Insight_([a-z0-9-]+)_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$`)
	n := 0
	states := map[string]int{}
	for _, o := range objs {
		if o.Kind != KindInsight {
			if strings.Contains(o.Key, "CloudTrail-Insight") {
				t.Fatalf("non-insight object under CloudTrail-Insight: %s", o.Key)
			}
			continue
		}
		n++
		if m := re.FindStringSubmatch(o.Key); m == nil || m[1] != m[3] || m[2] != m[4] {
			t.Fatalf("insight key %q", o.Key)
		}
		for _, raw := range o.records {
			var r struct {
				EventType, EventCategory string
				InsightDetails           struct{ State string }
			}
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatal(err)
			}
			if r.EventType != "AwsCloudTrailInsight" || r.EventCategory != "Insight" {
				t.Fatalf("insight record %s", raw)
			}
			states[r.InsightDetails.State]++
		}
	}
	if n == 0 || n != st.InsightObjects || states["Start"] == 0 || states["Start"] != states["End"] {
		t.Fatalf("%d insight objects (Stats %d), states %v", n, st.InsightObjects, states)
	}
}

func TestDigestObjects(t *testing.T) {
	cfg := smallConfig()
	cfg.Digest = true
	cfg.Prefix = "ct"
	objs, st := collect(t, cfg)
	re := regexp.MustCompile(`^ct/AWSLogs/o-[a-z0-9]+/(\d{12})/CloudTrail-Digest/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/(\d{12})_CloudTrail-Digest_([a-z0-9-]+)_[a-z-]+_us-east-1_(\d{8})T\d{6}Z\.json\.gz$`)
	logHash := map[string]string{}
	listed := map[string]int{}
	type digest struct {
		AwsAccountID            string  `json:"awsAccountId"`
		DigestEndTime           string  `json:"digestEndTime"`
		DigestS3Object          string  `json:"digestS3Object"`
		PreviousDigestS3Object  *string `json:"previousDigestS3Object"`
		PreviousDigestHashValue *string `json:"previousDigestHashValue"`
		LogFiles                []struct {
			S3Object  string `json:"s3Object"`
			HashValue string `json:"hashValue"`
		} `json:"logFiles"`
	}
	prevHash := map[string]string{} // digest key -> sha256 of its JSON
	nd := 0
	for _, o := range objs {
		switch o.Kind {
		case KindLog:
			s := sha256.Sum256(o.raw)
			logHash[o.Key] = hex.EncodeToString(s[:])
		case KindDigest:
			nd++
			m := re.FindStringSubmatch(o.Key)
			if m == nil || m[1] != m[6] || m[2] != m[7] || m[3]+m[4]+m[5] != m[8] {
				t.Fatalf("digest key %q", o.Key)
			}
			var d digest
			if err := json.Unmarshal(o.raw, &d); err != nil {
				t.Fatal(err)
			}
			if d.DigestS3Object != o.Key || d.AwsAccountID != m[1] {
				t.Fatalf("digest %s names itself %s", o.Key, d.DigestS3Object)
			}
			if d.PreviousDigestS3Object != nil {
				want, ok := prevHash[*d.PreviousDigestS3Object]
				if !ok || d.PreviousDigestHashValue == nil || *d.PreviousDigestHashValue != want {
					t.Fatalf("digest %s: broken chain", o.Key)
				}
			}
			s := sha256.Sum256(o.raw)
			prevHash[o.Key] = hex.EncodeToString(s[:])
			for _, lf := range d.LogFiles {
				if logHash[lf.S3Object] != lf.HashValue {
					t.Fatalf("digest %s: log %s hash %s, want %q (or listed before delivery)", o.Key, lf.S3Object, lf.HashValue, logHash[lf.S3Object])
				}
				listed[lf.S3Object]++
			}
		}
	}
	if nd == 0 || nd != st.DigestObjects {
		t.Fatalf("%d digests, Stats %d", nd, st.DigestObjects)
	}
	for k := range logHash {
		if listed[k] != 1 {
			t.Fatalf("log file %s listed %d times in digests", k, listed[k])
		}
	}
}

func TestWriteDir(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Events = 800
	cfg.Prefix = "trail"
	cfg.Digest = true
	dir := t.TempDir()
	st, err := WriteDir(context.Background(), cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	if _, err := Generate(context.Background(), cfg, func(o Object) error {
		want[o.Key] = o.Data
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	n := 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if w, ok := want[filepath.ToSlash(rel)]; !ok || !bytes.Equal(w, data) {
			return fmt.Errorf("unexpected file or content: %s", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != st.Objects || n != len(want) {
		t.Fatalf("%d files, Stats.Objects %d, %d objects", n, st.Objects, len(want))
	}
}

func TestEmitErrorAndCancel(t *testing.T) {
	cfg := smallConfig()
	cfg.Events = 20000
	boom := errors.New("boom")
	calls := 0
	_, err := Generate(context.Background(), cfg, func(Object) error {
		calls++
		if calls == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || calls != 3 {
		t.Fatalf("err %v after %d calls", err, calls)
	}

	ctx, cancel := context.WithCancel(context.Background())
	calls = 0
	_, err = Generate(ctx, cfg, func(Object) error {
		calls++
		if calls == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v after cancel", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Events: -1},
		{Events: 10, Regions: []string{"us-east-1", "bad/region"}},
		{Events: 10, DuplicateRate: 0.9},
		{Events: 10, OrgID: "o-abc/def"},
	} {
		if _, err := Generate(context.Background(), cfg, func(Object) error { return nil }); err == nil {
			t.Errorf("config %+v: no error", cfg)
		}
	}
	// Zero values take defaults.
	st, err := Generate(context.Background(), Config{Events: 50}, func(Object) error { return nil })
	if err != nil || st.Events != 50 || !st.Start.After(DefaultStart.Add(-time.Second)) {
		t.Fatalf("zero config: %+v %v", st, err)
	}
	// Negative rates disable duplicates and late deliveries.
	cfg := smallConfig()
	cfg.DuplicateRate, cfg.LateRate = -1, -1
	st, err = Generate(context.Background(), cfg, func(Object) error { return nil })
	if err != nil || st.Duplicates != 0 || st.Late != 0 {
		t.Fatalf("disabled rates: %+v %v", st, err)
	}
}

func TestAppendStrMatchesEncodingJSON(t *testing.T) {
	inputs := []string{"", "plain", `q"uote`, `back\slash`, "nl\ncr\rtab\tbs\bff\f", "\x00\x01\x1f\x7f",
		"esc \u001b[0m", "héllo wörld 東京 📦", "bad \xff utf8 \xc3", "sep \u2028 \u2029", "<html>&amp;"}
	g := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		b := make([]byte, g.IntN(20))
		for i := range b {
			b[i] = byte(g.IntN(256))
		}
		inputs = append(inputs, string(b))
	}
	for _, s := range inputs {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(buf.String(), "\n")
		if got := string(appendStr(nil, s)); got != want {
			t.Errorf("appendStr(%q) = %s, want %s", s, got, want)
		}
		if got := string(appendStr(nil, []byte(s))); got != want {
			t.Errorf("appendStr([]byte %q) = %s, want %s", s, got, want)
		}
	}
}

func TestTimeFormatting(t *testing.T) {
	g := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		sec := g.Int64N(4102444800) // 1970 .. 2100
		tm := time.Unix(sec, 0).UTC()
		if got, want := string(appendTime(nil, sec)), tm.Format("2006-01-02T15:04:05Z"); got != want {
			t.Fatalf("appendTime(%d) = %s, want %s", sec, got, want)
		}
		if got, want := string(appendJavaDate(nil, sec)), `"`+tm.Format("Jan 2, 2006, 3:04:05 PM")+`"`; got != want {
			t.Fatalf("appendJavaDate(%d) = %s, want %s", sec, got, want)
		}
		if got, want := string(appendKeyTime(nil, sec, true)), tm.Format("20060102T150405Z"); got != want {
			t.Fatalf("appendKeyTime(%d) = %s, want %s", sec, got, want)
		}
	}
}

// BenchmarkGenerate measures generation including gzip, with the emitted
// objects discarded.
func BenchmarkGenerate(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Events = 100_000
	var st Stats
	for b.Loop() {
		var err error
		st, err = Generate(context.Background(), cfg, func(Object) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(st.RawBytes)
	b.ReportMetric(float64(cfg.Events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(st.LogRawBytes)/float64(st.Events), "B/record")
	b.ReportMetric(float64(st.RawBytes)/float64(st.GzipBytes), "ratio")
}
