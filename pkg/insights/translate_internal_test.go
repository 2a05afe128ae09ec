package insights

import (
	"net/netip"
	"regexp"
	"testing"
)

// The address regexes accept exactly what net/netip parses (DuckDB runs
// RE2, as Go does).
func TestTranslate_AddressRegexes(t *testing.T) {
	v4 := regexp.MustCompile(`^(?:` + ipv4Re + `)$`)
	v6 := regexp.MustCompile(`^(?:` + ipv6Re + `)$`)
	for _, s := range []string{
		"203.0.113.7", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1.2.3.04", " 1.2.3.4",
		"::", "::1", "1::", "2001:db8::8a2e:370:7334", "2001:0db8:0000:0000:0000:ff00:0042:8329", "::ffff:192.0.2.1",
		"fe80::1%eth0", "fe80::1%", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1::2::3", ":::", "12345::", "1:2:3:4:5:6:1.2.3.4",
		"1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4", "g::1", "s3.amazonaws.com", "", "AWS Internal", "::ffff:1.2.3.04",
	} {
		a, err := netip.ParseAddr(s)
		if got, want := v4.MatchString(s), err == nil && a.Is4(); got != want {
			t.Errorf("IPv4 %q: regex %v, netip %v", s, got, want)
		}
		if got, want := v6.MatchString(s), err == nil && a.Is6(); got != want {
			t.Errorf("IPv6 %q: regex %v, netip %v", s, got, want)
		}
	}
}
