package ingest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"os"
	"strings"
	"testing"
)

// readAll runs a stream reader to the end, copying each record.
func readAll(t testing.TB, data []byte, maxRecord int) (recs [][]byte, errs []*RecordError) {
	t.Helper()
	sr := newStreamReader(&oneByteReader{r: bytes.NewReader(data), n: 7}, newDecoder(), maxRecord)
	for {
		rec, err := sr.Next()
		if errors.Is(err, io.EOF) {
			return recs, errs
		}
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			errs = append(errs, re)
			if re.Fatal {
				return recs, errs
			}
			continue
		}
		recs = append(recs, bytes.Clone(rec))
	}
}

// oneByteReader returns at most n bytes per Read, to exercise refills at
// every position.
type oneByteReader struct {
	r io.Reader
	n int
}

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(p) > o.n {
		p = p[:o.n]
	}
	return o.r.Read(p)
}

func TestStreamReader_RealRecordsByteIdentical(t *testing.T) {
	for _, f := range realTestdata(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var want struct{ Records []json.RawMessage }
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		recs, errs := readAll(t, data, 1<<20)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", f, errs[0])
		}
		if len(recs) != len(want.Records) {
			t.Fatalf("%s: got %d records, want %d", f, len(recs), len(want.Records))
		}
		for i := range recs {
			if !bytes.Equal(recs[i], want.Records[i]) {
				t.Fatalf("%s record %d differs:\n got %.200s\nwant %.200s", f, i, recs[i], want.Records[i])
			}
		}
	}
}

func TestStreamReader_Faults(t *testing.T) {
	rec := `{"eventVersion":"1.08","eventTime":"2024-03-01T00:00:00Z","eventName":"A"}`
	cases := []struct {
		name      string
		in        string
		wantRecs  int
		wantMsg   string
		wantFatal bool
		wantOff   int64
	}{
		{"empty", "", 0, "empty object", true, 0},
		{"whitespace only", "  \n", 0, "empty object", true, 3},
		{"not json", "hello", 0, "not a CloudTrail log file", true, 0},
		{"array top", "[" + rec + "]", 0, "not a CloudTrail log file", true, 0},
		{"no records", `{"foo":1}`, 0, `no "Records" array`, true, 9},
		{"records not array", `{"Records":{}}`, 0, `"Records" is not an array`, true, 11},
		{"truncated mid record", `{"Records":[` + rec + `,` + rec[:30], 1, "truncated", true, int64(12 + len(rec) + 1 + 30)},
		{"truncated after record", `{"Records":[` + rec, 1, "truncated", true, int64(12 + len(rec))},
		{"invalid json in record 2", `{"Records":[` + rec + `,{"a":tru}]}`, 1, "invalid JSON in record 1", true, int64(12 + len(rec) + 1 + 8)},
		{"non-object record skipped", `{"Records":[` + rec + `,42,` + rec + `]}`, 2, "not a JSON object", false, int64(12 + len(rec) + 1)},
		{"trailing garbage", `{"Records":[` + rec + `]}x`, 1, "unexpected data after", true, int64(12 + len(rec) + 2)},
		{"missing comma", `{"Records":[` + rec + rec + `]}`, 1, "expected ',' or ']' after record 0", true, int64(12 + len(rec))},
		{"control char in string", `{"Records":[{"a":"x` + "\x01" + `"}]}`, 0, "control character", true, 19},
		{"bad escape", `{"Records":[{"a":"\q"}]}`, 0, "invalid escape", true, 19},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			recs, errs := readAll(t, []byte(tc.in), 1<<20)
			if len(recs) != tc.wantRecs {
				t.Errorf("records = %d, want %d", len(recs), tc.wantRecs)
			}
			if len(errs) == 0 {
				t.Fatalf("no error, want %q", tc.wantMsg)
			}
			e := errs[0]
			if !strings.Contains(e.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", e, tc.wantMsg)
			}
			if e.Fatal != tc.wantFatal {
				t.Errorf("fatal = %v, want %v", e.Fatal, tc.wantFatal)
			}
			if e.Offset != tc.wantOff {
				t.Errorf("offset = %d, want %d", e.Offset, tc.wantOff)
			}
		})
	}
}

func TestStreamReader_OversizedRecordSkippedBounded(t *testing.T) {
	small := `{"eventName":"A","eventTime":"2024-03-01T00:00:00Z"}`
	big := `{"eventName":"B","requestParameters":{"blob":"` + strings.Repeat("x", 3<<20) + `"}}`
	in := `{"Records":[` + small + `,` + big + `,` + small + `]}`
	// Limit below the big record: skipped and reported, neighbours kept.
	recs, errs := readAll(t, []byte(in), 1<<20)
	if len(recs) != 2 || len(errs) != 1 || errs[0].Fatal || errs[0].Record != 1 {
		t.Fatalf("recs=%d errs=%v", len(recs), errs)
	}
	// Limit above it: kept byte for byte.
	recs, errs = readAll(t, []byte(in), 8<<20)
	if len(errs) != 0 || len(recs) != 3 || string(recs[1]) != big {
		t.Fatalf("recs=%d errs=%v", len(recs), errs)
	}
}

// TestHasStringSpecial checks the eight-byte test against a byte-wise one:
// every byte value at every position, and random words.
func TestHasStringSpecial(t *testing.T) {
	special := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 }
	check := func(w [8]byte) {
		want := false
		for _, c := range w {
			want = want || special(c)
		}
		if got := hasStringSpecial(binary.LittleEndian.Uint64(w[:])); got != want {
			t.Fatalf("% x: %v, want %v", w, got, want)
		}
	}
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			w := [8]byte{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}
			w[pos] = byte(c)
			check(w)
			w = [8]byte{0xff, 0x80, 0x7f, 0x21, 0x5d, 0x23, 0x20, 0xc3}
			w[pos] = byte(c)
			check(w)
		}
	}
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 200000; i++ {
		var w [8]byte
		for k := range w {
			w[k] = byte(r.Intn(256))
		}
		check(w)
	}
}
