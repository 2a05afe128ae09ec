package insights_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/insights"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// TestRun_MatchesEvaluate ingests a generated archive into a lake and
// checks that Run over the lake answers as the reference evaluator over the
// archive's records.
func TestRun_MatchesEvaluate(t *testing.T) {
	ctx := context.Background()
	cfg := gen.DefaultConfig()
	cfg.Events = 1500
	cfg.DuplicateRate = -1
	lake := buildLake(t, cfg, false)
	recs := generatedRecords(t, cfg)
	// The lake reads records in (eventTime, eventID) order; the reference
	// gets the same order, so ties (earliest, latest, dedup, sort) agree.
	slices.SortStableFunc(recs, func(a, b *insights.Record) int {
		ta, _ := time.Parse(time.RFC3339, a.Doc["eventTime"].(string))
		tb, _ := time.Parse(time.RFC3339, b.Doc["eventTime"].(string))
		if c := ta.Compare(tb); c != 0 {
			return c
		}
		return strings.Compare(a.Doc["eventID"].(string), b.Doc["eventID"].(string))
	})
	queries := []string{
		`stats count(*) by eventSource, eventName, awsRegion`,
		`{ $.errorCode = "*" } | stats count(*) as n, count_distinct(sourceIPAddress) by userIdentity.type | sort n desc`,
		`filter readOnly = 0 | stats count(*) as writes by recipientAccountId, bin(1h) as hour | stats max(writes), avg(writes) by recipientAccountId`,
		`stats min(@timestamp), max(@timestamp), count(*)`,
	}
	// The differential part: random queries from the grammar.
	qg := newQueryGen(1, recs)
	for range 60 {
		queries = append(queries, qg.query())
	}
	nonEmpty := 0
	for _, q := range queries {
		p, err := insights.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		got, err := insights.Run(ctx, insights.Config{Lake: lake, MaxRows: insights.DefaultMaxRows, Now: testNow}, p)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		want := evaluate(t, p, recs, insights.EvalOptions{Now: testNow})
		if render(got) != render(want) || got.Total != want.Total {
			t.Errorf("%s:\nlake      %.300s\nreference %.300s", q, render(got), render(want))
		}
		if len(got.Rows) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < len(queries)/2 {
		t.Errorf("only %d of %d queries returned rows; the comparison is too weak", nonEmpty, len(queries))
	}

	p, _ := insights.Parse(`fields eventID`)
	res, err := insights.Run(ctx, insights.Config{Lake: lake, MaxRows: 100}, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 100 || res.Total != cfg.Events {
		t.Errorf("row cap: %d rows of %d, want 100 of %d", len(res.Rows), res.Total, cfg.Events)
	}
	p, _ = insights.Parse(`fields eventID | limit 200`)
	if res, err = insights.Run(ctx, insights.Config{Lake: lake, MaxRows: 100}, p); err != nil || len(res.Rows) != 200 {
		t.Errorf("explicit limit 200 with MaxRows 100: %d rows, %v", len(res.Rows), err)
	}
	// @log names the account and the CloudTrail object each record was
	// delivered in.
	p, _ = insights.Parse(`fields recipientAccountId, @log | limit 20`)
	if res, err = insights.Run(ctx, insights.Config{Lake: lake, MaxRows: 100}, p); err != nil || len(res.Rows) != 20 {
		t.Fatalf("@log: %d rows, %v", len(res.Rows), err)
	}
	for _, row := range res.Rows {
		acct, log := row[0].Text(), row[1].Text()
		if !strings.HasPrefix(log, acct+":") || !strings.Contains(log, "AWSLogs/") || !strings.Contains(log, "/CloudTrail/") || !strings.HasSuffix(log, ".json.gz") {
			t.Fatalf("@log %q of account %s: want ACCOUNT:AWSLogs/.../CloudTrail/....json.gz", log, acct)
		}
	}
	if _, err := insights.Run(ctx, insights.Config{}, p); err == nil || !strings.Contains(err.Error(), "Lake") {
		t.Errorf("Run without a lake: %v", err)
	}
}

// buildLake ingests a generated archive into a lake in a temporary
// directory; withReal adds the real events beside the repository, one log
// object per file, on the archive's first day.
func buildLake(t testing.TB, cfg gen.Config, withReal bool) *partition.Lake {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	if _, err := gen.WriteDir(ctx, cfg, archive); err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "testdata", "cloudtrail-real", "*.records.json"))
	for i, f := range real {
		if !withReal {
			break
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		key := filepath.Join(archive, "AWSLogs", "123456789012", "CloudTrail", "us-east-1", "2025", "03", "14",
			fmt.Sprintf("123456789012_CloudTrail_us-east-1_20250314T00%02dZ_abcdefghijklmno%d.json.gz", i, i))
		var gz bytes.Buffer
		w := gzip.NewWriter(&gz)
		w.Write(data)
		w.Close()
		if err := os.MkdirAll(filepath.Dir(key), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(key, gz.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := objstore.OpenLocal(filepath.Join(dir, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	lb, err := objstore.OpenLocal(filepath.Join(dir, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	lake := partition.Open(lb)
	icfg := ingest.DefaultConfig()
	icfg.Source, icfg.Lake = src, lake
	if _, err := ingest.Run(ctx, icfg); err != nil {
		t.Fatal(err)
	}
	return lake
}

func TestOutput(t *testing.T) {
	p, err := insights.Parse(`stats count(*) as n, avg(v) as a by bin(1h) as hour, k`)
	if err != nil {
		t.Fatal(err)
	}
	res := evaluate(t, p, records(t,
		`{"eventTime":"2024-05-01T10:07:30Z","k":"x\u001b[31m","v":1}`,
		`{"eventTime":"2024-05-01T11:00:00Z","k":"y,\"z\"","v":2}`,
		`{"eventTime":"2024-05-01T11:30:00Z","v":4}`,
	), insights.EvalOptions{})

	var b bytes.Buffer
	big, _ := insights.Parse(`stats sum(n) as s, max(a) as a`)
	if err := insights.WriteJSON(&b, evaluate(t, big, records(t, `{"n":1000000,"a":111122223333}`, `{"n":0.5}`), insights.EvalOptions{})); err != nil {
		t.Fatal(err)
	}
	if want := `{"s":1000000.5,"a":111122223333}` + "\n"; b.String() != want {
		t.Errorf("JSON numbers: %s, want %s", b.String(), want)
	}
	b.Reset()
	if err := insights.WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"hour":"2024-05-01T10:00:00.000Z","k":"x\u001b[31m","n":1,"a":1}
{"hour":"2024-05-01T11:00:00.000Z","k":"y,\"z\"","n":1,"a":2}
{"hour":"2024-05-01T11:00:00.000Z","k":null,"n":1,"a":4}
`
	if b.String() != wantJSON {
		t.Errorf("JSON:\n%s\nwant:\n%s", b.String(), wantJSON)
	}

	b.Reset()
	if err := insights.WriteCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	wantCSV := "hour,k,n,a\n2024-05-01T10:00:00.000Z,x\x1b[31m,1,1\n2024-05-01T11:00:00.000Z,\"y,\"\"z\"\"\",1,2\n2024-05-01T11:00:00.000Z,,1,4\n"
	if b.String() != wantCSV {
		t.Errorf("CSV:\n%q\nwant:\n%q", b.String(), wantCSV)
	}

	b.Reset()
	if err := insights.WriteTable(&b, res, insights.TableOptions{Bars: true, BarWidth: 4}); err != nil {
		t.Fatal(err)
	}
	wantTable := "hour                     k            n  a\n" +
		"2024-05-01 10:00:00.000  x\\u001b[31m  1  1  █\n" +
		"2024-05-01 11:00:00.000  y,\"z\"        1  2  ██\n" +
		"2024-05-01 11:00:00.000               1  4  ████\n"
	if b.String() != wantTable {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), wantTable)
	}
}
