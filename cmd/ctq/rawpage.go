package main

import (
	"github.com/spf13/cobra"
)

// rawPageFlag is --raw-page-size, the raw record column's page size of
// the data files a command writes (ingest, compact, watch).
type rawPageFlag struct{ size string }

func (f *rawPageFlag) register(c *cobra.Command) {
	c.Flags().StringVar(&f.size, "raw-page-size", "", "uncompressed size of the raw record pages of the files written, 4KiB to 256KiB (default: 256KiB pages); small pages let a remote lake print a few records with small reads, at the price of a larger lake")
}

// bytes returns the size in bytes, 0 for the default.
func (f *rawPageFlag) bytes() (int, error) {
	if f.size == "" {
		return 0, nil
	}
	n, err := parseSize(f.size)
	if err != nil {
		return 0, usagef("--raw-page-size: %v", err)
	}
	return int(n), nil
}
