// Package interop_test runs what `ctq ddl --engine duckdb` and
// `ctq translate --engine duckdb` emit in DuckDB, against a real lake, and
// compares the answers with ctq's own engine.
package interop_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/marcboeker/go-duckdb" // registers the "duckdb" database/sql driver

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/interop"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/query"
)

// cis44 is CIS 4.4's event name list (as in the query suite).
var cis44 = []string{
	"DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy", "PutUserPolicy",
	"CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy",
	"AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy",
}

// suitePatterns are the patterns of the benchmark query suite
// (bench/cmd/ctqquery), in its order; %s is an eventID from the lake.
func suitePatterns(eventID string) []string {
	cis := ""
	for i, n := range cis44 {
		if i > 0 {
			cis += "||"
		}
		cis += "($.eventName=" + n + ")"
	}
	return []string{
		`{ $.eventName = "ConsoleLogin" }`,
		"{" + cis + "}",
		`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`,
		`{ $.requestParameters.ipPermissions.items[0].ipRanges.items[0].cidrIp = "0.0.0.0/0" }`,
		`{ $.errorCode = "AccessDenied*" }`,
		`{ $.userAgent = %^aws-cli/2\.1[5-9]\.[0-9]+ % }`,
		`"AccessDenied"`,
		"eventName=GetObject",
		`{ $.eventVersion = "1.*" }`,
		`{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`,
		`{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`,
		`{ $.errorCode NOT EXISTS }`,
		fmt.Sprintf(`{ $.eventID = %q }`, eventID),
	}
}

// morePatterns cover the rest of the language: IS NULL, NOT EXISTS,
// wildcards, regexes, JSON columns, numbers, booleans, array and wildcard
// selectors, unknown members, term patterns.
var morePatterns = []string{
	`{ $.userIdentity.invokedBy IS NULL }`,
	`{ $.responseElements IS NULL }`,
	`{ $.responseElements NOT EXISTS }`,
	`{ $.requestParameters IS NULL }`,
	`{ $.additionalEventData.MFAUsed IS NULL }`,
	`{ $.requestParameters.bucketName NOT EXISTS }`,
	`{ $.requestParameters.bucketName = * }`,
	`{ $.requestParameters.bucketName = "*-logs" }`,
	`{ $.requestParameters.key = "*_*" }`,
	`{ $.apiVersion NOT EXISTS }`,
	`{ $.vpcEndpointId = * }`,
	`{ $.errorCode != "AccessDenied" }`,
	`{ $.errorCode != * }`,
	`{ $.eventName = "*Object*" }`,
	`{ $.eventName = "Get*" && $.eventSource != "s3.amazonaws.com" }`,
	`{ $.sourceIPAddress = %^10\.% || $.sourceIPAddress = "*.amazonaws.com" }`,
	`{ $.errorMessage = %denied|not authorized% }`,
	`{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = "true" }`,
	`{ $.userIdentity.sessionContext.attributes.mfaAuthenticated IS TRUE }`,
	`{ $.readOnly IS TRUE }`,
	`{ $.readOnly IS FALSE && $.managementEvent IS TRUE }`,
	`{ $.readOnly = true }`,
	`{ $.readOnly = "f*" }`,
	`{ $.eventTime = "*T0*" }`,
	`{ $.eventTime > 5 }`,
	`{ $.recipientAccountId = 111111111111 }`,
	`{ $.requestParameters.maxResults > 10 }`,
	`{ $.requestParameters.maxResults = 50 || $.requestParameters.durationSeconds >= 3600 }`,
	`{ $.requestParameters.durationSeconds != 3600 }`,
	`{ $.responseElements.ConsoleLogin = "Success" }`,
	`{ $.resources[0].ARN = "arn:aws:s3*" }`,
	`{ $.resources[*].type = "AWS::S3::Object" }`,
	`{ $.resources[*].accountId != "x" }`,
	`{ $.resources[*] NOT EXISTS }`,
	`{ $.resources NOT EXISTS }`,
	`{ $.resources[*].ARN NOT EXISTS }`,
	`{ $.requestParameters.* = * }`,
	`{ $.requestParameters.* = "*a*" }`,
	`{ $.requestParameters.*.items NOT EXISTS }`,
	`{ $.userIdentity.* = "Root" }`,
	`{ $.userIdentity = * }`,
	`{ $.userIdentity NOT EXISTS }`,
	`{ $.tlsDetails.tlsVersion = "TLSv1.3" }`,
	`{ $.insightDetails.state = "Start" }`,
	`{ $.insightDetails NOT EXISTS }`,
	`{ $.eventCategory = "Insight" }`,
	`{ $.unknownTopLevelField NOT EXISTS }`,
	`{ $.unknownTopLevelField = * }`,
	`eventSource=s3.amazonaws.com errorCode=AccessDenied*`,
	`(eventName=GetObject or eventName=PutObject) and readOnly=false`,
	`resources.arn=arn:aws:s3*`,
	`AccessDenied -GetObject`,
	`?ConsoleLogin ?AssumeRole`,
	`%AKIA[A-Z0-9]{16}%`,
	`"\"eventName\":\"ConsoleLogin\""`,
	``,
}

// oddRecords do not fit the typed columns exactly (ctqExact = false: a
// string where a boolean is expected, numbers in string fields, a
// non-canonical or numeric eventTime) or exercise JSON nulls, numbers and
// unknown members.
var oddRecords = []string{
	`{"eventVersion":"1.08","eventTime":"2024-03-01T12:00:00Z","eventName":"ConsoleLogin","readOnly":"true","errorCode":403,"eventID":"odd-1","userIdentity":{"type":"Root"},"eventType":"AwsApiCall","additionalEventData":{"MFAUsed":null}}`,
	`{"eventVersion":"1.09","eventTime":"2024-03-01T12:00:02.500Z","eventName":"GetObject","eventSource":"s3.amazonaws.com","eventID":"odd-3","userIdentity":{"type":"IAMUser","invokedBy":null},"requestParameters":{"maxResults":50,"durationSeconds":3.6e3,"bucketName":"my-logs","key":"a_b"},"responseElements":null,"unknownTopLevelField":{"a":1},"resources":[{"ARN":"arn:aws:s3:::b","type":"AWS::S3::Object"},null],"readOnly":true}`,
	`{"eventVersion":"1.10","eventTime":"2024-03-01T12:00:03Z","eventName":"AssumeRole","eventID":"odd-4","userIdentity":{"type":"AssumedRole","sessionContext":{"attributes":{"mfaAuthenticated":true}}},"requestParameters":{"maxResults":5e1,"durationSeconds":"3600"},"readOnly":false,"managementEvent":true}`,
	`{"eventVersion":"1.10","eventTime":"2024-03-01T12:00:04Z","eventName":"ListBuckets","eventID":"odd-5","errorCode":null,"apiVersion":null,"recipientAccountId":"111111111111","userIdentity":{"type":"Root","invokedBy":"AWS Internal"},"eventType":"AwsApiCall","requestParameters":null}`,
	`{"eventVersion":"1.10","eventTime":12345,"eventName":"PutObject","eventID":"odd-6","readOnly":"false","errorMessage":"Access denied","userAgent":"aws-cli/2.15.0 Python/3.11"}`,
}

// writeOddRecords writes oddRecords as one more object of the archive.
func writeOddRecords(t *testing.T, archive string) {
	t.Helper()
	dir := filepath.Join(archive, "AWSLogs", "111111111111", "CloudTrail", "us-east-1", "2024", "03", "01")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, `{"Records":[%s]}`, strings.Join(oddRecords, ","))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	name := "111111111111_CloudTrail_us-east-1_20240301T1205Z_oddrecords0000001.json.gz"
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildLake generates a small organization archive, adds oddRecords and
// ingests it.
func buildLake(t *testing.T) (string, *partition.Lake, *partition.Snapshot) {
	t.Helper()
	return buildLakeOf(t, true)
}

// buildLakeOf generates a small organization archive, with oddRecords when
// odd is set, and ingests it.
func buildLakeOf(t *testing.T, odd bool) (string, *partition.Lake, *partition.Snapshot) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	archive, lakeDir := filepath.Join(dir, "archive"), filepath.Join(dir, "lake")
	cfg := gen.DefaultConfig()
	cfg.Seed, cfg.Events = 20250314, 4000
	cfg.Accounts, cfg.Days = 3, 2
	cfg.Regions = []string{"us-east-1", "eu-west-1"}
	cfg.Insight = true
	if _, err := gen.WriteDir(ctx, cfg, archive); err != nil {
		t.Fatalf("generate archive: %v", err)
	}
	if odd {
		writeOddRecords(t, archive)
	}
	src, err := objstore.OpenLocal(archive)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := objstore.OpenLocal(lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	lake := partition.Open(lb)
	icfg := ingest.DefaultConfig()
	icfg.Source, icfg.Lake, icfg.IncludeInsight = src, lake, true
	res, err := ingest.Run(ctx, icfg)
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	if res.HasFaults() {
		t.Fatalf("ingest faults: %+v", res.Problems)
	}
	snap, err := lake.FilesSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return lakeDir, lake, snap
}

func ctqCount(t *testing.T, lake *partition.Lake, snap *partition.Snapshot, p *query.Pattern) int64 {
	t.Helper()
	plan, err := query.NewPlan(p.Root, query.Options{CountOnly: true})
	if err != nil {
		t.Fatalf("plan %q: %v", p.Source, err)
	}
	st, err := plan.Run(context.Background(), lake, snap, func(query.Match) error { return nil })
	if err != nil {
		t.Fatalf("run %q: %v", p.Source, err)
	}
	return st.RowsMatched
}

func count(t *testing.T, db *sql.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("DuckDB: %v\n%s", err, q)
	}
	return n
}

func TestDuckDB_DDLAndTranslate(t *testing.T) {
	lakeDir, lake, snap := buildLake(t)
	var rows int64
	for _, f := range snap.Files {
		rows += f.Rows
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	// Files under _ctq/ (staging, trash of a compaction) must stay invisible.
	for _, f := range snap.Files {
		data, err := os.ReadFile(filepath.Join(lakeDir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{"_ctq/trash/" + filepath.Dir(f.Path), "_ctq/staging/run-1"} {
			dst := filepath.Join(lakeDir, filepath.FromSlash(d))
			if err := os.MkdirAll(dst, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dst, "stale.parquet"), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		break
	}

	ddl, err := interop.DDL(ingest.ParquetSchema(), interop.DDLConfig{Engine: interop.DuckDB, Location: lakeDir, Table: "ct"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ddl); err != nil {
		t.Fatalf("DuckDB rejects the DDL: %v\n%s", err, ddl)
	}
	// The view holds every lake row, partition keys as text, per partition.
	if got := count(t, db, "SELECT count(*) FROM ct"); got != rows {
		t.Fatalf("view holds %d rows; the lake has %d", got, rows)
	}
	perPart := map[partition.Key]int64{}
	for _, f := range snap.Files {
		perPart[f.Partition()] += f.Rows
	}
	for k, n := range perPart {
		q := fmt.Sprintf("SELECT count(*) FROM ct WHERE account = '%s' AND region = '%s' AND day = '%s'", k.Account, k.Region, k.Day)
		if got := count(t, db, q); got != n {
			t.Errorf("partition %s: view holds %d rows; the lake has %d", k, got, n)
		}
	}
	var typ string
	if err := db.QueryRow("SELECT typeof(account) FROM ct LIMIT 1").Scan(&typ); err != nil || typ != "VARCHAR" {
		t.Errorf("account column type %q (%v); want VARCHAR", typ, err)
	}
	inexact := count(t, db, "SELECT count(*) FROM ct WHERE NOT ctqExact")
	t.Logf("lake: %d rows, %d partitions, %d inexact rows", rows, len(perPart), inexact)

	var eventID string
	if err := db.QueryRow("SELECT min(eventID) FROM ct").Scan(&eventID); err != nil {
		t.Fatal(err)
	}
	patterns := append(suitePatterns(eventID), morePatterns...)
	for _, src := range patterns {
		p, err := query.Parse(src, query.ParseOptions{})
		if err != nil {
			t.Fatalf("parse %q: %v", src, err)
		}
		want := ctqCount(t, lake, snap, p)
		for _, mode := range []struct {
			name string
			opts query.SQLOptions
		}{
			{"default", query.SQLOptions{Dialect: query.DialectDuckDB}},
			{"from raw", query.SQLOptions{Dialect: query.DialectDuckDB, FromRaw: true}},
		} {
			where, err := p.SQL(mode.opts)
			if err != nil {
				t.Errorf("translate %q (%s): %v", src, mode.name, err)
				continue
			}
			if got := count(t, db, "SELECT count(*) FROM ct WHERE "+where); got != want {
				t.Errorf("%s (%s): DuckDB counts %d, ctq %d\nWHERE %s", src, mode.name, got, want, where)
			}
		}
		if want == 0 {
			t.Logf("note: %s matches nothing in the test lake", src)
		}
	}
}
