module github.com/ctq-dev/ctq/bench

go 1.26.8

replace github.com/ctq-dev/ctq => ../

require (
	github.com/ctq-dev/ctq v0.0.0-00010101000000-000000000000
	github.com/marcboeker/go-duckdb v1.8.5
)

require (
	github.com/apache/arrow-go/v18 v18.8.0 // indirect
	github.com/go-viper/mapstructure/v2 v2.4.0 // indirect
	github.com/goccy/go-json v0.10.6 // indirect
	github.com/google/flatbuffers v25.12.19+incompatible // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/klauspost/cpuid/v2 v2.4.0 // indirect
	github.com/pierrec/lz4/v4 v4.1.29 // indirect
	github.com/zeebo/xxh3 v1.1.0 // indirect
	golang.org/x/exp v0.0.0-20260112195511-716be5621a96 // indirect
	golang.org/x/sys v0.47.0 // indirect
)
