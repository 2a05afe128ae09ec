package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/ctq-dev/ctq/pkg/partition"
)

const partitionsUsage = `ctq partitions [flags]

Lists the lake's partitions (account, region, day) with their files, events,
bytes and first/last eventTime, from the lake's manifest.`

func cmdPartitions(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("partitions", flag.ContinueOnError)
	var lake, output string
	var aws awsFlags
	fs.StringVar(&lake, "lake", "", "lake location: DIR or s3://bucket/prefix (default $CTQ_LAKE, else the per-user lake)")
	aws.register(fs)
	fs.StringVar(&output, "output", "", "table or json (default: table on a terminal, else json)")
	pos, err := parseCommandArgs(e, fs, args, partitionsUsage)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("partitions: unexpected argument %q", pos[0])
	}
	if output == "" {
		output = "json"
		if isTerminal(e.stdout) {
			output = "table"
		}
	}
	if output != "table" && output != "json" {
		return usagef("--output %q: want table or json", output)
	}
	l, err := openLake(ctx, e, lake, &aws)
	if err != nil {
		return err
	}
	snap, err := readSnapshot(ctx, l)
	if err != nil {
		return err
	}
	return writePartitions(e.stdout, summarizePartitions(snap), output)
}

// partitionRow is one line of the inventory.
type partitionRow struct {
	Account string    `json:"account"`
	Region  string    `json:"region"`
	Day     string    `json:"day"`
	Files   int       `json:"files"`
	Events  int64     `json:"events"`
	Bytes   int64     `json:"bytes"`
	First   time.Time `json:"firstEventTime"`
	Last    time.Time `json:"lastEventTime"`
}

func summarizePartitions(snap *partition.Snapshot) []partitionRow {
	byKey := map[partition.Key]*partitionRow{}
	for _, f := range snap.Files {
		k := f.Partition()
		r, ok := byKey[k]
		if !ok {
			r = &partitionRow{Account: k.Account, Region: k.Region, Day: k.Day, First: f.MinTime, Last: f.MaxTime}
			byKey[k] = r
		}
		r.Files++
		r.Events += f.Rows
		r.Bytes += f.Bytes
		if f.MinTime.Before(r.First) {
			r.First = f.MinTime
		}
		if f.MaxTime.After(r.Last) {
			r.Last = f.MaxTime
		}
	}
	rows := make([]partitionRow, 0, len(byKey))
	for _, r := range byKey {
		rows = append(rows, *r)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		return a.Day < b.Day
	})
	return rows
}

func writePartitions(w io.Writer, rows []partitionRow, output string) error {
	if output == "json" {
		enc := json.NewEncoder(w)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ACCOUNT\tREGION\tDAY\tFILES\tEVENTS\tBYTES\tFIRST EVENT\tLAST EVENT\t")
	var files int
	var events, bytes int64
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t\n", r.Account, r.Region, r.Day, r.Files, r.Events,
			humanBytes(r.Bytes), r.First.Format(time.RFC3339), r.Last.Format(time.RFC3339))
		files += r.Files
		events += r.Events
		bytes += r.Bytes
	}
	fmt.Fprintf(tw, "%d partitions\t\t\t%d\t%d\t%s\t\t\t\n", len(rows), files, events, humanBytes(bytes))
	return tw.Flush()
}
