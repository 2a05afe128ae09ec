package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/ctq-dev/ctq/pkg/schema"
	"github.com/parquet-go/parquet-go"
)

// readBack is a subset of the lake schema, read through parquet-go's
// name-based schema conversion.
type readBack struct {
	EventName    *string `parquet:"eventName,optional"`
	EventID      *string `parquet:"eventID,optional"`
	UserIdentity *struct {
		Type           *string `parquet:"type,optional"`
		SessionContext *struct {
			Attributes *struct {
				MfaAuthenticated *string `parquet:"mfaAuthenticated,optional"`
			} `parquet:"attributes,optional"`
		} `parquet:"sessionContext,optional"`
	} `parquet:"userIdentity,optional"`
	ReadOnly          *bool    `parquet:"readOnly,optional"`
	RequestParameters *string  `parquet:"requestParameters,optional"`
	Nulls             []string `parquet:"ctqNulls,optional,list"`
	Resources         []struct {
		ARN  *string `parquet:"ARN,optional"`
		Type *string `parquet:"type,optional"`
	} `parquet:"resources,optional,list"`
	Raw   string `parquet:"ctqRaw"`
	Exact bool   `parquet:"ctqExact"`
}

func decodeFileToBatch(t *testing.T, path string) (*batch, []json.RawMessage) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want struct{ Records []json.RawMessage }
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	dec := newDecoder()
	sr := newStreamReader(bytes.NewReader(data), dec, 1<<20)
	b := newBatch()
	for i := 0; ; i++ {
		rec, err := sr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b.add(dec, rec, "AWSLogs/x", i)
	}
	return b, want.Records
}

func TestWriteBatch_RoundTripRealRecords(t *testing.T) {
	for _, f := range realTestdata(t) {
		b, want := decodeFileToBatch(t, f)
		var buf bytes.Buffer
		st, err := writeBatch(&buf, b)
		if err != nil {
			t.Fatal(err)
		}
		if st.Rows != int64(len(want)) {
			t.Fatalf("rows %d want %d", st.Rows, len(want))
		}
		rows, err := parquet.Read[readBack](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		// Every original record is present byte for byte (order differs: sorted).
		got := map[string]int{}
		for _, r := range rows {
			got[r.Raw]++
		}
		for i, w := range want {
			if got[string(w)] == 0 {
				t.Fatalf("%s: record %d missing from the file", f, i)
			}
			got[string(w)]--
		}
		// Typed columns agree with the JSON.
		for _, r := range rows {
			var m map[string]any
			if err := json.Unmarshal([]byte(r.Raw), &m); err != nil {
				t.Fatal(err)
			}
			if v, ok := m["eventName"].(string); ok && (r.EventName == nil || *r.EventName != v) {
				t.Fatalf("eventName %v, want %q", r.EventName, v)
			}
			if v, ok := m["readOnly"].(bool); ok && (r.ReadOnly == nil || *r.ReadOnly != v) {
				t.Fatalf("readOnly %v, want %v", r.ReadOnly, v)
			}
			if ui, ok := m["userIdentity"].(map[string]any); ok {
				if v, ok := ui["type"].(string); ok && (r.UserIdentity == nil || r.UserIdentity.Type == nil || *r.UserIdentity.Type != v) {
					t.Fatalf("userIdentity.type mismatch in %s", r.Raw)
				}
			}
			if rp, ok := m["requestParameters"]; ok && rp != nil {
				var back any
				if r.RequestParameters == nil || json.Unmarshal([]byte(*r.RequestParameters), &back) != nil {
					t.Fatalf("requestParameters not kept as JSON: %v", r.RequestParameters)
				}
			}
			if v, ok := m["responseElements"]; ok && v == nil {
				found := false
				for _, n := range r.Nulls {
					found = found || n == "responseElements"
				}
				if !found {
					t.Fatalf("responseElements null not recorded in ctqNulls: %v", r.Nulls)
				}
			}
			if res, ok := m["resources"].([]any); ok && len(res) != len(r.Resources) {
				t.Fatalf("resources %d, want %d", len(r.Resources), len(res))
			}
		}
	}
}

// A worker's file writer outlives the batches it writes: after a file, its
// value buffer must hold no pointer into the batch's arena, or every arena
// the worker regrows or drops stays alive as long as the writer (this made
// a 4M-event ingest peak at 1.1 GiB instead of ~300 MiB).
func TestFileWriter_KeepsNoArenaReference(t *testing.T) {
	b, _ := decodeFileToBatch(t, realTestdata(t)[0])
	var fw fileWriter
	if _, err := fw.write(io.Discard, b); err != nil {
		t.Fatal(err)
	}
	if cap(fw.vals) == 0 {
		t.Fatal("the writer kept no value buffer: nothing to check")
	}
	for i, v := range fw.vals[:cap(fw.vals)] {
		if v.Kind() == parquet.ByteArray && v.ByteArray() != nil {
			t.Fatalf("value %d of the kept buffer still points at %d bytes of the batch", i, len(v.ByteArray()))
		}
	}
}

// The footer declares the order the rows are in (eventTime, the column
// external engines see as sorted), for every row group of every file a
// reused writer writes; row-group statistics are kept while page headers
// carry none (the page index holds per-page bounds).
func TestFileWriter_FooterOfReusedWriter(t *testing.T) {
	b, _ := decodeFileToBatch(t, realTestdata(t)[0])
	timeCol := -1
	for i, p := range lakeSchema().Columns() {
		if len(p) == 1 && p[0] == "eventTime" {
			timeCol = i
		}
	}
	var fw fileWriter
	for file := 0; file < 2; file++ {
		// Write every row twice so the file has more than one row group.
		order := append(b.order(), b.order()...)
		for len(order) < rowGroupRows+1 {
			order = append(order, order...)
		}
		slicesSortByTime(b, order)
		f := writeTestFile(t, &fw, b, order)
		md := f.Metadata()
		if !strings.HasPrefix(md.CreatedBy, "ctq version ") || strings.Contains(md.CreatedBy, "0.1.0") {
			t.Fatalf("file %d: created_by %q, want ctq and the build's module version", file, md.CreatedBy)
		}
		if len(md.RowGroups) < 2 {
			t.Fatalf("file %d: %d row groups, want at least 2", file, len(md.RowGroups))
		}
		for ri, rg := range md.RowGroups {
			if len(rg.SortingColumns) != 1 || int(rg.SortingColumns[0].ColumnIdx) != timeCol || rg.SortingColumns[0].Descending {
				t.Fatalf("file %d row group %d: sorting columns %+v, want ascending column %d (eventTime)", file, ri, rg.SortingColumns, timeCol)
			}
			st := rg.Columns[timeCol].MetaData.Statistics
			if len(st.MinValue) != 8 || len(st.MaxValue) != 8 {
				t.Fatalf("file %d row group %d: eventTime statistics missing: %+v", file, ri, st)
			}
		}
		pages := f.RowGroups()[0].ColumnChunks()[timeCol].Pages()
		p, err := pages.ReadPage()
		if err != nil {
			t.Fatal(err)
		}
		parquet.Release(p)
		pages.Close()
		for _, fp := range f.RowGroups()[0].ColumnChunks() {
			if fc, ok := fp.(*parquet.FileColumnChunk); ok {
				if ci, err := fc.ColumnIndex(); err != nil || ci == nil || ci.NumPages() == 0 {
					t.Fatalf("file %d: column %d has no page index (%v)", file, fc.Column(), err)
				}
			}
		}
	}
}

// slicesSortByTime orders row indexes by eventTime (stable), as write does.
func slicesSortByTime(b *batch, order []int32) {
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && b.rows[order[j]].time < b.rows[order[j-1]].time; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
}

// TestFileWriter_RawPageBytes: with a raw page size the raw record column
// is cut into pages of about that size (the last of each row group may be
// smaller; one may hold a single larger record), every record reads back
// unchanged, and the other columns keep their pages.
func TestFileWriter_RawPageBytes(t *testing.T) {
	b, _ := decodeFileToBatch(t, realTestdata(t)[0])
	order := b.order()
	for len(order) < 3*blockRows {
		order = append(order, order...) // several blocks: pages span them
	}
	slicesSortByTime(b, order)
	write := func(pageBytes int) *parquet.File {
		t.Helper()
		return writeTestFile(t, &fileWriter{rawPageBytes: pageBytes}, b, order)
	}
	rawCol := -1
	for i, p := range lakeSchema().Columns() {
		if len(p) == 1 && p[0] == schema.ColRaw {
			rawCol = i
		}
	}
	pageSizes := func(f *parquet.File, col int) (sizes []int64, records [][]byte) {
		t.Helper()
		for _, rg := range f.RowGroups() {
			pages := rg.ColumnChunks()[col].Pages()
			for {
				p, err := pages.ReadPage()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				vals := make([]parquet.Value, p.NumValues())
				n, _ := p.Values().ReadValues(vals)
				var size int64
				for _, v := range vals[:n] {
					size += int64(len(v.ByteArray()))
					records = append(records, bytes.Clone(v.ByteArray()))
				}
				sizes = append(sizes, size)
				parquet.Release(p)
			}
			pages.Close()
		}
		return sizes, records
	}
	const pageBytes = 16 << 10
	defSizes, defRecords := pageSizes(write(0), rawCol)
	small := write(pageBytes)
	sizes, records := pageSizes(small, rawCol)
	if len(records) != len(order) || len(defRecords) != len(order) {
		t.Fatalf("%d and %d records read back, want %d", len(records), len(defRecords), len(order))
	}
	for i := range records {
		if !bytes.Equal(records[i], defRecords[i]) {
			t.Fatalf("record %d differs with small raw pages", i)
		}
	}
	if len(sizes) < 4*len(defSizes) {
		t.Fatalf("%d raw pages with %d-byte pages, %d by default: pages were not cut", len(sizes), pageBytes, len(defSizes))
	}
	maxRecord := 0
	for _, r := range records {
		maxRecord = max(maxRecord, len(r))
	}
	for i, s := range sizes {
		if s > pageBytes+int64(maxRecord) {
			t.Fatalf("raw page %d holds %d bytes of records, more than %d plus one record", i, s, pageBytes)
		}
	}
	timeSizes, _ := pageSizes(small, 0)
	defTime, _ := pageSizes(write(0), 0)
	if len(timeSizes) != len(defTime) {
		t.Fatalf("column 0 has %d pages with small raw pages, %d by default", len(timeSizes), len(defTime))
	}
}

// writeTestFile writes the rows of b in order as one file with fw and
// opens it with parquet-go's reader.
func writeTestFile(t *testing.T, fw *fileWriter, b *batch, order []int32) *parquet.File {
	t.Helper()
	var buf bytes.Buffer
	fw.begin(&buf)
	if err := fw.rowGroups(b, order); err != nil {
		t.Fatal(err)
	}
	if err := fw.close(); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return f
}
