package insights

import "testing"

func TestPushdown(t *testing.T) {
	f := func(q, want string) {
		t.Helper()
		p, err := Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		n := pushdown(p)
		if got := n.String(); got != want {
			t.Errorf("pushdown(%s) = %s, want %s", q, got, want)
		}
	}
	f(`filter eventName = "ConsoleLogin"`, `{ $.eventName = "ConsoleLogin" }`)
	f(`filter "ConsoleLogin" = eventName and awsRegion = 'us-east-1'`, `{ $.eventName = "ConsoleLogin" && $.awsRegion = "us-east-1" }`)
	f(`filter eventName in ["A", "B"] or errorCode like "Denied"`, `{ $.eventName = "A" || $.eventName = "B" || $.errorCode = "*Denied*" }`)
	f(`filter userIdentity.type = "Root" and x != "y"`, `{ $.userIdentity.type = "Root" }`)
	f(`{ $.a = 1 } | filter eventName = "X" | fields b | filter c = "d" | { $.e = "f" } | stats count(*) as g | filter g > 1`,
		`{ $.a = 1 && $.eventName = "X" && $.e = "f" }`)
	f(`filter eventName = "X" | limit 5 | filter awsRegion = "r"`, `{ $.eventName = "X" }`)
	// Not pushed: numeric-looking strings, !=, not, regexes, wildcards,
	// computed names, paths Insights resolves differently, or-with-unpushable.
	for _, q := range []string{
		`filter accountId = "111122223333"`,
		`filter eventVersion = "1.10"`,
		`filter errorCode != "AccessDenied"`,
		`filter not eventName = "X"`,
		`filter eventName =~ /X/`,
		`filter eventName like /X/`,
		`filter eventName like "*"`,
		`filter eventName like "1.5"`,
		`filter eventName not in ["A"]`,
		`filter eventName in ["A", 1]`,
		`filter requestParameters.bucketName = "b"`,
		`filter resources.0.ARN = "a"`,
		`filter @logStream = "a"`,
		"filter `event.name` = \"a\"",
		`filter eventName = "A" or ispresent(errorCode)`,
		`filter eventName = awsRegion`,
		`fields x as eventName | filter eventName = "X"`,
		`stats count(*) as n by eventName | filter eventName = "X"`,
	} {
		f(q, `" "`)
	}
}
