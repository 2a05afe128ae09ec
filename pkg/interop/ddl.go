// Package interop describes the lake to other SQL engines: CREATE statements
// for Athena, Trino (Hive connector) and DuckDB whose column types are
// derived from the lake's Parquet schema, so that they cannot drift from what
// ingest writes.
//
// The package receives the schema as a *parquet.Schema instead of importing
// the ingest package: it depends only on the Parquet schema model and on the
// lake layout (pkg/partition), and tests can feed it any schema.
package interop

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/ctq-dev/ctq/pkg/layout"
	"github.com/ctq-dev/ctq/pkg/partition"
)

// Engine is a SQL engine ctq writes a CREATE statement for.
type Engine string

const (
	Athena Engine = "athena" // Amazon Athena: CREATE EXTERNAL TABLE with partition projection
	Trino  Engine = "trino"  // Trino, Hive connector: CREATE TABLE + sync_partition_metadata
	DuckDB Engine = "duckdb" // DuckDB: a view over read_parquet
)

// ParseEngine parses an engine name.
func ParseEngine(s string) (Engine, error) {
	switch e := Engine(strings.ToLower(s)); e {
	case Athena, Trino, DuckDB:
		return e, nil
	}
	return "", fmt.Errorf("unknown engine %q: want athena, trino or duckdb", s)
}

// PartitionColumns are the lake's Hive partition keys, in path order. They
// are strings in every engine: an account id may start with 0.
var PartitionColumns = []string{"account", "region", "day"}

// DefaultRegions are the commercial AWS regions, the region projection when
// neither the lake nor the caller gives a list.
var DefaultRegions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	"ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ca-central-1", "ca-west-1",
	"eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1",
	"eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
	"sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
}

// DefaultFirstDay starts the day projection when the lake gives no first
// day: CloudTrail's launch month.
const DefaultFirstDay = "2013-11-01"

// DefaultTable is the table (or view) name when none is given.
const DefaultTable = "cloudtrail"

// DDLConfig describes the statement to write.
type DDLConfig struct {
	Engine Engine
	// Location is the lake's root: s3://bucket/prefix for every engine, or a
	// local directory for DuckDB.
	Location string
	// Table is NAME, SCHEMA.NAME or (Trino, DuckDB) CATALOG.SCHEMA.NAME.
	// Empty means DefaultTable.
	Table string
	// Accounts are the account projection's values (Athena). Empty means an
	// injected projection: queries must then name the account.
	Accounts []string
	// Regions are the region projection's values (Athena). Empty means
	// DefaultRegions.
	Regions []string
	// FirstDay is the first day of the day projection (Athena), yyyy-mm-dd.
	// Empty means DefaultFirstDay.
	FirstDay string
}

// DDL returns the CREATE statement(s) for the lake whose files have the
// given schema, ending with a newline.
func DDL(schema *parquet.Schema, cfg DDLConfig) (string, error) {
	table, err := parseTable(cfg.Engine, cfg.Table)
	if err != nil {
		return "", err
	}
	switch cfg.Engine {
	case DuckDB:
		loc, err := duckLocation(cfg.Location)
		if err != nil {
			return "", err
		}
		return duckDDL(table, loc), nil
	case Athena, Trino:
		loc, err := s3Location(cfg.Location)
		if err != nil {
			return "", err
		}
		cols, err := columnsOf(schema)
		if err != nil {
			return "", err
		}
		if cfg.Engine == Trino {
			return trinoDDL(table, loc, cols), nil
		}
		return athenaDDL(table, loc, cols, cfg)
	}
	return "", fmt.Errorf("unknown engine %q: want athena, trino or duckdb", cfg.Engine)
}

var identRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })

// parseTable splits and validates [catalog.][schema.]name.
func parseTable(e Engine, s string) ([]string, error) {
	if s == "" {
		s = DefaultTable
	}
	parts := strings.Split(s, ".")
	max := 3
	if e == Athena {
		max = 2 // database.table; the catalog is the workgroup's
	}
	if len(parts) > max {
		return nil, fmt.Errorf("table name %q has %d parts; %s takes at most %d (%s)", s, len(parts), e, max,
			map[bool]string{true: "database.table", false: "catalog.schema.table"}[e == Athena])
	}
	for _, p := range parts {
		if !identRe().MatchString(p) || len(p) > 255 {
			return nil, fmt.Errorf("table name %q: part %q is not an identifier (letters, digits and _, not starting with a digit)", s, p)
		}
	}
	if e != DuckDB {
		// The Hive metastore and Glue store names in lower case; the
		// procedure call below names the table by string.
		for i := range parts {
			parts[i] = strings.ToLower(parts[i])
		}
	}
	return parts, nil
}

// s3PrefixRe admits the S3 key characters AWS calls safe, minus those that
// mean something in SQL strings, Hive DDL or projection templates.
var s3PrefixRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._\-/=+!()]*$`) })
var s3BucketRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`) })

// s3Location validates an s3:// URL and returns it with one trailing slash.
func s3Location(s string) (string, error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return "", fmt.Errorf("location %q: want s3://bucket/prefix (the lake's S3 location)", s)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if !s3BucketRe().MatchString(bucket) {
		return "", fmt.Errorf("location %q: invalid bucket name %q", s, bucket)
	}
	prefix = strings.Trim(prefix, "/")
	if !s3PrefixRe().MatchString(prefix) || strings.Contains(prefix, "//") {
		return "", fmt.Errorf("location %q: prefix %q may hold only letters, digits and . _ - / = + ! ( )", s, prefix)
	}
	if prefix == "" {
		return "s3://" + bucket + "/", nil
	}
	return "s3://" + bucket + "/" + prefix + "/", nil
}

// duckLocation validates an s3:// URL or a directory for DuckDB.
func duckLocation(s string) (string, error) {
	if strings.HasPrefix(s, "s3://") {
		return s3Location(s)
	}
	if s == "" {
		return "", fmt.Errorf("empty location: want a lake directory or s3://bucket/prefix")
	}
	if strings.Contains(s, "://") {
		return "", fmt.Errorf("location %q: want a lake directory or s3://bucket/prefix", s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || strings.ContainsRune("*?[]{}", r) {
			return "", fmt.Errorf("location %q: directory names with control or glob characters (*?[]{}) are not supported", s)
		}
	}
	return strings.TrimRight(s, "/") + "/", nil
}

// sqlString is a SQL string literal (” escapes a quote).
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// --- the schema walk ---

type kind uint8

const (
	kString kind = iota
	kBool
	kInt32
	kInt64
	kFloat
	kDouble
	kTimestamp
	kStruct
	kArray
)

type colType struct {
	kind   kind
	fields []column // kStruct
	elem   *colType // kArray
}

type column struct {
	name string
	typ  colType
}

// columnsOf walks the schema's top-level fields.
func columnsOf(schema *parquet.Schema) ([]column, error) {
	if schema == nil {
		return nil, fmt.Errorf("no schema")
	}
	var cols []column
	for _, f := range schema.Fields() {
		c, err := columnOf(f, f.Name())
		if err != nil {
			return nil, err
		}
		if slices.Contains(PartitionColumns, strings.ToLower(c.name)) {
			return nil, fmt.Errorf("column %q has the name of a partition key", c.name)
		}
		cols = append(cols, c)
	}
	return cols, nil
}

func columnOf(f parquet.Field, path string) (column, error) {
	if !identRe().MatchString(f.Name()) {
		return column{}, fmt.Errorf("column %q: name is not an identifier every engine accepts unquoted in types", path)
	}
	t, err := typeOf(f, path)
	if err != nil {
		return column{}, err
	}
	if f.Repeated() {
		t = colType{kind: kArray, elem: &t} // a bare repeated field (no LIST annotation)
	}
	return column{name: f.Name(), typ: t}, nil
}

func typeOf(n parquet.Node, path string) (colType, error) {
	if n.Leaf() {
		return leafType(n, path)
	}
	if lt := n.Type().LogicalType(); lt != nil {
		if _, ok := lt.Value.(*format.ListType); ok {
			return listType(n, path)
		}
		if lt.Value != nil {
			return colType{}, fmt.Errorf("column %s: group with logical type %s is not supported", path, lt)
		}
	}
	var fields []column
	for _, f := range n.Fields() {
		c, err := columnOf(f, path+"."+f.Name())
		if err != nil {
			return colType{}, err
		}
		fields = append(fields, c)
	}
	if len(fields) == 0 {
		return colType{}, fmt.Errorf("column %s: empty group", path)
	}
	return colType{kind: kStruct, fields: fields}, nil
}

// listType reads the standard three-level LIST: <list> { repeated group list { element } }.
func listType(n parquet.Node, path string) (colType, error) {
	fs := n.Fields()
	if len(fs) != 1 || !fs[0].Repeated() {
		return colType{}, fmt.Errorf("column %s: LIST without one repeated child", path)
	}
	inner := fs[0]
	var elem colType
	var err error
	switch {
	case inner.Leaf():
		elem, err = leafType(inner, path+".list")
	case len(inner.Fields()) == 1:
		elem, err = typeOf(inner.Fields()[0], path+".list.element")
	default:
		elem, err = typeOf(inner, path+".list")
	}
	if err != nil {
		return colType{}, err
	}
	return colType{kind: kArray, elem: &elem}, nil
}

func leafType(n parquet.Node, path string) (colType, error) {
	t := n.Type()
	if lt := t.LogicalType(); lt != nil && lt.Value != nil {
		switch v := lt.Value.(type) {
		case *format.StringType, *format.JsonType, *format.EnumType:
			return colType{kind: kString}, nil
		case *format.TimestampType:
			if !v.IsAdjustedToUTC {
				return colType{}, fmt.Errorf("column %s: timestamp not adjusted to UTC is not supported", path)
			}
			return colType{kind: kTimestamp}, nil
		case *format.IntType:
			if v.BitWidth <= 32 && v.IsSigned {
				return colType{kind: kInt32}, nil
			}
			if v.BitWidth <= 64 && v.IsSigned {
				return colType{kind: kInt64}, nil
			}
		}
		return colType{}, fmt.Errorf("column %s: logical type %s is not supported", path, lt)
	}
	switch t.Kind() {
	case parquet.Boolean:
		return colType{kind: kBool}, nil
	case parquet.Int32:
		return colType{kind: kInt32}, nil
	case parquet.Int64:
		return colType{kind: kInt64}, nil
	case parquet.Float:
		return colType{kind: kFloat}, nil
	case parquet.Double:
		return colType{kind: kDouble}, nil
	}
	return colType{}, fmt.Errorf("column %s: physical type %s without a logical type is not supported", path, t.Kind())
}

// --- Athena ---

func athenaType(t colType) string {
	switch t.kind {
	case kString:
		return "string"
	case kBool:
		return "boolean"
	case kInt32:
		return "int"
	case kInt64:
		return "bigint"
	case kFloat:
		return "float"
	case kDouble:
		return "double"
	case kTimestamp:
		return "timestamp"
	case kArray:
		return "array<" + athenaType(*t.elem) + ">"
	}
	parts := make([]string, len(t.fields))
	for i, f := range t.fields {
		parts[i] = f.name + ":" + athenaType(f.typ)
	}
	return "struct<" + strings.Join(parts, ",") + ">"
}

func backtick(parts ...string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = "`" + p + "`"
	}
	return strings.Join(out, ".")
}

func athenaDDL(table []string, loc string, cols []column, cfg DDLConfig) (string, error) {
	for _, a := range cfg.Accounts {
		if !layout.ValidAccount(a) {
			return "", fmt.Errorf("account %q: want 12 digits", a)
		}
	}
	regions := cfg.Regions
	if len(regions) == 0 {
		regions = DefaultRegions
	}
	for _, r := range regions {
		if !layout.ValidRegion(r) {
			return "", fmt.Errorf("region %q: not a region name", r)
		}
	}
	first := cfg.FirstDay
	if first == "" {
		first = DefaultFirstDay
	}
	if k := (partition.Key{Account: "000000000000", Region: "us-east-1", Day: first}); k.Validate() != nil {
		return "", fmt.Errorf("first day %q: want yyyy-mm-dd", first)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE %s (\n", backtick(table...))
	for i, c := range cols {
		sep := ","
		if i == len(cols)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  %s %s%s\n", backtick(c.name), athenaType(c.typ), sep)
	}
	b.WriteString(")\n")
	fmt.Fprintf(&b, "PARTITIONED BY (`account` string, `region` string, `day` string)\n")
	b.WriteString("STORED AS PARQUET\n")
	fmt.Fprintf(&b, "LOCATION %s\n", sqlString(loc))
	b.WriteString("TBLPROPERTIES (\n")
	props := [][2]string{{"projection.enabled", "true"}}
	if len(cfg.Accounts) == 0 {
		props = append(props, [2]string{"projection.account.type", "injected"})
	} else {
		props = append(props, [2]string{"projection.account.type", "enum"},
			[2]string{"projection.account.values", strings.Join(sortedUnique(cfg.Accounts), ",")})
	}
	props = append(props,
		[2]string{"projection.region.type", "enum"},
		[2]string{"projection.region.values", strings.Join(sortedUnique(regions), ",")},
		[2]string{"projection.day.type", "date"},
		[2]string{"projection.day.format", "yyyy-MM-dd"},
		[2]string{"projection.day.range", first + ",NOW"},
		[2]string{"projection.day.interval", "1"},
		[2]string{"projection.day.interval.unit", "DAYS"},
		[2]string{"storage.location.template", loc + "account=${account}/region=${region}/day=${day}"},
	)
	for i, p := range props {
		sep := ","
		if i == len(props)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  %s = %s%s\n", sqlString(p[0]), sqlString(p[1]), sep)
	}
	b.WriteString(");\n")
	return b.String(), nil
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// --- Trino ---

func quote(parts ...string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = `"` + p + `"`
	}
	return strings.Join(out, ".")
}

func trinoType(t colType) string {
	switch t.kind {
	case kString:
		return "varchar"
	case kBool:
		return "boolean"
	case kInt32:
		return "integer"
	case kInt64:
		return "bigint"
	case kFloat:
		return "real"
	case kDouble:
		return "double"
	case kTimestamp:
		// The Hive connector creates timestamps as timestamp(3) only; the
		// catalog's timestamp precision decides what it reads.
		return "timestamp(3)"
	case kArray:
		return "ARRAY(" + trinoType(*t.elem) + ")"
	}
	parts := make([]string, len(t.fields))
	for i, f := range t.fields {
		parts[i] = quote(f.name) + " " + trinoType(f.typ)
	}
	return "ROW(" + strings.Join(parts, ", ") + ")"
}

func trinoDDL(table []string, loc string, cols []column) string {
	if len(table) == 1 {
		// The procedure below needs the schema: name it in both statements.
		table = []string{"default", table[0]}
	}
	var b strings.Builder
	b.WriteString("-- eventTime is read with the catalog's timestamp precision (milliseconds unless\n")
	b.WriteString("-- hive.timestamp-precision = MICROSECONDS); the lake stores microseconds.\n")
	fmt.Fprintf(&b, "CREATE TABLE %s (\n", quote(table...))
	for _, c := range cols {
		fmt.Fprintf(&b, "  %s %s,\n", quote(c.name), trinoType(c.typ))
	}
	for i, p := range PartitionColumns {
		sep := ","
		if i == len(PartitionColumns)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  %s varchar%s\n", quote(p), sep)
	}
	b.WriteString(")\nWITH (\n")
	fmt.Fprintf(&b, "  external_location = %s,\n", sqlString(loc))
	b.WriteString("  format = 'PARQUET',\n")
	b.WriteString("  partitioned_by = ARRAY['account', 'region', 'day']\n);\n")
	// The procedure takes the schema and table by name; without a catalog
	// both statements use the session's.
	call := "system.sync_partition_metadata"
	schema, name := table[len(table)-2], table[len(table)-1]
	if len(table) == 3 {
		call = quote(table[0]) + "." + call
	}
	b.WriteString("-- Register the partition directories now and after new days are ingested:\n")
	fmt.Fprintf(&b, "CALL %s(schema_name => %s, table_name => %s, mode => 'FULL');\n", call, sqlString(schema), sqlString(name))
	return b.String()
}

// --- DuckDB ---

func duckDDL(table []string, loc string) string {
	// The glob names the partition levels, so ctq's own state under _ctq/
	// (staging, trash) is never read.
	glob := loc + "account=*/region=*/day=*/*.parquet"
	var b strings.Builder
	if strings.HasPrefix(loc, "s3://") {
		b.WriteString("-- s3:// needs DuckDB's httpfs extension (loaded automatically) and credentials, e.g.\n")
		b.WriteString("-- CREATE SECRET (TYPE s3, PROVIDER credential_chain);\n")
	}
	fmt.Fprintf(&b, "CREATE OR REPLACE VIEW %s AS\nSELECT * FROM read_parquet(%s,\n", quote(table...), sqlString(glob))
	b.WriteString("  hive_partitioning = true,\n")
	b.WriteString("  hive_types = {'account': VARCHAR, 'region': VARCHAR, 'day': VARCHAR},\n")
	b.WriteString("  union_by_name = true);\n")
	return b.String()
}
