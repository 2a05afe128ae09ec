package main

import (
	"fmt"
	"strings"
)

// query is one benchmark query in the three forms that must agree: a ctq
// filter pattern (with ctq's partition and time flags), a SQL WHERE clause
// over the same lake files, and a jq select expression over the source
// archive.
type query struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Why     string   `json:"why"`     // what the query exercises
	Pattern string   `json:"pattern"` // ctq's PATTERN argument
	CtqArgs []string `json:"ctqArgs,omitempty"`
	Where   string   `json:"sqlWhere"` // DuckDB WHERE clause ("" = every row)
	JQ      string   `json:"jqSelect"` // jq boolean expression over one record
	// JQScope restricts the jq input to the objects below
	// AWSLogs/[org/]<account>/CloudTrail/<region>/ (account and region come
	// from the object key, as ctq's partitions do); empty = every object.
	JQAccount string `json:"jqAccount,omitempty"`
	JQRegion  string `json:"jqRegion,omitempty"`
}

// params are the data-dependent values of the suite, picked from the lake
// (see pickParams) unless given on the command line.
type params struct {
	Account string `json:"account"` // query 8
	Region  string `json:"region"`  // query 8
	Day     string `json:"day"`     // query 8, yyyy-mm-dd
	EventID string `json:"eventID"` // query 13
}

// jqPrelude defines the helpers the jq expressions use. Each one spells out
// a rule of the filter-pattern language (docs/LANGUAGE.md) where jq's own
// behaviour differs:
//
//   - at(p): the value at path p, or null when the path selects nothing
//     (jq errors when indexing a string or an object with a number);
//   - scalar: a string, number or boolean (`!=`, `= *` and wildcards are
//     false on null, objects and arrays);
//   - txt: the text a wildcard or regex sees: a string itself, a number or
//     boolean as its JSON text;
//   - absent(p): NOT EXISTS (a member whose value is null exists).
const jqPrelude = `def at(p): try getpath(p) catch null;
def scalar: type == "string" or type == "number" or type == "boolean";
def txt: if type == "string" then . elif type == "number" or type == "boolean" then tojson else null end;
def absent(p): (try (getpath(p[:-1]) | if type == "object" then has(p[-1]) else false end) catch false) | not;
`

// jqProgram is the whole jq program for one query.
func jqProgram(sel string) string {
	return jqPrelude + ".Records[] | select(" + sel + ")"
}

// notExistsSQL is NOT EXISTS on a typed leaf: the column is NULL and the
// path was not JSON null (ctqNulls lists those; it is NULL when empty).
func notExistsSQL(col, path string) string {
	return fmt.Sprintf("%s IS NULL AND NOT coalesce(list_contains(ctqNulls, %s), false)", col, sqlString(path))
}

var cis44 = []string{
	"DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy", "PutUserPolicy",
	"CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy",
	"AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy",
}

// suite returns the benchmark queries for the given parameters.
func suite(p params) []query {
	var cisPat, cisSQL, cisJQ []string
	for _, n := range cis44 {
		cisPat = append(cisPat, "($.eventName="+n+")")
		cisSQL = append(cisSQL, sqlString(n))
		cisJQ = append(cisJQ, `.eventName == "`+n+`"`)
	}
	since := p.Day + "T06:00:00Z"
	until := p.Day + "T12:00:00Z"
	return []query{
		{
			ID: "q1", Name: "selective equality (ConsoleLogin)",
			Why:     "equality on a low-cardinality dictionary column, <1% of rows",
			Pattern: `{ $.eventName = "ConsoleLogin" }`,
			Where:   `eventName = 'ConsoleLogin'`,
			JQ:      `.eventName == "ConsoleLogin"`,
		},
		{
			ID: "q2", Name: "CIS 4.4 IAM policy changes (16-way OR)",
			Why:     "a CIS alarm pattern verbatim: 16 equalities on one column joined by ||",
			Pattern: "{" + strings.Join(cisPat, "||") + "}",
			Where:   "eventName IN (" + strings.Join(cisSQL, ", ") + ")",
			JQ:      "(" + strings.Join(cisJQ, " or ") + ")",
		},
		{
			ID: "q3", Name: "CIS 4.3 root use (NOT EXISTS, !=)",
			Why:     "nested struct leaves, NOT EXISTS (validity + ctqNulls) and != on a column",
			Pattern: `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`,
			Where: `userIdentity.type = 'Root' AND ` + notExistsSQL("userIdentity.invokedBy", "userIdentity.invokedBy") +
				` AND eventType <> 'AwsServiceEvent'`,
			JQ: `at(["userIdentity","type"]) == "Root" and absent(["userIdentity","invokedBy"]) and (.eventType | scalar and . != "AwsServiceEvent")`,
		},
		{
			ID: "q4", Name: "nested requestParameters path (0.0.0.0/0 ingress)",
			Why:     "a path inside the requestParameters JSON text column",
			Pattern: `{ $.requestParameters.ipPermissions.items[0].ipRanges.items[0].cidrIp = "0.0.0.0/0" }`,
			Where:   `json_extract_string(requestParameters, '$.ipPermissions.items[0].ipRanges.items[0].cidrIp') = '0.0.0.0/0'`,
			JQ:      `at(["requestParameters","ipPermissions","items",0,"ipRanges","items",0,"cidrIp"]) == "0.0.0.0/0"`,
		},
		{
			ID: "q5", Name: "prefix wildcard on errorCode",
			Why:     "a prefix wildcard on a sparse dictionary column",
			Pattern: `{ $.errorCode = "AccessDenied*" }`,
			Where:   `starts_with(errorCode, 'AccessDenied')`,
			JQ:      `(.errorCode | txt | type == "string" and startswith("AccessDenied"))`,
		},
		{
			ID: "q6", Name: "regex on userAgent",
			Why:     "a regular expression on a high-cardinality string column (~3% of rows match)",
			Pattern: `{ $.userAgent = %^aws-cli/2\.1[5-9]\.[0-9]+ % }`,
			// (?s): the language's '.' matches newlines too (none here).
			Where: `regexp_matches(userAgent, '(?s)^aws-cli/2\.1[5-9]\.[0-9]+ ')`,
			// \A: Oniguruma's ^ also matches after a newline.
			JQ: `(.userAgent | txt | type == "string" and test("\\Aaws-cli/2\\.1[5-9]\\.[0-9]+ "))`,
		},
		{
			ID: "q7", Name: `term search "AccessDenied" over the raw text`,
			Why:     "a substring search over every record's raw JSON (ctqRaw)",
			Pattern: `"AccessDenied"`,
			Where:   `contains(ctqRaw, 'AccessDenied')`,
			// jq re-serializes the record; equal to the raw text for this ASCII term
			// unless the source escaped one of its letters as \uXXXX (it does not).
			JQ: `(tojson | contains("AccessDenied"))`,
		},
		{
			ID: "q8", Name: "time-bounded account/region query",
			Why:     "partition pruning (account, region, day) plus an eventTime range inside a day",
			Pattern: "eventName=GetObject",
			CtqArgs: []string{"--since", since, "--until", until, "--accounts", p.Account, "--regions", p.Region},
			Where: fmt.Sprintf("account = %s AND region = %s AND day = %s AND eventTime >= TIMESTAMPTZ %s AND eventTime < TIMESTAMPTZ %s AND eventName = 'GetObject'",
				sqlString(p.Account), sqlString(p.Region), sqlString(p.Day),
				sqlString(p.Day+" 06:00:00+00"), sqlString(p.Day+" 12:00:00+00")),
			JQ:        fmt.Sprintf(`.eventName == "GetObject" and (.eventTime | type == "string" and . >= %q and . < %q)`, since, until),
			JQAccount: p.Account, JQRegion: p.Region,
		},
		{
			ID: "q9", Name: "matches every row (eventVersion 1.*)",
			Why:     "a prefix wildcard true for every CloudTrail record (all versions are 1.x): the cost of a full scan that keeps everything",
			Pattern: `{ $.eventVersion = "1.*" }`,
			Where:   `starts_with(eventVersion, '1.')`,
			JQ:      `(.eventVersion | txt | type == "string" and startswith("1."))`,
		},
		{
			ID: "q10", Name: "CIS 3.2 console login without MFA",
			Why:     "a typed equality AND != on a path inside the additionalEventData JSON column",
			Pattern: `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`,
			Where: `eventName = 'ConsoleLogin' AND json_type(additionalEventData, '$.MFAUsed') NOT IN ('OBJECT', 'ARRAY', 'NULL')` +
				` AND json_extract_string(additionalEventData, '$.MFAUsed') <> 'Yes'`,
			JQ: `.eventName == "ConsoleLogin" and (at(["additionalEventData","MFAUsed"]) | scalar and . != "Yes")`,
		},
		{
			ID: "q11", Name: "CIS 3.1 unauthorized API calls (suffix || prefix)",
			Why:     "suffix and prefix wildcards on errorCode joined by ||",
			Pattern: `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`,
			Where:   `ends_with(errorCode, 'UnauthorizedOperation') OR starts_with(errorCode, 'AccessDenied')`,
			JQ:      `(.errorCode | txt | type == "string" and (endswith("UnauthorizedOperation") or startswith("AccessDenied")))`,
		},
		{
			ID: "q12", Name: "successful calls (errorCode NOT EXISTS)",
			Why:     "NOT EXISTS on a sparse column, true for ~97% of rows",
			Pattern: `{ $.errorCode NOT EXISTS }`,
			Where:   notExistsSQL("errorCode", "errorCode"),
			JQ:      `absent(["errorCode"])`,
		},
		{
			ID: "q13", Name: "needle: one eventID",
			Why:     "a point lookup on a unique, unsorted column: only bloom filters can prune",
			Pattern: fmt.Sprintf(`{ $.eventID = %q }`, p.EventID),
			Where:   "eventID = " + sqlString(p.EventID),
			JQ:      fmt.Sprintf(`.eventID == %q`, p.EventID),
		},
	}
}
