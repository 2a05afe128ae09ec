package query

import (
	"strings"
	"testing"
)

type lintCase struct {
	pattern string
	want    []string // one substring per expected warning, in order
}

var lintCases = []lintCase{
	// Clean patterns.
	{`{ $.eventName = ConsoleLogin && $.additionalEventData.MFAUsed != "Yes" }`, nil},
	{`{ $.requestParameters.anything.at[0].all = 1 }`, nil},
	{`{ $.* = x && $.eventName = x }`, nil},
	{`{ $.resources[*].ARN = x && $.resources[0].type = y }`, nil},
	{`{ $.readOnly IS TRUE && $.managementEvent IS FALSE }`, nil},
	{`{ $.readOnly = true }`, nil},
	{`{ $.eventName = a || $.eventName = b }`, nil},
	{`{ $.eventName = a* && $.eventName = *b }`, nil},
	{`{ $.resources[*].type = "x" && $.resources[*].type = "y" }`, nil},
	{`{ $.responseElements IS NULL }`, nil},
	{`{ $.errorCode = 5 && $.errorCode = 5.0 }`, nil},
	{`{ $.eventName = x && $.eventName != y }`, nil},
	{`{ $.requestParameters.n > 5 && $.requestParameters.n <= 5.5 }`, nil},
	{`ERROR -ARGUMENTS`, nil},
	{`eventName=GetObject useridentity.username=alice`, nil},

	// Unknown fields.
	{`{ $.eventname = GetObject }`, []string{"$.eventname is not a CloudTrail record field, so this comparison never matches (did you mean $.eventName"}},
	{`{ $.userIdentity.usrName = x }`, []string{"$.userIdentity.usrName is not a CloudTrail record field, so this comparison never matches (did you mean $.userIdentity.userName"}},
	{`{ $.foo = 1 }`, []string{"$.foo is not a CloudTrail record field, so this comparison never matches"}},
	{`{ $.resources.ARN = x }`, []string{"$.resources.ARN is not a CloudTrail record field"}},
	{`{ $.eventName[0] = x }`, []string{"$.eventName[0] is not a CloudTrail record field"}},

	// Type mismatches.
	{`{ $.eventName > 5 }`, []string{"{ $.eventName > 5 } never matches: $.eventName is a string in CloudTrail records, and <, >, <=, >= compare JSON numbers only"}},
	{`{ $.eventTime >= 2024 }`, []string{"$.eventTime is a string in CloudTrail records"}},
	{`{ $.userIdentity.sessionContext.attributes.mfaAuthenticated IS TRUE }`, []string{`{ $.userIdentity.sessionContext.attributes.mfaAuthenticated IS TRUE } never matches: $.userIdentity.sessionContext.attributes.mfaAuthenticated is a string in CloudTrail records ("true"/"false"), and IS TRUE / IS FALSE test JSON booleans; use $.userIdentity.sessionContext.attributes.mfaAuthenticated = "true"`}},
	{`{ $.sessionCredentialFromConsole IS FALSE }`, []string{`use $.sessionCredentialFromConsole = "false"`}},
	{`{ $.userIdentity = x }`, []string{"$.userIdentity is an object in CloudTrail records"}},
	{`{ $.resources = x }`, []string{"$.resources is an array in CloudTrail records"}},
	{`{ $.resources[0] != x }`, []string{"$.resources[0] is an object in CloudTrail records"}},
	{`{ $.readOnly = yes }`, []string{"$.readOnly is a boolean in CloudTrail records; use IS TRUE or IS FALSE"}},
	{`{ $.readOnly > 0 }`, []string{"$.readOnly is a boolean"}},
	{`{ $.eventName != * }`, []string{"$.eventName != * never matches"}},

	// Contradictions.
	{`{ $.eventName = "x" && $.eventName = "y" }`, []string{`never matches: $.eventName = "x" and $.eventName = "y" cannot both hold`}},
	{`{ $.eventName = x && $.eventName != x }`, []string{`never matches: $.eventName = x and $.eventName != x cannot both hold`}},
	{`{ $.errorCode NOT EXISTS && $.errorCode = * }`, []string{"never matches: $.errorCode NOT EXISTS and $.errorCode = * cannot both hold"}},
	{`{ $.errorCode IS NULL && $.errorCode != x }`, []string{"cannot both hold"}},
	{`{ $.readOnly IS TRUE && $.readOnly IS FALSE }`, []string{"cannot both hold"}},
	{`{ $.errorCode = 5 && $.errorCode = 6 }`, []string{"cannot both hold"}},
	{`{ $.requestParameters.n > 10 && $.requestParameters.n < 5 }`, []string{"never matches: the numeric conditions on $.requestParameters.n leave no possible value"}},
	{`{ $.requestParameters.n >= 5 && $.requestParameters.n < 5 }`, []string{"leave no possible value"}},
	{`{ $.requestParameters.n = 7 && $.requestParameters.n > 7 }`, []string{"leave no possible value"}},
	{`{ ($.eventName = a && $.eventName = b) || $.eventName = c }`, []string{"cannot both hold"}},
	{`eventName=GetObject eventName=PutObject`, []string{"$.eventName = GetObject and $.eventName = PutObject cannot both hold"}},
	{`ERRORS -ERROR`, []string{"never matches: every record with ERRORS also contains the excluded -ERROR"}},
}

func TestLint_Cases(t *testing.T) {
	for _, c := range lintCases {
		p, err := Parse(c.pattern, ParseOptions{})
		if err != nil {
			t.Errorf("Parse(%q): %v", c.pattern, err)
			continue
		}
		ws := Lint(p, nil)
		if len(ws) != len(c.want) {
			t.Errorf("Lint(%q) = %v, want %d warnings %q", c.pattern, ws, len(c.want), c.want)
			continue
		}
		for i, w := range ws {
			if !strings.Contains(w.Msg, c.want[i]) {
				t.Errorf("Lint(%q)[%d] = %q, want it to contain %q", c.pattern, i, w.Msg, c.want[i])
			}
			if w.Pos < 0 || w.Pos >= len(c.pattern) {
				t.Errorf("Lint(%q)[%d] position %d", c.pattern, i, w.Pos)
			}
		}
	}
}

func TestLint_Positions(t *testing.T) {
	p, err := Parse(`{ $.eventName = x && $.eventname = y }`, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ws := Lint(p, nil)
	if len(ws) != 1 || ws[0].Pos != 21 {
		t.Errorf("warnings %+v, want one at 21", ws)
	}
	// Shorthand positions point into the shorthand text.
	p, err = Parse(`eventName=x readOnly=maybe`, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ws = Lint(p, nil)
	if len(ws) != 1 || ws[0].Pos != 12 {
		t.Errorf("warnings %+v, want one at 12", ws)
	}
	// Hand-built trees have no positions.
	ws = Lint(&Pattern{Root: &Compare{Sel: Selector{Steps: []Step{{Kind: StepField, Name: "nope"}}}, Op: OpEq, Val: Value{Kind: ValAny}}}, nil)
	if len(ws) != 1 || ws[0].Pos != -1 {
		t.Errorf("hand-built warnings %+v", ws)
	}
	if Lint(nil, nil) != nil {
		t.Error("Lint(nil) returned warnings")
	}
}

func TestLint_CustomKnown(t *testing.T) {
	p, err := Parse(`{ $.custom = 1 && $.eventName = x }`, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ws := Lint(p, func(s Selector) bool { return s.String() == "$.custom" })
	if len(ws) != 1 || !strings.Contains(ws[0].Msg, "$.eventName is not a CloudTrail record field") {
		t.Errorf("warnings %v", ws)
	}
	ws = Lint(p, func(Selector) bool { return true })
	if len(ws) != 0 {
		t.Errorf("warnings %v", ws)
	}
}
