package interop

// QuoteTable validates a table name as DDL does (NAME, SCHEMA.NAME or, for
// Trino and DuckDB, CATALOG.SCHEMA.NAME; empty means DefaultTable) and
// returns it as a query names it: each part in double quotes, lower case
// for Athena and Trino, whose metastores store names that way.
func QuoteTable(e Engine, s string) (string, error) {
	parts, err := parseTable(e, s)
	if err != nil {
		return "", err
	}
	return quote(parts...), nil
}
