package main

import (
	"database/sql"
	"fmt"
	"os"
	"time"

	_ "github.com/marcboeker/go-duckdb"
)

func main() {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	for _, q := range os.Args[1:] {
		t := time.Now()
		rows, err := db.Query(q)
		if err != nil {
			fmt.Println("ERR", err)
			continue
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			v := make([]any, len(cols))
			p := make([]any, len(cols))
			for i := range v {
				p[i] = &v[i]
			}
			rows.Scan(p...)
			fmt.Println(v...)
		}
		if err := rows.Err(); err != nil {
			fmt.Println("ERR", err)
		}
		rows.Close()
		fmt.Println("took", time.Since(t))
	}
}
