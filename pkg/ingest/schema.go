package ingest

import (
	"runtime/debug"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"

	"github.com/ctq-dev/ctq/pkg/schema"
)

// ingest's view of the lake schema (pkg/schema) is a tree of fields indexed
// for the decoder: the record decoder walks JSON with it and the Parquet
// writer derives columns and levels from it, so the two can never disagree.

// fieldKind is the declared kind; the short names keep the decoder's
// switches readable.
type fieldKind = schema.Kind

const (
	kString    = schema.String // JSON string -> STRING
	kJSON      = schema.JSON   // any JSON value -> its exact text, STRING (JSON)
	kBool      = schema.Bool   // JSON boolean -> BOOLEAN
	kTime      = schema.Time   // CloudTrail timestamp string -> TIMESTAMP(MICROS, UTC)
	kGroup     = schema.Group  // JSON object with known members -> optional group
	kResources = schema.List   // array of {ARN, accountId, type} -> optional list of groups
)

// encoding hints for string leaves.
type encHint uint8

const (
	encDict  encHint = iota // low or moderate cardinality: dictionary
	encPlain                // unique values (ids, raw text): plain, zstd only
)

type field struct {
	name     string
	kind     fieldKind
	enc      encHint
	bloom    bool // high-cardinality lookup column: write a bloom filter
	noBounds bool // written without min/max statistics
	children []*field
	byName   map[string]*field
	byLen    [][]*field // children by name length, for allocation-free lookup

	// Assigned by indexSchema.
	node   int      // dense id of this node, for the null bitset
	slot   int      // leaf value slot (kString, kJSON, kBool), -1 otherwise
	path   string   // dotted JSON path, e.g. "userIdentity.sessionContext"
	groups []*field // optional group ancestors, outermost first (excluding self)
	group  int      // group index for kGroup, -1 otherwise
}

// fromSchema converts a declared field (and its members) into the decoder's
// tree, leaving out fields that are not lake columns: the decoder then sends
// them to ctqExtra like any unknown member.
func fromSchema(sf *schema.Field) *field {
	f := &field{name: sf.Name, kind: sf.Kind, bloom: sf.Bloom, noBounds: sf.NoBounds}
	if sf.Unique || sf.Kind == schema.JSON {
		f.enc = encPlain
	}
	if sf.Kind == schema.Group {
		for _, c := range sf.Fields {
			if !c.NotStored {
				f.children = append(f.children, fromSchema(c))
			}
		}
	}
	return f
}

// ingest's view of the schema is built on first use, not at package
// initialisation: every ctq command links this package, and most never
// decode or write a record. A bad declaration panics on that first use
// (TestSchemaIndex_Consistent forces it).

// resourceMembers returns the member names of the resources list's
// elements; the decoder keeps one span per member (type resource).
var resourceMembers = sync.OnceValue(func() []string {
	var out []string
	for _, m := range schema.Lookup("resources").Fields {
		out = append(out, m.Name)
	}
	if len(out) != len(resource{}) {
		panic("BUG: type resource does not have one span per member of schema's resources")
	}
	return out
})

type schemaIndex struct {
	top    *field
	all    []*field // every node, by node id
	leaves []*field // every kString/kJSON/kBool leaf, by slot
	groups []*field // every kGroup, by group index
	nodes  int
	time   *field
	res    *field
}

// tree returns the decoder's index of the schema. Callers must not modify
// it.
var tree = sync.OnceValue(indexSchema)

func indexSchema() *schemaIndex {
	si := &schemaIndex{top: fromSchema(schema.Record)}
	var walk func(f *field, prefix string, groups []*field)
	walk = func(f *field, prefix string, groups []*field) {
		f.node = si.nodes
		si.nodes++
		si.all = append(si.all, f)
		f.slot, f.group = -1, -1
		f.path = prefix + f.name
		f.groups = groups
		switch f.kind {
		case kString, kJSON, kBool:
			f.slot = len(si.leaves)
			si.leaves = append(si.leaves, f)
		case kTime:
			si.time = f
		case kResources:
			si.res = f
		case kGroup:
			f.group = len(si.groups)
			si.groups = append(si.groups, f)
			f.byName = make(map[string]*field, len(f.children))
			inner := append(groups[:len(groups):len(groups)], f)
			for _, c := range f.children {
				f.byName[c.name] = c
				f.index(c)
				walk(c, f.path+".", inner)
			}
		}
	}
	si.top.byName = make(map[string]*field, len(si.top.children))
	for _, c := range si.top.children {
		si.top.byName[c.name] = c
		si.top.index(c)
		walk(c, "", nil)
	}
	if si.nodes > len(nullSet{})*64 {
		panic("BUG: nullSet too small for the schema")
	}
	return si
}

func stringNode(f *field) parquet.Node {
	var n parquet.Node = parquet.String()
	if f.enc == encDict {
		n = parquet.Encoded(n, &parquet.RLEDictionary)
	} else {
		n = parquet.Encoded(n, &parquet.DeltaLengthByteArray)
	}
	return n
}

func nodeOf(f *field) parquet.Node {
	var n parquet.Node
	switch f.kind {
	case kString:
		n = stringNode(f)
	case kJSON:
		n = parquet.Encoded(parquet.JSON(), &parquet.DeltaLengthByteArray)
	case kBool:
		n = parquet.Leaf(parquet.BooleanType)
	case kTime:
		n = parquet.Timestamp(parquet.Microsecond)
	case kGroup:
		grp := parquet.Group{}
		for _, c := range f.children {
			grp[c.name] = nodeOf(c)
		}
		n = grp
	case kResources:
		elem := parquet.Group{}
		for _, m := range resourceMembers() {
			elem[m] = parquet.Optional(stringNode(&field{enc: encDict}))
		}
		n = parquet.List(elem)
	}
	return parquet.Optional(n)
}

// ParquetSchema returns the lake's Parquet schema.
func ParquetSchema() *parquet.Schema {
	root := parquet.Group{}
	for _, f := range tree().top.children {
		root[f.name] = nodeOf(f)
	}
	root[schema.ColRaw] = parquet.Encoded(parquet.String(), &parquet.DeltaLengthByteArray)
	root[schema.ColExact] = parquet.Leaf(parquet.BooleanType)
	root[schema.ColNulls] = parquet.Optional(parquet.List(parquet.Encoded(parquet.String(), &parquet.RLEDictionary)))
	root[schema.ColExtra] = parquet.Optional(parquet.Encoded(parquet.JSON(), &parquet.DeltaLengthByteArray))
	root[schema.ColSourceKey] = parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
	root[schema.ColSourceIndex] = parquet.Int(32)
	return parquet.NewSchema("cloudtrail", root)
}

// bloomColumns lists the columns that get a bloom filter.
func bloomColumns() [][]string {
	var out [][]string
	for _, f := range tree().leaves {
		if f.bloom {
			out = append(out, strings.Split(f.path, "."))
		}
	}
	return out
}

// bloomBitsPerValue sizes bloom filters: 10 bits per distinct value gives about
// a 1% false-positive rate for split-block filters.
const bloomBitsPerValue = 10

// WriterOptions are the Parquet writer settings every lake file is written
// with (compaction will reuse them).
func WriterOptions(sch *parquet.Schema) []parquet.WriterOption {
	var filters []parquet.BloomFilterColumn
	for _, p := range bloomColumns() {
		filters = append(filters, parquet.SplitBlockFilter(bloomBitsPerValue, p...))
	}
	opts := []parquet.WriterOption{
		sch,
		parquet.Compression(newPageCodec()),
		parquet.BloomFilters(filters...),
		// Per-page min/max go into the page index only: statistics in
		// each page header are a legacy copy that made the writer compute
		// every page's bounds twice, and queries parse every header.
		parquet.DataPageStatistics(false),
		parquet.PageBufferSize(pageBufferSize),
		parquet.CreatedBy(createdBy()),
		parquet.SortingWriterConfig(parquet.SortingColumns(parquet.Ascending(schema.TimeColumn))),
	}
	// Min/max of whole records or JSON documents prune nothing and would put
	// kilobytes into every page header and the footer, which every query
	// parses: such columns keep null counts only.
	for _, p := range noBoundsColumns() {
		opts = append(opts, parquet.SkipPageBounds(p...), parquet.SkipPageStatistics(p...))
	}
	return opts
}

// noBoundsColumns are the columns written without min/max statistics.
func noBoundsColumns() [][]string {
	out := [][]string{{schema.ColRaw}, {schema.ColExtra}}
	for _, f := range tree().leaves {
		if f.kind == kJSON || f.noBounds {
			out = append(out, strings.Split(f.path, "."))
		}
	}
	return out
}

// pageBufferSize bounds a data page before compression: 256 KiB keeps page
// statistics selective for the time column while zstd still sees enough data.
const pageBufferSize = 256 << 10

func (f *field) index(c *field) {
	for len(f.byLen) <= len(c.name) {
		f.byLen = append(f.byLen, nil)
	}
	f.byLen[len(c.name)] = append(f.byLen[len(c.name)], c)
}

// child returns the member named key, or nil. It compares bytes directly:
// member lookup runs for every member of every record.
func (f *field) child(key []byte) *field {
	if len(key) >= len(f.byLen) {
		return nil
	}
	for _, c := range f.byLen[len(key)] {
		if string(key) == c.name {
			return c
		}
	}
	return nil
}

// createdBy names the writer in every file's footer: ctq, the version of
// the module the binary was built from ("(devel)" when the build recorded
// none) and its VCS revision, when recorded.
func createdBy() (app, version, build string) {
	app, version = "ctq", "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				build = s.Value
			}
		}
	}
	return app, version, build
}
