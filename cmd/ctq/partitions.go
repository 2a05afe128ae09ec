package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/partition"
)

const partitionsLong = `Lists the lake's partitions (account, region, day) with their files, events,
bytes and first/last eventTime, from the lake's manifest.`

func init() { addCommand(15, "partitions", newPartitionsCmd) }

func newPartitionsCmd(e *env) *cobra.Command {
	var lf lakeFlags
	var out outputFlags
	c := &cobra.Command{
		Use:     "partitions",
		Short:   "list the lake's partitions with files, events, bytes and time range",
		Long:    partitionsLong,
		GroupID: "lake",
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			output, err := out.format(e)
			if err != nil {
				return err
			}
			l, err := lf.open(c.Context(), e)
			if err != nil {
				return err
			}
			snap, err := readSnapshot(c.Context(), l)
			if err != nil {
				return err
			}
			return writePartitions(e.stdout, summarizePartitions(snap), output)
		},
	}
	lf.register(c)
	out.register(c, "", "table", "json", "csv")
	return c
}

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
	if output == "csv" {
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"account", "region", "day", "files", "events", "bytes", "firstEventTime", "lastEventTime"})
		for _, r := range rows {
			_ = cw.Write([]string{r.Account, r.Region, r.Day, strconv.Itoa(r.Files), strconv.FormatInt(r.Events, 10),
				strconv.FormatInt(r.Bytes, 10), r.First.Format(time.RFC3339), r.Last.Format(time.RFC3339)})
		}
		cw.Flush()
		return cw.Error()
	}
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
