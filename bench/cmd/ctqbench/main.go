package main

import (
	_ "github.com/ctq-dev/ctq/pkg/gen"
	_ "github.com/marcboeker/go-duckdb"
)

func main() {}
