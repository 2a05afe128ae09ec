package insights

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Record is one CloudTrail record as the reference evaluator reads it.
type Record struct {
	// Raw is the record's JSON text exactly as delivered; it is @message.
	Raw []byte
	// Doc is the decoded record (encoding/json types; numbers as float64 or
	// json.Number). It must not be modified while a query uses it.
	Doc map[string]any
	// Label names the input the record came from (an S3 URI or a path); it
	// is the second part of @log.
	Label string
}

// DecodeRecord decodes one record's JSON text. raw is retained as @message
// and must not be modified afterwards. It fails on anything but exactly one
// JSON object.
func DecodeRecord(raw []byte, label string) (*Record, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode record from %s: %w", label, err)
	}
	if doc == nil {
		return nil, fmt.Errorf("decode record from %s: not a JSON object", label)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("decode record from %s: text after the JSON object", label)
	}
	return &Record{Raw: raw, Doc: doc, Label: label}, nil
}

// System fields (spec §1.3).
const (
	FieldTimestamp     = "@timestamp"     // eventTime as a timestamp
	FieldMessage       = "@message"       // the record's JSON text
	FieldLogStream     = "@logStream"     // <recipientAccountId>_CloudTrail_<awsRegion>
	FieldLog           = "@log"           // <recipientAccountId>:<input label>
	FieldIngestionTime = "@ingestionTime" // always null
)

// systemField returns a system field of rec; ok is false for other names.
func systemField(rec *Record, name string) (Value, bool) {
	switch name {
	case FieldTimestamp:
		return recordTime(rec), true
	case FieldMessage:
		return String(string(rec.Raw)), true
	case FieldLogStream:
		acct, region := docString(rec.Doc, "recipientAccountId"), docString(rec.Doc, "awsRegion")
		if acct == "" && region == "" {
			return Null, true
		}
		return String(acct + "_CloudTrail_" + region), true
	case FieldLog:
		acct := docString(rec.Doc, "recipientAccountId")
		if acct == "" && rec.Label == "" {
			return Null, true
		}
		return String(acct + ":" + rec.Label), true
	case FieldIngestionTime:
		return Null, true
	}
	return Null, false
}

// recordTime is @timestamp: eventTime parsed as RFC 3339, null when missing
// or unparsable.
func recordTime(rec *Record) Value {
	if ms, ok := parseTimestamp(docString(rec.Doc, "eventTime")); ok {
		return Time(ms)
	}
	return Null
}

func docString(doc map[string]any, key string) string {
	switch v := doc[key].(type) {
	case string:
		return v
	case json.Number:
		return string(v)
	case float64:
		return formatNumber(v)
	}
	return ""
}

// resolve follows a field path member by member. When a member is
// missing, it retries with that segment joined to the next ones by '.', so
// a.b.c also finds {"a.b":{"c":…}}. Numeric segments index arrays.
func resolve(v any, segs []segment) (any, bool) {
	if len(segs) == 0 {
		return v, true
	}
	s := segs[0]
	switch x := v.(type) {
	case map[string]any:
		name := s.Name
		if s.IsIndex {
			name = strconv.Itoa(s.Index)
		}
		if c, ok := x[name]; ok {
			if r, ok := resolve(c, segs[1:]); ok {
				return r, true
			}
		}
		if s.IsIndex {
			return nil, false
		}
		var b strings.Builder
		b.WriteString(name)
		for k := 1; k < len(segs) && !segs[k].IsIndex; k++ {
			b.WriteByte('.')
			b.WriteString(segs[k].Name)
			if c, ok := x[b.String()]; ok {
				if r, ok := resolve(c, segs[k+1:]); ok {
					return r, true
				}
			}
		}
	case []any:
		idx := s.Index
		if !s.IsIndex {
			if !isDigits(s.Name) || len(s.Name) > 9 {
				return nil, false
			}
			idx, _ = strconv.Atoi(s.Name)
		}
		if idx >= 0 && idx < len(x) {
			return resolve(x[idx], segs[1:])
		}
	}
	return nil, false
}
