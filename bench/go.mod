module github.com/ctq-dev/ctq/bench

go 1.26.8

replace github.com/ctq-dev/ctq => ../

require (
	github.com/ctq-dev/ctq v0.0.0-00010101000000-000000000000
	github.com/marcboeker/go-duckdb v1.8.5
)
