package gen

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
)

// TestLineages checks that every key a lineage scenario issues is used by
// later events of the same session, that the records count towards
// Events, and that cross-account calls have both copies.
func TestLineages(t *testing.T) {
	cfg := smallConfig()
	cfg.Lineages = 8
	objs, st := collect(t, cfg)
	if st.Events != cfg.Events {
		t.Fatalf("Stats.Events %d, want %d", st.Events, cfg.Events)
	}
	type rec struct {
		EventName, EventTime, EventID, SharedEventID, SourceIPAddress, UserAgent string
		UserIdentity                                                             struct {
			Type, AccessKeyID, InvokedBy string
			SessionContext               struct{ Attributes struct{ CreationDate string } }
		}
		ResponseElements json.RawMessage
	}
	issued := map[string]string{} // key -> issuing eventTime
	names := map[string]int{}
	used := map[string][]rec{}
	shared := map[string]int{}
	n := 0
	for _, o := range objs {
		for _, raw := range o.records {
			n++
			var r rec
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatal(err)
			}
			var resp struct {
				Credentials struct{ AccessKeyID string }
				AccessKey   struct{ AccessKeyID string }
			}
			json.Unmarshal(r.ResponseElements, &resp)
			// Lineage keys: STS credentials with the generator's placeholder
			// token, and keys created by CreateAccessKey.
			k := resp.Credentials.AccessKeyID + resp.AccessKey.AccessKeyID
			if k != "" && (strings.Contains(string(raw), `"sessionToken":"<redacted>"`) || resp.AccessKey.AccessKeyID != "") {
				issued[k] = r.EventTime
				names[r.EventName]++
				if r.SharedEventID != "" {
					shared[r.SharedEventID]++
				}
			}
			if k := r.UserIdentity.AccessKeyID; k != "" {
				used[k] = append(used[k], r)
			}
			// What looks like an address must be one (service names are not).
			if ip := r.SourceIPAddress; strings.Trim(ip, "0123456789.:") == "" {
				if _, err := netip.ParseAddr(ip); err != nil {
					t.Errorf("record %s: sourceIPAddress %q: %v", r.EventID, ip, err)
				}
			}
		}
	}
	if n != cfg.Events {
		t.Fatalf("%d records, want %d", n, cfg.Events)
	}
	linked := 0
	for k, at := range issued {
		for _, u := range used[k] {
			if c := u.UserIdentity.SessionContext.Attributes.CreationDate; c == at || (c == "" && u.EventTime >= at) {
				linked++
				break
			}
		}
	}
	// 2 chains (4 keys each), 2 federations (3), 2 Lambda and 2 ECS keys.
	if linked < 18 {
		t.Errorf("%d issued keys used by their session, want at least 18 (issuers %v)", linked, names)
	}
	for _, name := range []string{"CreateAccessKey", "AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "GetSessionToken", "GetFederationToken"} {
		if names[name] == 0 {
			t.Errorf("no %s issuing a used key", name)
		}
	}
	both := 0
	for _, c := range shared {
		if c == 2 {
			both++
		}
	}
	if both < 4 {
		t.Errorf("%d cross-account calls with both copies, want at least 4", both)
	}

	small := cfg
	small.Events = 10
	if _, err := Generate(t.Context(), small, func(Object) error { return nil }); err == nil || !strings.Contains(err.Error(), "no room") {
		t.Errorf("Events below the lineage records: error %v", err)
	}
}

func TestObjectRecords(t *testing.T) {
	cfg := smallConfig()
	cfg.Digest = true
	objs, _ := collect(t, cfg)
	for _, o := range objs {
		recs, err := o.Object.Records()
		if o.Kind == KindDigest {
			if err == nil {
				t.Errorf("%s: digest decoded as records", o.Key)
			}
			continue
		}
		if err != nil || len(recs) != len(o.records) {
			t.Fatalf("%s: %d records, %v; want %d", o.Key, len(recs), err, len(o.records))
		}
	}
	if _, err := (Object{Key: "k", Data: []byte("not gzip")}).Records(); err == nil || !strings.Contains(err.Error(), "k") {
		t.Errorf("bad object: error %v", err)
	}
}
