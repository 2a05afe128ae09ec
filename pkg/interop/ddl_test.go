package interop_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/interop"
	"github.com/ctq-dev/ctq/pkg/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestDDL_Golden(t *testing.T) {
	cases := []struct {
		file string
		cfg  interop.DDLConfig
	}{
		{"athena.golden", interop.DDLConfig{Engine: interop.Athena, Location: "s3://lake-bucket/ctq/", Table: "security.cloudtrail",
			Accounts: []string{"444455556666", "011122223333", "444455556666"}, Regions: []string{"us-east-1", "eu-west-1"}, FirstDay: "2024-03-01"}},
		{"athena-injected.golden", interop.DDLConfig{Engine: interop.Athena, Location: "s3://lake-bucket"}},
		{"trino.golden", interop.DDLConfig{Engine: interop.Trino, Location: "s3://lake-bucket/ctq", Table: "hive.security.CloudTrail"}},
		{"trino-bare.golden", interop.DDLConfig{Engine: interop.Trino, Location: "s3://lake-bucket/ctq"}},
		{"duckdb.golden", interop.DDLConfig{Engine: interop.DuckDB, Location: "/data/it's/lake", Table: "main.ct"}},
		{"duckdb-s3.golden", interop.DDLConfig{Engine: interop.DuckDB, Location: "s3://lake-bucket/ctq/"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			got, err := interop.DDL(ingest.ParquetSchema(), c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", c.file)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("DDL differs from %s (run go test -update after checking the change):\n%s", path, got)
			}
		})
	}
}

// Every typed column ingest writes appears with its type: the DDL is
// derived from the schema, so a new field shows up without code changes.
func TestDDL_FollowsSchema(t *testing.T) {
	athena, err := interop.DDL(ingest.ParquetSchema(), interop.DDLConfig{Engine: interop.Athena, Location: "s3://lake-bucket"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"`eventTime` timestamp,", "`readOnly` boolean,", "`managementEvent` boolean,", "`ctqNulls` array<string>,",
		"`resources` array<struct<ARN:string,accountId:string,type:string>>,", "`ctqSourceIndex` int,",
		"`requestParameters` string,", "sessionContext:struct<", "`tlsDetails` struct<",
	} {
		if !strings.Contains(athena, want) {
			t.Errorf("Athena DDL lacks %q", want)
		}
	}
	for _, f := range ingest.ParquetSchema().Fields() {
		if !strings.Contains(athena, "`"+f.Name()+"` ") {
			t.Errorf("Athena DDL lacks column %s", f.Name())
		}
	}
	// Every column declared in pkg/schema, nested ones as struct members.
	schema.Walk(schema.Record, func(path string, f *schema.Field) {
		top, _, nested := strings.Cut(path, ".")
		switch {
		case schema.Lookup(top).NotStored:
			if strings.Contains(athena, "`"+path+"`") {
				t.Errorf("Athena DDL has %s, which the lake does not store", path)
			}
		case !nested && !strings.Contains(athena, "`"+path+"` "):
			t.Errorf("Athena DDL lacks column %s", path)
		case nested && !strings.Contains(athena, path[strings.LastIndexByte(path, '.')+1:]+":"):
			t.Errorf("Athena DDL lacks member %s", path)
		}
	})
	for _, c := range schema.CtqColumns {
		if !strings.Contains(athena, "`"+c+"` ") {
			t.Errorf("Athena DDL lacks column %s", c)
		}
	}
}

func TestDDL_Failure(t *testing.T) {
	f := func(cfg interop.DDLConfig, wantErr string) {
		t.Helper()
		_, err := interop.DDL(ingest.ParquetSchema(), cfg)
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%+v: error %v; want one containing %q", cfg, err, wantErr)
		}
	}
	f(interop.DDLConfig{Engine: interop.Athena, Location: "/local/dir"}, "want s3://bucket/prefix")
	f(interop.DDLConfig{Engine: interop.Trino, Location: "s3://b/x"}, "invalid bucket name")
	f(interop.DDLConfig{Engine: interop.Athena, Location: "s3://bkt/x'y"}, `prefix "x'y"`)
	f(interop.DDLConfig{Engine: interop.Athena, Location: "s3://bkt/${x}"}, "prefix")
	f(interop.DDLConfig{Engine: interop.Athena, Location: "s3://bkt", Table: "a.b.c"}, "at most 2")
	f(interop.DDLConfig{Engine: interop.Trino, Location: "s3://bkt", Table: "t; DROP TABLE x"}, "not an identifier")
	f(interop.DDLConfig{Engine: interop.DuckDB, Location: "s3://bkt", Table: "1abc"}, "not an identifier")
	f(interop.DDLConfig{Engine: interop.DuckDB, Location: "/data/*/lake"}, "glob characters")
	f(interop.DDLConfig{Engine: interop.DuckDB, Location: "http://x/lake"}, "want a lake directory")
	f(interop.DDLConfig{Engine: interop.Athena, Location: "s3://bkt", Accounts: []string{"12345"}}, `account "12345"`)
	f(interop.DDLConfig{Engine: interop.Athena, Location: "s3://bkt", Regions: []string{"us east"}}, `region "us east"`)
	f(interop.DDLConfig{Engine: interop.Athena, Location: "s3://bkt", FirstDay: "2024-3-1"}, `first day "2024-3-1"`)
	f(interop.DDLConfig{Engine: "spark", Location: "s3://bkt"}, `unknown engine "spark"`)
}

func TestParseEngine(t *testing.T) {
	for _, s := range []string{"athena", "Trino", "DUCKDB"} {
		if _, err := interop.ParseEngine(s); err != nil {
			t.Errorf("ParseEngine(%q): %v", s, err)
		}
	}
	if _, err := interop.ParseEngine("hive"); err == nil {
		t.Error("ParseEngine(hive): no error")
	}
}
