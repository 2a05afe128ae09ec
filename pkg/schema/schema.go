// Package schema declares the lake's columns once: the documented CloudTrail
// record fields with their types and storage hints, the columns ctq adds to
// every row, and the columns the manifest summarises per file. Ingest's
// decoder and Parquet writer, the query engine's typed paths, the shorthand's
// field names, the manifest's range and value-set columns, explain and the
// DDL all derive from it. It imports only the standard library.
package schema

import "strings"

// Kind is what a field holds and how the lake stores it.
type Kind uint8

const (
	String Kind = iota // JSON string -> STRING
	JSON               // any JSON value -> its exact text, STRING (JSON)
	Bool               // JSON boolean -> BOOLEAN
	Time               // CloudTrail timestamp string -> TIMESTAMP(MICROS, UTC)
	Group              // JSON object with documented members -> optional group
	List               // array of objects with documented members -> optional list of groups
)

// String names the kind as CloudTrail's documentation would.
func (k Kind) String() string {
	switch k {
	case JSON:
		return "JSON"
	case Bool:
		return "boolean"
	case Time:
		return "timestamp"
	case Group:
		return "object"
	case List:
		return "array"
	}
	return "string"
}

// Field is one documented CloudTrail record field.
type Field struct {
	Name string
	Kind Kind
	// Unique marks string columns whose values are mostly distinct (ids,
	// free text): they are stored plain rather than dictionary-encoded.
	Unique bool
	// Bloom marks high-cardinality lookup columns that get a bloom filter.
	Bloom bool
	// NoBounds marks string columns written without min/max statistics:
	// bounds of long free text prune nothing and bloat every footer. JSON
	// columns never have bounds.
	NoBounds bool
	// NotStored marks documented top-level fields that are not lake
	// columns (fields of CloudTrail Lake only): a record that has them
	// keeps them in ColExtra, and ctqRaw as always.
	NotStored bool
	// Fields are the members of a Group, or of each element of a List.
	Fields []*Field
}

func str(name string) *Field    { return &Field{Name: name, Kind: String} }
func unique(name string) *Field { return &Field{Name: name, Kind: String, Unique: true} }
func lookup(name string) *Field { return &Field{Name: name, Kind: String, Unique: true, Bloom: true} }
func js(name string) *Field     { return &Field{Name: name, Kind: JSON} }
func boolean(name string) *Field {
	return &Field{Name: name, Kind: Bool}
}
func group(name string, c ...*Field) *Field { return &Field{Name: name, Kind: Group, Fields: c} }

// Record is the documented CloudTrail record (eventVersion 1.11, the record
// contents and userIdentity element of CloudTrail's user guide), in the
// documentation's order. It is the root Group (Name ""). Callers must not
// modify it.
var Record = group("",
	str("eventVersion"),
	group("userIdentity",
		str("type"), unique("principalId"), &Field{Name: "arn", Kind: String, Bloom: true}, str("accountId"),
		lookup("accessKeyId"), str("userName"), str("invokedBy"), str("credentialId"), str("identityProvider"),
		group("onBehalfOf", str("userId"), str("identityStoreArn")),
		group("sessionContext",
			group("attributes", unique("creationDate"), str("mfaAuthenticated")),
			group("sessionIssuer", str("type"), str("principalId"), str("arn"), str("accountId"), str("userName")),
			group("webIdFederationData", str("federatedProvider"), js("attributes")),
			str("sourceIdentity"), str("ec2RoleDelivery"), str("assumedRoot"),
		),
	),
	&Field{Name: "eventTime", Kind: Time},
	str("eventSource"), str("eventName"), str("awsRegion"), lookup("sourceIPAddress"), str("userAgent"),
	str("errorCode"), &Field{Name: "errorMessage", Kind: String, NoBounds: true},
	js("requestParameters"), js("responseElements"), js("additionalEventData"),
	unique("requestID"), lookup("eventID"), str("eventType"), str("apiVersion"),
	boolean("managementEvent"), boolean("readOnly"),
	&Field{Name: "resources", Kind: List, Fields: []*Field{str("ARN"), str("accountId"), str("type")}},
	str("recipientAccountId"), js("serviceEventDetails"), unique("sharedEventID"),
	str("vpcEndpointId"), str("vpcEndpointAccountId"), str("eventCategory"),
	group("addendum", str("reason"), str("updatedFields"), str("originalRequestID"), str("originalEventID")),
	str("sessionCredentialFromConsole"),
	js("edgeDeviceDetails"),
	group("tlsDetails", str("tlsVersion"), str("cipherSuite"), str("clientProvidedHostHeader"), str("keyExchange")),
	&Field{Name: "eventContext", Kind: JSON, NotStored: true},
	js("insightDetails"),
	&Field{Name: "annotation", Kind: String, NotStored: true},
)

// Columns ctq adds to every row. They start with "ctq" so they cannot
// collide with CloudTrail field names.
const (
	ColRaw         = "ctqRaw"         // STRING: the record's original bytes, exactly as delivered
	ColExact       = "ctqExact"       // BOOLEAN: the typed columns represent the record exactly
	ColNulls       = "ctqNulls"       // LIST<STRING>: paths of typed fields whose JSON value was null
	ColExtra       = "ctqExtra"       // STRING (JSON): top-level members not stored as columns, as an object
	ColSourceKey   = "ctqSourceKey"   // STRING: layout key of the source object (AWSLogs/...)
	ColSourceIndex = "ctqSourceIndex" // INT32: index of the record in the source object's Records array
)

// CtqColumns lists the columns ctq adds, in the order above.
var CtqColumns = []string{ColRaw, ColExact, ColNulls, ColExtra, ColSourceKey, ColSourceIndex}

// Columns the lake is sorted and deduplicated by.
const (
	TimeColumn = "eventTime" // rows are sorted by it; partitions are days of it
	IDColumn   = "eventID"   // second sort key; equal (eventTime, eventID) rows are duplicates
)

// RangeColumns are the string columns whose per-file [min, max] the
// manifest records, so queries skip files without opening them.
var RangeColumns = []string{"awsRegion", "recipientAccountId"}

// ValueSetColumns are the low-cardinality columns whose distinct values per
// file the manifest records (up to a bound), most selective first.
var ValueSetColumns = []string{"eventName", "eventSource", "errorCode", "eventType", "userIdentity.type"}

// Walk calls fn for every field below root in declaration order, depth
// first, with its dotted path ("userIdentity.sessionContext.sessionIssuer",
// "resources.ARN"). Fields marked NotStored are included; fn must check.
func Walk(root *Field, fn func(path string, f *Field)) {
	var walk func(f *Field, prefix string)
	walk = func(f *Field, prefix string) {
		for _, c := range f.Fields {
			p := prefix + c.Name
			fn(p, c)
			walk(c, p+".")
		}
	}
	walk(root, "")
}

// Lookup returns the field at a dotted path (exact spelling), or nil.
func Lookup(path string) *Field {
	f := Record
	for part := range strings.SplitSeq(path, ".") {
		var next *Field
		for _, c := range f.Fields {
			if c.Name == part {
				next = c
				break
			}
		}
		if next == nil {
			return nil
		}
		f = next
	}
	return f
}

// Stored reports whether a path names a lake column or group: a field of
// Record that is not NotStored.
func Stored(path string) bool {
	f := Lookup(path)
	return f != nil && !f.NotStored
}
