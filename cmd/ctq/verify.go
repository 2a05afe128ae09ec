package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/pkg/integrity"
	"github.com/ctq-dev/ctq/pkg/integrity/awskeys"
	"github.com/ctq-dev/ctq/pkg/layout"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/termtext"
)

// keySource returns the public keys for a validation of loc: the keys file
// when given, else CloudTrail's ListPublicKeys for an S3 source on AWS.
func keySource(loc objstore.Location, aws *awsFlags, file string, since, until time.Time) (integrity.KeySource, error) {
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, usagef("--public-keys: %v", err)
		}
		ks, err := integrity.ParsePublicKeys(data)
		if err != nil {
			return nil, usagef("--public-keys %s: %v", file, err)
		}
		return ks, nil
	}
	if loc.Scheme != "s3" || aws.endpoint != "" {
		return nil, usagef("a local copy or an S3-compatible endpoint needs --public-keys FILE (save it with 'aws cloudtrail list-public-keys --start-time ... --end-time ... > keys.json')")
	}
	// CloudTrail returns only the current key when no start time is given.
	now := time.Now()
	if since.IsZero() {
		since = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC) // before log file validation existed
	}
	if until.IsZero() || until.After(now) {
		until = now
	}
	return integrity.NewRegionKeys(awskeys.Fetch(awskeys.Options{Profile: aws.profile}), since, until), nil
}

// verifyResult counts the verdicts an ingest --verify recorded.
type verifyResult struct {
	Checked  int `json:"checked"`
	Valid    int `json:"valid"`
	Pending  int `json:"pending"`
	Failures int `json:"failures"` // log files that failed
	// Problems lists every failure, digests included.
	Problems []integrity.Item `json:"problems,omitempty"`
}

// verifyIngested validates the lake's hashed, not yet verified source
// objects of this source against the trail's digests, from the hashes ingest
// recorded (no second download), and commits one verdict per object.
func verifyIngested(ctx context.Context, lake *partition.Lake, src objstore.Bucket, loc objstore.Location, keys integrity.KeySource, accounts, regions []string) (verifyResult, []integrity.Item, error) {
	var res verifyResult
	snap, err := lake.Snapshot(ctx)
	if err != nil {
		return res, nil, err
	}
	logs := map[string]string{}
	var since, until time.Time
	for _, s := range snap.Sources {
		if s.SHA256 == "" || s.Verified == string(integrity.Valid) || !strings.HasPrefix(s.URL, src.String()+"/") {
			continue
		}
		k, err := layout.ParseKey(s.Key)
		if err != nil {
			continue
		}
		logs[s.Key] = s.SHA256
		if since.IsZero() || k.Delivery.Before(since) {
			since = k.Delivery
		}
		if k.Delivery.After(until) {
			until = k.Delivery
		}
	}
	if len(logs) == 0 {
		return res, nil, nil
	}
	cfg := integrity.Config{Source: src, Keys: keys, Logs: logs, Accounts: accounts, Regions: regions,
		Since: since.Add(-time.Minute), Until: until.Add(time.Minute)}
	if loc.Scheme == "s3" {
		cfg.Bucket, cfg.Prefix = loc.Bucket, loc.Path
	}
	rep, err := integrity.Validate(ctx, cfg)
	if err != nil {
		return res, nil, err
	}
	var failures []integrity.Item
	c := &partition.Commit{Operation: "verify", RunID: partition.NewRunID(time.Now())}
	for _, it := range rep.Items {
		if it.Kind != integrity.KindLog {
			if it.Status.Failed() {
				failures = append(failures, it)
			}
			continue
		}
		s, ok := snap.Sources[it.Layout]
		if !ok || logs[it.Layout] == "" {
			continue
		}
		res.Checked++
		switch {
		case it.Status == integrity.Valid:
			res.Valid++
		case it.Status == integrity.Pending:
			res.Pending++
		default:
			res.Failures++
			failures = append(failures, it)
		}
		s.Verified, s.VerifyDetail = string(it.Status), it.Detail
		c.Sources = append(c.Sources, s)
	}
	if len(c.Sources) == 0 {
		return res, failures, nil
	}
	// A concurrent commit that re-records one of these objects wins: its
	// entry is newer than the verdict computed here.
	err = lake.Commit(ctx, snap, c, func(newer *partition.Commit) error {
		touched := map[string]bool{}
		for _, s := range newer.Sources {
			touched[s.Key] = true
		}
		kept := c.Sources[:0]
		for _, s := range c.Sources {
			if !touched[s.Key] {
				kept = append(kept, s)
			}
		}
		c.Sources = kept
		return nil
	})
	if err != nil {
		return res, failures, fmt.Errorf("record verdicts in %s: %w", lake, err)
	}
	// Best effort: without a checkpoint readers only replay more of the log.
	_ = lake.MaybeCheckpoint(ctx, snap)
	return res, failures, nil
}

// printVerify writes the verification summary of an ingest --verify.
func printVerify(w io.Writer, r verifyResult, failures []integrity.Item) {
	for i, it := range failures {
		if i == 50 {
			fmt.Fprintf(w, "... and %d more (run 'ctq validate' for the full report)\n", len(failures)-i)
			break
		}
		fmt.Fprintf(w, "integrity: %s %s %s: %s\n", it.Status, it.Kind, termtext.Escape(it.Key), termtext.Escape(it.Detail))
	}
	fmt.Fprintf(w, "  verified     %d objects: %d valid, %d pending (no digest yet), %d invalid\n", r.Checked, r.Valid, r.Pending, r.Failures)
}
