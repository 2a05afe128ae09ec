package main

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// check is one verification: the value wanted (from the source archive)
// and the value found.
type check struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	OK   bool   `json:"ok"`
}

type verification struct {
	Passed   bool     `json:"passed"`
	Checks   []check  `json:"checks"`
	Failures []string `json:"failures,omitempty"`
}

func (v *verification) add(name string, want, got any) {
	c := check{Name: name, Want: fmt.Sprint(want), Got: fmt.Sprint(got)}
	c.OK = c.Want == c.Got
	v.Checks = append(v.Checks, c)
	if !c.OK {
		v.Failures = append(v.Failures, fmt.Sprintf("%s: want %s, got %s", name, c.Want, c.Got))
	}
}

func (v *verification) fail(name string, err error) {
	v.Checks = append(v.Checks, check{Name: name, Got: "error: " + err.Error()})
	v.Failures = append(v.Failures, fmt.Sprintf("%s: %v", name, err))
}

// verify compares what ctq and DuckDB wrote with counts computed by
// streaming the source archive in Go.
func verify(ctx context.Context, db *sql.DB, cr *ctqRun, drs []*duckRun, ref *reference, a *archive) verification {
	var v verification
	s := cr.summary
	v.add("ctq summary: objects", ref.objects, s.Objects)
	v.add("ctq summary: events", ref.events, s.Events)
	v.add("ctq summary: partial+invalid+failed objects", 0, s.ObjectsPartial+s.ObjectsInvalid+s.ObjectsFailed)
	v.add("ctq summary: problems", 0, len(s.Problems))
	v.add("ctq summary: bytesWritten = Parquet bytes on disk", cr.lakeBytes, s.BytesWritten)

	// Hive partition values stay strings: account ids may have leading zeros.
	lake := fmt.Sprintf("read_parquet(%s, hive_partitioning=true, hive_types={'account': VARCHAR, 'region': VARCHAR, 'day': VARCHAR})",
		sqlString(cr.lake+"/account=*/region=*/day=*/*.parquet"))

	if n, err := queryInt(ctx, db, "SELECT count(*) FROM "+lake); err != nil {
		v.fail("lake: count(*)", err)
	} else {
		v.add("lake: count(*)", ref.events, n)
	}
	if n, err := queryInt(ctx, db, "SELECT count(DISTINCT eventID) FROM "+lake); err != nil {
		v.fail("lake: count(DISTINCT eventID)", err)
	} else {
		v.add("lake: count(DISTINCT eventID)", ref.eventIDs, n)
	}
	compareGroups(ctx, db, &v, "lake: count(*) by eventName", "SELECT eventName, count(*) FROM "+lake+" GROUP BY 1", ref.byName)
	compareGroups(ctx, db, &v, "lake: count(*) by account partition", "SELECT account, count(*) FROM "+lake+" GROUP BY 1", ref.byAccount)

	// An account id with a leading zero must survive as written.
	var zero string
	for _, id := range a.cfg.AccountIDs() {
		if strings.HasPrefix(id, "0") {
			zero = id
			break
		}
	}
	if zero == "" {
		v.fail("lake: leading-zero account", fmt.Errorf("the generated archive has no account id with a leading zero"))
	} else if n, err := queryInt(ctx, db, "SELECT count(*) FROM "+lake+" WHERE account = "+sqlString(zero)); err != nil {
		v.fail("lake: leading-zero account "+zero, err)
	} else {
		v.add("lake: records in leading-zero account "+zero, ref.byAccount[zero], n)
	}

	for _, dr := range drs {
		name := "duckdb " + dr.mode
		v.add(name+": rows COPY reported", ref.events, dr.child.Rows)
		if n, err := queryInt(ctx, db, "SELECT count(*) FROM read_parquet("+sqlString(dr.out)+")"); err != nil {
			v.fail(name+": output count(*)", err)
		} else {
			v.add(name+": output count(*)", ref.events, n)
		}
	}
	v.Passed = len(v.Failures) == 0
	return v
}

// compareGroups runs a two-column (key, count) query and compares it with
// want, naming up to five differing keys.
func compareGroups(ctx context.Context, db *sql.DB, v *verification, name, q string, want map[string]int) {
	got := map[string]int{}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		v.fail(name, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var k sql.NullString
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			v.fail(name, err)
			return
		}
		key := k.String
		if !k.Valid {
			key = "<NULL>"
		}
		got[key] += n
	}
	if err := rows.Err(); err != nil {
		v.fail(name, err)
		return
	}
	var diffs []string
	keys := make([]string, 0, len(want)+len(got))
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if want[k] != got[k] {
			diffs = append(diffs, fmt.Sprintf("%q want %d got %d", k, want[k], got[k]))
		}
	}
	if len(diffs) > 5 {
		diffs = append(diffs[:5], fmt.Sprintf("and %d more", len(diffs)-5))
	}
	wantDesc := fmt.Sprintf("%d groups", len(want))
	gotDesc := fmt.Sprintf("%d groups", len(got))
	if len(diffs) > 0 {
		gotDesc += ", differing: " + strings.Join(diffs, "; ")
	}
	v.add(name, wantDesc, gotDesc)
}

func queryInt(ctx context.Context, db *sql.DB, q string) (int64, error) {
	var n int64
	if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: %w", q, err)
	}
	return n, nil
}
