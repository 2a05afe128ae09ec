package query

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// langEqual compares two trees; compiled regexes compare by their source.
func langEqual(a, b Node) bool {
	switch a := a.(type) {
	case *MatchAll:
		_, ok := b.(*MatchAll)
		return ok
	case *And:
		b, ok := b.(*And)
		return ok && langEqualList(a.Terms, b.Terms)
	case *Or:
		b, ok := b.(*Or)
		return ok && langEqualList(a.Terms, b.Terms)
	case *Compare:
		b, ok := b.(*Compare)
		if !ok || a.Op != b.Op || !reflect.DeepEqual(a.Sel, b.Sel) {
			return false
		}
		av, bv := a.Val, b.Val
		if (av.Re == nil) != (bv.Re == nil) || av.Re != nil && av.Re.String() != bv.Re.String() {
			return false
		}
		av.Re, bv.Re = nil, nil
		return av == bv
	case *Terms:
		b, ok := b.(*Terms)
		return ok && langEqualTerms(a.Must, b.Must) && langEqualTerms(a.Exclude, b.Exclude) && langEqualTerms(a.Any, b.Any)
	case nil:
		return b == nil
	}
	return false
}

func langEqualList(a, b []Node) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !langEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

func langEqualTerms(a, b []Term) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Text != y.Text || x.Quoted != y.Quoted || (x.Re == nil) != (y.Re == nil) || x.Re != nil && x.Re.String() != y.Re.String() {
			return false
		}
	}
	return true
}

// langDump renders a tree with every field, for failure messages.
func langDump(n Node) string {
	switch n := n.(type) {
	case *And:
		parts := make([]string, len(n.Terms))
		for i, t := range n.Terms {
			parts[i] = langDump(t)
		}
		return "And(" + strings.Join(parts, ", ") + ")"
	case *Or:
		parts := make([]string, len(n.Terms))
		for i, t := range n.Terms {
			parts[i] = langDump(t)
		}
		return "Or(" + strings.Join(parts, ", ") + ")"
	case *Compare:
		v := n.Val
		v.Re = nil
		return fmt.Sprintf("Compare(%+v %v %+v)", n.Sel.Steps, n.Op, v)
	case *Terms:
		return fmt.Sprintf("Terms(must=%+v exclude=%+v any=%+v)", n.Must, n.Exclude, n.Any)
	}
	return fmt.Sprintf("%#v", n)
}

// checkRoundTrip parses the printed form of p and requires an equal tree and
// a stable printed form.
func checkRoundTrip(t testing.TB, in string, p *Pattern) {
	t.Helper()
	out := p.String()
	p2, err := Parse(out, ParseOptions{})
	if err != nil {
		t.Fatalf("round trip of %q: printed %q does not parse: %v", in, out, err)
	}
	if !langEqual(p.Root, p2.Root) {
		t.Fatalf("round trip of %q via %q:\n first  %s\n second %s", in, out, langDump(p.Root), langDump(p2.Root))
	}
	if out2 := p2.String(); out2 != out {
		t.Fatalf("printing is not stable for %q: %q then %q", in, out, out2)
	}
}

// parseSuccessCases lists patterns that parse, with their canonical form.
func parseSuccessCases(f func(in, want string)) {
	// Match-all.
	f(``, `" "`)
	f(`   `, `" "`)
	f(`""`, `" "`)
	f(`" "`, `" "`)
	f(`  "   "  `, `" "`)

	// JSON: comparisons and values.
	f(`{ $.eventType = "UpdateTrail" }`, `{ $.eventType = "UpdateTrail" }`)
	f(`{$.eventType="UpdateTrail"}`, `{ $.eventType = "UpdateTrail" }`)
	f(`{$.foo = bar}`, `{ $.foo = bar }`)
	f(`{ $.sourceIPAddress != 123.123.* }`, `{ $.sourceIPAddress != 123.123.* }`)
	f(`{ $.eventSource = kms.amazonaws.com }`, `{ $.eventSource = kms.amazonaws.com }`)
	f(`{ $.arn = arn:aws:iam::123456789012:user/alice@example.com+x }`, `{ $.arn = arn:aws:iam::123456789012:user/alice@example.com+x }`)
	f(`{ $.eventName = *Event }`, `{ $.eventName = *Event }`)
	f(`{ $.eventName = Event* }`, `{ $.eventName = Event* }`)
	f(`{ $.eventName = *vent* }`, `{ $.eventName = *vent* }`)
	f(`{ $.eventName = Ev*ent }`, `{ $.eventName = Ev*ent }`)
	f(`{ $.eventName = "Ev*ent" }`, `{ $.eventName = "Ev*ent" }`)
	f(`{ $.a = ** }`, `{ $.a = * }`)
	f(`{ $.a = **x }`, `{ $.a = **x }`)
	f(`{ $.a = "\*x" }`, `{ $.a = "\*x" }`)
	f(`{ $.a = "x\*" }`, `{ $.a = "x\*" }`)
	f(`{ $.a = "\*" }`, `{ $.a = "\*" }`)
	f(`{ $.latency = * }`, `{ $.latency = * }`)
	f(`{ $.latency = "*" }`, `{ $.latency = "*" }`)
	f(`{ $.a = "" }`, `{ $.a = "" }`)
	f(`{ $.a = "say \"hi\" \\ \/ \n\t\r \u00e9 \ud83d\ude00" }`, "{ $.a = \"say \\\"hi\\\" \\\\ / \\n\\t\\r é 😀\" }")
	f(`{ $.a = "two words" }`, `{ $.a = "two words" }`)
	f(`{ $.a = "*UnauthorizedOperation" }`, `{ $.a = "*UnauthorizedOperation" }`)
	f(`{ $.a = %Trail% }`, `{ $.a = %Trail% }`)
	f(`{ $.a != %^Get% }`, `{ $.a != %^Get% }`)
	f(`{ $.a = % spaces ok % }`, `{ $.a = % spaces ok % }`)
	f(`{ $.a = -5 }`, `{ $.a = -5 }`)
	f(`{ $.a = - }`, `{ $.a = - }`)

	// Numbers with every operator.
	f(`{ $.a = 400 }`, `{ $.a = 400 }`)
	f(`{ $.a != 400 }`, `{ $.a != 400 }`)
	f(`{ $.a < 50 }`, `{ $.a < 50 }`)
	f(`{ $.a > +1000 }`, `{ $.a > +1000 }`)
	f(`{ $.a <= 55.5 }`, `{ $.a <= 55.5 }`)
	f(`{ $.a >= 10e3 }`, `{ $.a >= 10e3 }`)
	f(`{ $.a>=10e-3 }`, `{ $.a >= 10e-3 }`)
	f(`{ $.a<1e+3 }`, `{ $.a < 1e+3 }`)
	f(`{ $.a>-1E-3 }`, `{ $.a > -1E-3 }`)
	f(`{ $.a = .5 }`, `{ $.a = .5 }`)
	f(`{ $.a = 5. }`, `{ $.a = 5. }`)
	f(`{ $.a = 007 }`, `{ $.a = 007 }`)
	f(`{ $.a = 1.2.3 }`, `{ $.a = 1.2.3 }`)
	f(`{ $.a = "400" }`, `{ $.a = "400" }`)

	// IS / NOT EXISTS, any case.
	f(`{ $.a IS NULL }`, `{ $.a IS NULL }`)
	f(`{ $.a is null }`, `{ $.a IS NULL }`)
	f(`{ $.a Is True }`, `{ $.a IS TRUE }`)
	f(`{ $.a IS false }`, `{ $.a IS FALSE }`)
	f(`{ $.a NOT EXISTS }`, `{ $.a NOT EXISTS }`)
	f(`{ $.a not   exists }`, `{ $.a NOT EXISTS }`)
	f("{ $.a\tIS\nNULL }", `{ $.a IS NULL }`)
	f(`{($.a IS NULL)&&($.b NOT EXISTS)}`, `{ $.a IS NULL && $.b NOT EXISTS }`)

	// Selectors.
	f(`{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = "true" }`, `{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = "true" }`)
	f(`{ $.arrayKey[0] = "value" }`, `{ $.arrayKey[0] = "value" }`)
	f(`{ $.coordinates[0][1] = 1 }`, `{ $.coordinates[0][1] = 1 }`)
	f(`{ $.objectList[1].id = 2 }`, `{ $.objectList[1].id = 2 }`)
	f(`{ $.['cluster.name'] = "c" }`, `{ $.['cluster.name'] = "c" }`)
	f(`{ $['cluster.name'] = "c" }`, `{ $.['cluster.name'] = "c" }`)
	f(`{ $.['plain'] = "c" }`, `{ $.plain = "c" }`)
	f(`{ $.a['b.c'].d = 1 }`, `{ $.a['b.c'].d = 1 }`)
	f(`{ $.a.['b.c'] = 1 }`, `{ $.a['b.c'] = 1 }`)
	f(`{ $.['it\'s'] = 1 }`, `{ $.['it\'s'] = 1 }`)
	f(`{ $.['back\\slash'] = 1 }`, `{ $.['back\\slash'] = 1 }`)
	f(`{ $.[''] = 1 }`, `{ $.[''] = 1 }`)
	f(`{ $.x-y_z.0 = 1 }`, `{ $.x-y_z.0 = 1 }`)
	f(`{ $.arrayKey[*] = %val.{2}% }`, `{ $.arrayKey[*] = %val.{2}% }`)
	f(`{ $.* = %111\.111\.111\.1[0-9]{1,2}% }`, `{ $.* = %111\.111\.111\.1[0-9]{1,2}% }`)
	f(`{ $.a.* = 1 }`, `{ $.a.* = 1 }`)
	f(`{ $.a[*].b = 1 }`, `{ $.a[*].b = 1 }`)
	f(`{ $.a[*] = 1 && $.b.* = 2 && $.c[*] = 3 }`, `{ $.a[*] = 1 && $.b.* = 2 && $.c[*] = 3 }`)
	f(`{ $.a[007] = 1 }`, `{ $.a[7] = 1 }`)

	// Boolean structure, precedence, flattening.
	f(`{ $.a = 1 && $.b = 2 || $.c = 3 }`, `{ $.a = 1 && $.b = 2 || $.c = 3 }`)
	f(`{ $.a = 1 || $.b = 2 && $.c = 3 }`, `{ $.a = 1 || $.b = 2 && $.c = 3 }`)
	f(`{ ($.a = 1 || $.b = 2) && $.c = 3 }`, `{ ($.a = 1 || $.b = 2) && $.c = 3 }`)
	f(`{ $.a = "x" && ($.b = 1 || $.c NOT EXISTS) }`, `{ $.a = "x" && ($.b = 1 || $.c NOT EXISTS) }`)
	f(`{ (($.a = 1)) }`, `{ $.a = 1 }`)
	f(`{ ($.a = 1 && $.b = 2) && ($.c = 3 && $.d = 4) }`, `{ $.a = 1 && $.b = 2 && $.c = 3 && $.d = 4 }`)
	f(`{ ($.a = 1 || $.b = 2) || ($.c = 3 || ($.d = 4)) }`, `{ $.a = 1 || $.b = 2 || $.c = 3 || $.d = 4 }`)
	f(`{ ($.a = 1 || $.b = 2) && ($.c = 3 || $.d = 4) }`, `{ ($.a = 1 || $.b = 2) && ($.c = 3 || $.d = 4) }`)
	f(`{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)}`, `{ $.eventName = DeleteGroupPolicy || $.eventName = DeleteRolePolicy }`)
	f("{\n  $.a = 1\n  &&\n  $.b = 2\n}", `{ $.a = 1 && $.b = 2 }`)
	f(`{ $.user.id = 2 && $.users[0].email = "nonmatch" }`, `{ $.user.id = 2 && $.users[0].email = "nonmatch" }`)

	// Term patterns.
	f(`ERROR`, `ERROR`)
	f(`ERROR ARGUMENTS`, `ERROR ARGUMENTS`)
	f(`ERROR -ARGUMENTS`, `ERROR -ARGUMENTS`)
	f(`-ARGUMENTS ERROR`, `ERROR -ARGUMENTS`)
	f(`?ERROR ?ARGUMENTS`, `?ERROR ?ARGUMENTS`)
	f(`?ERROR ?ARGUMENTS REQUEST`, `REQUEST`)
	f(`"INTERNAL SERVER ERROR"`, `"INTERNAL SERVER ERROR"`)
	f(`"ERROR][grpc"`, `"ERROR][grpc"`)
	f(`%AUTHORIZED%`, `%AUTHORIZED%`)
	f(`%^shutting down% -x`, `%^shutting down% -x`)
	f(`-"a phrase" ?x`, `-"a phrase"`)
	f(`ConsoleLogin`, `ConsoleLogin`)
	f(`"\"eventName\":\"ConsoleLogin\""`, `"\"eventName\":\"ConsoleLogin\""`)
	f(`"say \"hi\""`, `"say \"hi\""`)
	f(`a%b 100% (x) it's`, `a%b 100% (x) it's`)
	f(`--x -?y`, `--x -?y`)
	f(`"" ERROR`, `"" ERROR`)
	f(`"" ?x`, `" "`)
	f(`"  " ?x ?y`, `" "`)
	f(`"" -x`, `"" -x`)

	// Shorthand.
	f(`eventName=GetObject`, `{ $.eventName = GetObject }`)
	f(`eventname=GetObject and useridentity.username=example`, `{ $.eventName = GetObject && $.userIdentity.userName = example }`)
	f(`eventName=GetObject userIdentity.userName=example`, `{ $.eventName = GetObject && $.userIdentity.userName = example }`)
	f(`eventName = GetObject`, `{ $.eventName = GetObject }`)
	f(`requestParameters.bucketName=x`, `{ $.requestParameters.bucketName = x }`)
	f(`requestparameters.bucketName=x`, `{ $.requestParameters.bucketName = x }`)
	f(`errorCode=AccessDenied*`, `{ $.errorCode = AccessDenied* }`)
	f(`errorCode=*UnauthorizedOperation`, `{ $.errorCode = *UnauthorizedOperation }`)
	f(`eventName=GetObject && (eventSource=s3.amazonaws.com || readOnly=false)`, `{ $.eventName = GetObject && ($.eventSource = s3.amazonaws.com || $.readOnly = false) }`)
	f(`eventName=GetObject or eventName=PutObject`, `{ $.eventName = GetObject || $.eventName = PutObject }`)
	f(`eventName=GetObject OR eventName=PutObject AND errorCode=AccessDenied`, `{ $.eventName = GetObject || $.eventName = PutObject && $.errorCode = AccessDenied }`)
	f(`(eventName=GetObject or eventName=PutObject) errorCode=AccessDenied`, `{ ($.eventName = GetObject || $.eventName = PutObject) && $.errorCode = AccessDenied }`)
	f(`userAgent="aws-cli/2.0 Python/3.8"`, `{ $.userAgent = "aws-cli/2.0 Python/3.8" }`)
	f(`eventName!=GetObject`, `{ $.eventName != GetObject }`)
	f(`eventName=%^Get%`, `{ $.eventName = %^Get% }`)
	f(`responseElements.count>=10 responseElements.count<20`, `{ $.responseElements.count >= 10 && $.responseElements.count < 20 }`)
	f(`readonly=true`, `{ $.readOnly = true }`)
	f(`recipientAccountId=123456789012`, `{ $.recipientAccountId = 123456789012 }`)
	f(`resources.arn=arn:aws:s3:::bucket`, `{ $.resources[*].ARN = arn:aws:s3:::bucket }`)
	f(`resources[0].ARN=x`, `{ $.resources[0].ARN = x }`)
	f(`requestParameters.items[0].name=x`, `{ $.requestParameters.items[0].name = x }`)
	f(`requestParameters.*=x`, `{ $.requestParameters.* = x }`)
	f(`useridentity.sessioncontext.sessionissuer.username=Admin`, `{ $.userIdentity.sessionContext.sessionIssuer.userName = Admin }`)
	f(`userIdentity.sessionContext.attributes.mfaAuthenticated="false"`, `{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = "false" }`)
}

func TestParse_Success(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		p, err := Parse(in, ParseOptions{})
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			return
		}
		if got := p.String(); got != want {
			t.Errorf("Parse(%q).String() = %q, want %q", in, got, want)
		}
		checkRoundTrip(t, in, p)
	}
	parseSuccessCases(f)
}

// parseFailureCases lists patterns that do not parse, with the error.
func parseFailureCases(f func(in, want string)) {
	// JSON structure.
	f(`{ $.eventName = }`, `invalid pattern at column 17: expected a value (string, number, *, or %regex%), found '}'`)
	f(`{`, `invalid pattern at column 2: expected a selector ($.field) or '(', found end of pattern`)
	f(`{}`, `invalid pattern at column 2: expected a selector ($.field) or '(', found '}'`)
	f(`{ $.a = 1`, `invalid pattern at column 10: expected '&&', '||' or '}', found end of pattern`)
	f(`{ $.a = 1 } x`, `invalid pattern at column 13: unexpected text after the closing '}': 'x'`)
	f(`{ $.a = 1 $.b = 2 }`, `invalid pattern at column 11: expected '&&', '||' or '}', found '$.b'`)
	f(`{ $.a = 1 & $.b = 2 }`, `invalid pattern at column 11: expected '&&', '||' or '}', found '&'`)
	f(`{ $.a = 1 and $.b = 2 }`, `invalid pattern at column 11: expected '&&', '||' or '}', found 'and'`)
	f(`{ ($.a = 1 }`, `invalid pattern at column 12: expected '&&', '||' or ')', found '}' (the '(' at column 3 is not closed)`)
	f(`{ $.a = 1) }`, `invalid pattern at column 10: unexpected ')' without a matching '('`)
	f(`{ $.a = 1 && }`, `invalid pattern at column 14: expected a selector ($.field) or '(', found '}'`)
	f(`{ || $.a = 1 }`, `invalid pattern at column 3: expected a selector ($.field) or '(', found '||'`)
	f(`{ a = 1 }`, `invalid pattern at column 3: expected a selector ($.field) or '(', found 'a'`)
	f(`{ () }`, `invalid pattern at column 4: expected a selector ($.field) or '(', found ')'`)

	// Selectors.
	f(`{ $ = 1 }`, `invalid pattern at column 4: expected '.' after '$' (selectors look like $.field), found a space`)
	f(`{ $. = 1 }`, `invalid pattern at column 5: expected a field name, * or ['name'] after '.', found a space`)
	f(`{ $.a. = 1 }`, `invalid pattern at column 7: expected a field name, * or ['name'] after '.', found a space`)
	f(`{ $.a[ = 1 }`, `invalid pattern at column 7: expected an index, * or 'name' after '[', found a space`)
	f(`{ $.a[1 = 1 }`, `invalid pattern at column 8: expected ']', found a space`)
	f(`{ $.a[-1] = 1 }`, `invalid pattern at column 7: negative array index '-1' is not supported`)
	f(`{ $.a[99999999999] = 1 }`, `invalid pattern at column 7: array index 99999999999 is too large`)
	f(`{ $.['a = 1 }`, `invalid pattern at column 6: unterminated name (missing closing "'")`)
	f(`{ $.a[*][*] = 1 }`, `invalid pattern at column 9: a selector may contain at most one wildcard (.* or [*])`)
	f(`{ $.*.* = 1 }`, `invalid pattern at column 7: a selector may contain at most one wildcard (.* or [*])`)
	f(`{ $.a[*] = 1 && $.b[*] = 1 && $.c.* = 1 && $.d[*] = 1 }`, `invalid pattern at column 44: a pattern may contain at most 3 wildcard selectors`)
	f(`{ $.a@b = 1 }`, `invalid pattern at column 6: expected an operator (=, !=, <, >, <=, >=, IS NULL, IS TRUE, IS FALSE or NOT EXISTS), found '@b'; use ['name'] for field names with other characters`)
	f(`{ $.a b = 1 }`, `invalid pattern at column 7: expected an operator (=, !=, <, >, <=, >=, IS NULL, IS TRUE, IS FALSE or NOT EXISTS), found 'b'`)

	// Operators and keywords.
	f(`{ $.a }`, `invalid pattern at column 7: expected an operator (=, !=, <, >, <=, >=, IS NULL, IS TRUE, IS FALSE or NOT EXISTS), found '}'`)
	f(`{ $.a == 1 }`, `invalid pattern at column 8: expected a value (string, number, *, or %regex%), found '='`)
	f(`{ $.a IS NOT NULL }`, `invalid pattern at column 7: IS NOT is not supported; use NOT EXISTS for an absent field, or != to exclude a value`)
	f(`{ $.a IS }`, `invalid pattern at column 10: expected NULL, TRUE or FALSE after IS, found '}'`)
	f(`{ $.a IS NULLX }`, `invalid pattern at column 10: expected NULL, TRUE or FALSE after IS, found 'NULLX'`)
	f(`{ $.a NOT NULL }`, `invalid pattern at column 11: expected EXISTS after NOT, found 'NULL'`)
	f(`{ $.a EXISTS }`, `invalid pattern at column 7: EXISTS is not supported; use = * to require a field, or NOT EXISTS for its absence`)
	f(`{ $.a ~ 1 }`, `invalid pattern at column 7: expected an operator (=, !=, <, >, <=, >=, IS NULL, IS TRUE, IS FALSE or NOT EXISTS), found '~'`)

	// Values.
	f(`{ $.a = 'x' }`, `invalid pattern at column 9: single quotes are not supported around values; use double quotes`)
	f(`{ $.a = "x }`, `invalid pattern at column 9: unterminated string (missing closing '"')`)
	f(`{ $.a = "x\q" }`, `invalid pattern at column 11: invalid escape '\q' in string; valid escapes are \" \\ \* \n \t \r \uXXXX`)
	f(`{ $.a = "\u12" }`, `invalid pattern at column 10: invalid \u escape: want four hex digits`)
	f(`{ $.a = a!b }`, `invalid pattern at column 10: unexpected '!' in unquoted value "a"; put values with other characters in double quotes`)
	f(`{ $.a = a"b" }`, `invalid pattern at column 10: unexpected '"' in unquoted value "a"; put values with other characters in double quotes`)
	f(`{ $.a < x }`, `invalid pattern at column 9: expected a number after '<', found 'x'`)
	f(`{ $.a >= "5" }`, `invalid pattern at column 10: expected a number after '>=', found a quoted string (numbers are written without quotes)`)
	f(`{ $.a > %5% }`, `invalid pattern at column 9: expected a number after '>', found a regex`)
	f(`{ $.a < 1.2.3 }`, `invalid pattern at column 9: expected a number after '<', found '1.2.3'`)
	f(`{ $.a < }`, `invalid pattern at column 9: expected a number after '<', found '}'`)
	f(`{ $.a = 1e999 }`, `invalid pattern at column 9: number 1e999 is out of range`)
	f(`{ $.a = %abc }`, `invalid pattern at column 9: unterminated regex (missing closing '%')`)
	f(`{ $.a = %a% || $.b = %b% || $.c = %c% }`, `invalid pattern at column 35: a pattern may contain at most 2 regular expressions`)

	// Regex bodies.
	f(`{ $.a = %something!% }`, `invalid pattern at column 19: character '!' is not allowed in a filter-pattern regex; write it as \x21`)
	f(`{ $.a = %(a|b)% }`, `invalid pattern at column 10: parentheses (groups) are not supported in filter-pattern regexes; write a literal '(' as \x28`)
	f(`{ $.a = %% }`, `invalid pattern at column 10: empty regex`)
	f(`{ $.a = %*a% }`, `invalid pattern at column 10: nothing to repeat before '*' in regex; escape a literal '*' as \*`)
	f(`%a|%`, `invalid pattern at column 3: empty alternative in regex (nothing after '|')`)
	f(`%[a-%`, `invalid pattern at column 2: unterminated character class in regex (missing ']')`)

	// Term patterns.
	f(`ERROR "unterminated`, `invalid pattern at column 7: unterminated string (missing closing '"')`)
	f(`ERROR - x`, `invalid pattern at column 8: expected a term after '-', found a space`)
	f(`ERROR ?`, `invalid pattern at column 8: expected a term after '?', found end of pattern`)
	f(`"eventName":"ConsoleLogin"`, `invalid pattern at column 12: expected a space after the term, found ':'`)
	f(`"a"b`, `invalid pattern at column 4: expected a space after the term, found 'b'`)
	f(`a"b"`, `invalid pattern at column 2: unexpected '"' inside a term; put the whole term in double quotes`)
	f(`-a=b`, `invalid pattern at column 3: unexpected '=' in term "a=b": terms with '=', '<' or '>' must be in double quotes (field=value is shorthand, and the field name must start with a letter)`)
	f(`1=2`, `invalid pattern at column 2: unexpected '=' in term "1=2": terms with '=', '<' or '>' must be in double quotes (field=value is shorthand, and the field name must start with a letter)`)
	f(`x {y`, `invalid pattern at column 3: a term cannot start with '{' (a pattern starting with it is JSON or space-delimited); put the term in double quotes`)
	f(`-a [y`, `invalid pattern at column 4: a term cannot start with '[' (a pattern starting with it is JSON or space-delimited); put the term in double quotes`)
	f(`ERROR {x`, `invalid pattern at column 7: a term cannot start with '{' (a pattern starting with it is JSON or space-delimited); put the term in double quotes`)
	f(`$.eventName`, `invalid pattern at column 1: JSON selectors must be inside braces: { $.eventName ... }`)

	// Space-delimited.
	f(`[w1=ERROR, w2]`, `invalid pattern at column 1: space-delimited patterns ([field, ...]) do not apply to CloudTrail records, which are JSON; use a JSON pattern such as { $.eventName = "ConsoleLogin" }, a term pattern, or field=value shorthand`)
	f(`[w1`, `invalid pattern at column 1: unterminated space-delimited pattern (missing ']'); space-delimited patterns do not apply to CloudTrail records, which are JSON`)

	// Shorthand.
	f(`evenName=GetObject`, `invalid pattern at column 1: unknown field "evenName" (did you mean eventName?)`)
	f(`eventName=GetObject useridentity.usrname=x`, `invalid pattern at column 21: unknown field "useridentity.usrname" (did you mean userIdentity.userName, userIdentity.sessionContext.sessionIssuer.userName?)`)
	f(`userIdentity=x`, `invalid pattern at column 1: userIdentity is an object; compare one of its fields (type, principalId, arn, accountId, accessKeyId, userName, invokedBy, credentialId, identityProvider, onBehalfOf, sessionContext)`)
	f(`resources=x`, `invalid pattern at column 1: resources is an array of {ARN, accountId, type}; compare one of their fields, e.g. resources.ARN`)
	f(`eventName.x=1`, `invalid pattern at column 1: eventName is a string field and has no members; in "eventName.x"`)
	f(`eventName[0]=1`, `invalid pattern at column 1: eventName is a string field, not an array; in "eventName[0]"`)
	f(`eventName=`, `invalid pattern at column 11: expected a value (string, number, *, or %regex%), found end of pattern`)
	f(`eventName=a b`, `invalid pattern at column 14: expected a comparison operator (=, !=, <, >, <=, >=) after 'b', found end of pattern`)
	f(`eventName=a or`, `invalid pattern at column 15: expected a comparison (field=value) or '(', found end of pattern`)
	f(`eventName=a and or b=1`, `invalid pattern at column 17: expected a comparison (field=value) or '(', found 'or'`)
	f(`(eventName=a`, `invalid pattern at column 13: expected 'and', 'or' or ')', found end of pattern (the '(' at column 1 is not closed)`)
	f(`eventName=a)`, `invalid pattern at column 12: unexpected ')' without a matching '('`)
	f(`eventName=a "x"`, `invalid pattern at column 13: expected a comparison (field=value), 'and', 'or' or end of pattern, found '"'`)
	f(`eventName<GetObject`, `invalid pattern at column 11: expected a number after '<', found 'GetObject'`)
	f(`eventName=a,b`, `invalid pattern at column 12: unexpected ',' in unquoted value "a,b"; put values with other characters in double quotes`)
	f(`eventName="x`, `invalid pattern at column 11: unterminated string (missing closing '"')`)
	f(`eventName=%(%`, `invalid pattern at column 12: parentheses (groups) are not supported in filter-pattern regexes; write a literal '(' as \x28`)
	f(`resources[*].ARN=a resources.type=b resources.accountId=c resources.ARN=d`, `invalid pattern at column 59: a pattern may contain at most 3 wildcard selectors`)

	// Nesting.
	f("{ "+strings.Repeat("(", MaxNesting+1)+"$.a = 1"+strings.Repeat(")", MaxNesting+1)+" }", fmt.Sprintf("invalid pattern at column %d: parentheses nested more than %d deep", MaxNesting+3, MaxNesting))
	f("\xff", `invalid pattern at column 1: invalid UTF-8 in pattern`)
}

func TestParse_Failure(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		p, err := Parse(in, ParseOptions{})
		if err == nil {
			t.Errorf("Parse(%q) = %q, want error %q", in, p.String(), want)
			return
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error %T, want *SyntaxError", in, err)
			return
		}
		if got := err.Error(); got != want {
			t.Errorf("Parse(%q) error\n got  %s\n want %s", in, got, want)
		}
		if se.Pos < 0 || se.Pos > len(in) {
			t.Errorf("Parse(%q): Pos %d out of range", in, se.Pos)
		}
		_ = se.Caret()
	}
	parseFailureCases(f)
}

func TestParse_Caret(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		_, err := Parse(in, ParseOptions{})
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("Parse(%q): %v, want a *SyntaxError", in, err)
		}
		if got := se.Caret(); got != want {
			t.Errorf("Caret for %q:\n%s\nwant\n%s", in, got, want)
		}
	}
	f(`{ $.eventName = }`, ""+
		"{ $.eventName = }\n"+
		"                ^ expected a value (string, number, *, or %regex%), found '}'")
	f("{ $.a = 1 &&\n\t$.b = }", ""+
		"\t$.b = }\n"+
		"\t      ^ expected a value (string, number, *, or %regex%), found '}'")
	f("{ $.a = 1 &&\r\n  $.b ~ 2 }", ""+
		"  $.b ~ 2 }\n"+
		"      ^ expected an operator (=, !=, <, >, <=, >=, IS NULL, IS TRUE, IS FALSE or NOT EXISTS), found '~'")
	f(`{ $.a = 1`, ""+
		"{ $.a = 1\n"+
		"         ^ expected '&&', '||' or '}', found end of pattern")
	f(`{ $.é = 1 }`, ""+
		"{ $.é = 1 }\n"+
		"    ^ expected a field name, * or ['name'] after '.', found 'é'")
	f(`{ $.a = "é\q" }`, ""+
		`{ $.a = "é\q" }`+"\n"+
		`          ^ invalid escape '\q' in string; valid escapes are \" \\ \* \n \t \r \uXXXX`)
	f("{ $.a = 1 }\n  junk", ""+
		"  junk\n"+
		"  ^ unexpected text after the closing '}': 'junk'")
	f(`eventName=GetObject userName=x`, ""+
		"eventName=GetObject userName=x\n"+
		"                    ^ unknown field \"userName\" (did you mean userIdentity.userName, userIdentity.sessionContext.sessionIssuer.userName?)")

	// Error() is one line even for multi-line patterns.
	_, err := Parse("{ $.a = 1 &&\n\t$.b = }", ParseOptions{})
	if got, want := err.Error(), "invalid pattern at line 2, column 8: expected a value (string, number, *, or %regex%), found '}'"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestParse_Kind(t *testing.T) {
	f := func(in string, want PatternKind) {
		t.Helper()
		p, err := Parse(in, ParseOptions{})
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if p.Kind != want {
			t.Errorf("Parse(%q).Kind = %v, want %v", in, p.Kind, want)
		}
		if p.Source != in {
			t.Errorf("Source = %q, want %q", p.Source, in)
		}
	}
	f(``, KindAll)
	f(` `, KindAll)
	f(`" "`, KindAll)
	f(`""`, KindAll)
	f(`  { $.a = 1 }`, KindJSON)
	f(`ERROR`, KindTerms)
	f(`"a=b"`, KindTerms)
	f(`%a=b%`, KindTerms)
	f(`eventName=x`, KindShorthand)
	f(`  eventName = x  `, KindShorthand)
	f(`(eventName=x)`, KindShorthand)
}

func TestParse_AST(t *testing.T) {
	// The exact trees for a few inputs, as the engine sees them.
	p, err := Parse(`{ $.a = "x*" && ($.b[2] >= -1.5e1 || $.c.* = %^a% || $.['d.e'] NOT EXISTS) }`, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	and, ok := p.Root.(*And)
	if !ok || len(and.Terms) != 2 {
		t.Fatalf("root %s", langDump(p.Root))
	}
	c := and.Terms[0].(*Compare)
	if want := (Value{Kind: ValString, Str: "x", Prefix: true, Quoted: true}); c.Val != want || c.Op != OpEq {
		t.Errorf("first comparison %+v", c)
	}
	or := and.Terms[1].(*Or)
	if len(or.Terms) != 3 {
		t.Fatalf("or %s", langDump(or))
	}
	c = or.Terms[0].(*Compare)
	if !reflect.DeepEqual(c.Sel.Steps, []Step{{Kind: StepField, Name: "b"}, {Kind: StepIndex, Index: 2}}) || c.Op != OpGe || c.Val.Kind != ValNumber || c.Val.Num != -15 || c.Val.Text != "-1.5e1" {
		t.Errorf("second comparison %s", langDump(c))
	}
	c = or.Terms[1].(*Compare)
	if !reflect.DeepEqual(c.Sel.Steps, []Step{{Kind: StepField, Name: "c"}, {Kind: StepAnyField}}) || c.Val.Kind != ValRegex || c.Val.Text != "^a" || c.Val.Re == nil || !c.Val.Re.MatchString("abc") {
		t.Errorf("third comparison %s", langDump(c))
	}
	c = or.Terms[2].(*Compare)
	if !reflect.DeepEqual(c.Sel.Steps, []Step{{Kind: StepField, Name: "d.e"}}) || c.Op != OpNotExists {
		t.Errorf("fourth comparison %s", langDump(c))
	}

	p, err = Parse(`?a ?"b c"`, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (&Terms{Any: []Term{{Text: "a"}, {Text: "b c", Quoted: true}}}); !langEqual(p.Root, want) {
		t.Errorf("terms %s", langDump(p.Root))
	}

	p, err = Parse(`{ $.a = * && $.b = "*" && $.c = ** }`, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []Value{{Kind: ValAny}, {Kind: ValAny, Quoted: true}, {Kind: ValAny}} {
		if got := p.Root.(*And).Terms[i].(*Compare).Val; got != want {
			t.Errorf("value %d = %+v, want %+v", i, got, want)
		}
	}
}

func TestParse_Warnings(t *testing.T) {
	p, err := Parse(`?ERROR ?ARGUMENTS REQUEST`, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Warning{
		{Pos: 0, Msg: "?ERROR is ignored: CloudWatch Logs ignores ?terms in a pattern that also has plain or -terms"},
		{Pos: 7, Msg: "?ARGUMENTS is ignored: CloudWatch Logs ignores ?terms in a pattern that also has plain or -terms"},
	}
	if !reflect.DeepEqual(p.Warnings, want) {
		t.Errorf("warnings %+v, want %+v", p.Warnings, want)
	}

	long := "{ " + strings.Repeat("$.eventName = x || ", 60) + "$.a = 1 }"
	p, err = Parse(long, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 1 || p.Warnings[0].Pos != MaxPatternLength || !strings.Contains(p.Warnings[0].Msg, fmt.Sprintf("pattern is %d characters long; CloudWatch Logs accepts at most 1024", len(long))) {
		t.Errorf("long pattern warnings %+v", p.Warnings)
	}
	checkRoundTrip(t, long, p)

	p, err = Parse(`{ $.a = 1 }`, ParseOptions{})
	if err != nil || len(p.Warnings) != 0 {
		t.Errorf("unexpected warnings %+v %v", p.Warnings, err)
	}
}

func TestParse_CustomResolver(t *testing.T) {
	calls := 0
	opts := ParseOptions{Resolve: func(path string) (Selector, error) {
		calls++
		if path == "bad" {
			return Selector{}, errors.New("no such column")
		}
		return Selector{Steps: []Step{{Kind: StepField, Name: "x"}, {Kind: StepField, Name: path}}}, nil
	}}
	p, err := Parse(`foo=1 bar=2`, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.String(), `{ $.x.foo = 1 && $.x.bar = 2 }`; got != want || calls != 2 {
		t.Errorf("got %q (calls %d), want %q", got, calls, want)
	}
	_, err = Parse(`foo=1 bad=2`, opts)
	var se *SyntaxError
	if !errors.As(err, &se) || se.Pos != 6 || se.Msg != "no such column" {
		t.Errorf("resolver error: %v", err)
	}
	var fe *FieldError
	if _, err := Parse(`evenName=1`, ParseOptions{}); !errors.As(err, &fe) || fe.Path != "evenName" || len(fe.Suggestions) == 0 || fe.Suggestions[0] != "eventName" {
		t.Errorf("FieldError not reachable: %v", err)
	}
}

// TestParse_RoundTrip prints and re-parses every pattern the tests use.
func TestParse_RoundTrip(t *testing.T) {
	n := 0
	for _, in := range allTestPatterns() {
		p, err := Parse(in, ParseOptions{})
		if err != nil {
			continue
		}
		n++
		checkRoundTrip(t, in, p)
	}
	if n < 200 {
		t.Errorf("only %d patterns round-tripped", n)
	}
}

// TestParse_PrintHandBuilt prints trees that the parser never builds (as
// the engine or a tool might), which must still print valid patterns.
func TestParse_PrintHandBuilt(t *testing.T) {
	f := func(n Node, want string) {
		t.Helper()
		got := n.String()
		if got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
		if _, err := Parse(got, ParseOptions{}); err != nil {
			t.Errorf("%q does not parse: %v", got, err)
		}
	}
	sel := Selector{Steps: []Step{{Kind: StepField, Name: "a"}}}
	f(&Compare{Sel: sel, Op: OpEq, Val: Value{Kind: ValString, Str: "two words"}}, `{ $.a = "two words" }`)
	f(&Compare{Sel: sel, Op: OpEq, Val: Value{Kind: ValString, Str: "400"}}, `{ $.a = "400" }`)
	f(&Compare{Sel: sel, Op: OpEq, Val: Value{Kind: ValString, Str: "*x"}}, `{ $.a = "\*x" }`)
	f(&Compare{Sel: sel, Op: OpEq, Val: Value{Kind: ValString, Str: ""}}, `{ $.a = "" }`)
	f(&Compare{Sel: sel, Op: OpGt, Val: Value{Kind: ValNumber, Num: 1e6}}, `{ $.a > 1e+06 }`)
	f(&Compare{Sel: Selector{Steps: []Step{{Kind: StepField, Name: "a b"}, {Kind: StepField, Name: "c'd"}}}, Op: OpIsNull}, `{ $.['a b']['c\'d'] IS NULL }`)
	f(&Or{Terms: []Node{&And{Terms: []Node{&Compare{Sel: sel, Op: OpIsTrue}, &Compare{Sel: sel, Op: OpNotExists}}}, &Compare{Sel: sel, Op: OpIsFalse}}},
		`{ $.a IS TRUE && $.a NOT EXISTS || $.a IS FALSE }`)
	f(&Terms{Must: []Term{{Text: "a b", Quoted: true}}, Exclude: []Term{{Text: "c"}}}, `"a b" -c`)
	f(&MatchAll{}, `" "`)
	if got := (*Pattern)(nil).String(); got != "" {
		t.Errorf("nil pattern prints %q", got)
	}
	for op := OpEq; op <= OpNotExists; op++ {
		if op.String() == "" || strings.HasPrefix(op.String(), "Op(") {
			t.Errorf("op %d has no text", op)
		}
	}
}

// FuzzParse: Parse never panics, errors point into the pattern, and a
// successful parse prints to text that parses to an equal tree.
func FuzzParse(f *testing.F) {
	for _, s := range allTestPatterns() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := Parse(in, ParseOptions{})
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v", err, err)
			}
			if se.Pos < 0 || se.Pos > len(in) {
				t.Fatalf("Pos %d out of range for %q", se.Pos, in)
			}
			_ = se.Error()
			_ = se.Caret()
			return
		}
		checkRoundTrip(t, in, p)
		_ = Lint(p, nil)
		_ = MatchJSON(p.Root, []byte(fuzzRecord))
	})
}

const fuzzRecord = `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","userName":"alice","sessionContext":{"attributes":{"mfaAuthenticated":"true"}}},"eventName":"GetObject","readOnly":true,"resources":[{"ARN":"arn:aws:s3:::b","type":"AWS::S3::Object"}],"requestParameters":{"bucketName":"b","n":5,"list":[1,"x",null,{"k":"v"}]},"responseElements":null}`

// allTestPatterns gathers every pattern the tests use, for the round-trip
// test and the fuzz corpus.
func allTestPatterns() []string {
	var out []string
	add := func(in, _ string) { out = append(out, in) }
	parseSuccessCases(add)
	parseFailureCases(add)
	for _, c := range specRows {
		out = append(out, c.pattern)
	}
	for _, c := range cisCases {
		out = append(out, c.pattern)
	}
	for _, c := range choiceCases {
		out = append(out, c.pattern)
	}
	for _, c := range lintCases {
		out = append(out, c.pattern)
	}
	for _, c := range shorthandCases {
		out = append(out, c.in)
	}
	for _, c := range regexCases {
		out = append(out, "%"+c.body+"%", "{ $.a = %"+c.body+"% }")
	}
	return out
}
