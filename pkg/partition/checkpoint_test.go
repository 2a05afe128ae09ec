package partition

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// addCommits appends n ingest commits (a file, two sources, a day mark
// each) and one compaction that replaces the first two files still live.
func addCommits(t *testing.T, l *Lake, from, n int) {
	t.Helper()
	ctx := context.Background()
	snap, err := l.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < from+n; i++ {
		day := fmt.Sprintf("2024-03-%02d", 1+i%28)
		c := &Commit{Operation: "ingest", RunID: "r",
			Add: []File{{Path: fmt.Sprintf("account=111122223333/region=us-east-1/day=%s/f%d.parquet", day, i), Staging: fmt.Sprintf("_ctq/staging/r/f%d.parquet", i),
				Rows: int64(i + 1), Bytes: 100, MinTime: time.Unix(int64(i), 0).UTC(), MaxTime: time.Unix(int64(i+5), 0).UTC(),
				Ranges: map[string][2]string{"awsRegion": {"us-east-1", "us-east-1"}}, Values: valueSets(i)}},
			Sources: []Source{{Key: fmt.Sprintf("AWSLogs/111122223333/CloudTrail/us-east-1/k%d-a", i), Events: 3, Status: StatusOK, Verified: "valid"},
				{Key: fmt.Sprintf("AWSLogs/111122223333/CloudTrail/us-east-1/k%d-b", i), Status: StatusPartial, Error: "bad"}},
			Days: []DayMark{{Prefix: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/" + day[8:] + "/", UpTo: fmt.Sprintf("k%03d", i)}},
		}
		if err := l.Commit(ctx, snap, c, func(*Commit) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	files := snap.SortedFiles()
	if len(files) >= 2 {
		c := &Commit{Operation: "compact", RunID: "c", Remove: []string{files[0].Path, files[1].Path},
			Add: []File{{Path: files[0].Path + ".merged.parquet", Rows: files[0].Rows + files[1].Rows}}}
		if err := l.Commit(ctx, snap, c, func(*Commit) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
}

// valueSets varies the files' value sets: several columns, sets that
// cross a byte of the checkpoint's bitsets, an empty set (all null), and
// files with none.
func valueSets(i int) map[string][]string {
	if i%4 == 3 {
		return nil
	}
	names := []string{"A", "B"}
	for k := 0; k < i*3; k++ {
		names = append(names, fmt.Sprintf("N%02d", k))
	}
	sort.Strings(names)
	v := map[string][]string{"eventName": names, "errorCode": {}}
	if i%2 == 0 {
		v["eventSource"] = []string{fmt.Sprintf("s%d.amazonaws.com", i)}
	}
	return v
}

// sameState compares everything a snapshot exposes.
func sameState(t *testing.T, what string, got, want *Snapshot, filesOnly bool) {
	t.Helper()
	if got.Seq != want.Seq || got.Commits != want.Commits {
		t.Errorf("%s: seq %d commits %d, want %d %d", what, got.Seq, got.Commits, want.Seq, want.Commits)
	}
	if !reflect.DeepEqual(got.Files, want.Files) {
		t.Errorf("%s: files differ: %d vs %d", what, len(got.Files), len(want.Files))
	}
	if !reflect.DeepEqual(got.Removed, want.Removed) {
		t.Errorf("%s: removed differ: %v vs %v", what, got.Removed, want.Removed)
	}
	if filesOnly {
		if len(got.Sources) != 0 || len(got.Days) != 0 {
			t.Errorf("%s: files snapshot has %d sources, %d days", what, len(got.Sources), len(got.Days))
		}
		return
	}
	if !reflect.DeepEqual(got.Sources, want.Sources) || !reflect.DeepEqual(got.Days, want.Days) {
		t.Errorf("%s: sources or days differ: %d/%d sources, %d/%d days", what, len(got.Sources), len(want.Sources), len(got.Days), len(want.Days))
	}
}

func replay(t *testing.T, l *Lake, filesOnly bool) *Snapshot {
	t.Helper()
	s, err := l.loadSnapshot(context.Background(), filesOnly, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCheckpoint_EqualsReplay(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	addCommits(t, l, 0, 5)
	full, err := l.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Checkpoint(ctx, full); err != nil {
		t.Fatal(err)
	}
	addCommits(t, l, 5, 4)
	for _, filesOnly := range []bool{false, true} {
		var got *Snapshot
		if filesOnly {
			got, err = l.FilesSnapshot(ctx)
		} else {
			got, err = l.Snapshot(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		if got.base != full.Seq {
			t.Errorf("filesOnly=%v: loaded from checkpoint %d, want %d", filesOnly, got.base, full.Seq)
		}
		if got.tailCommits != 5 {
			t.Errorf("filesOnly=%v: replayed %d entries after the checkpoint, want 5", filesOnly, got.tailCommits)
		}
		sameState(t, fmt.Sprintf("checkpoint+tail (filesOnly=%v)", filesOnly), got, replay(t, l, filesOnly), filesOnly)
	}

	// A second checkpoint is preferred; the snapshot it is written from
	// starts counting its tail again.
	s, _ := l.Snapshot(ctx)
	if err := l.Checkpoint(ctx, s); err != nil {
		t.Fatal(err)
	}
	if s.tailCommits != 0 || s.base != s.Seq {
		t.Errorf("after Checkpoint: base %d tail %d", s.base, s.tailCommits)
	}
	got, _ := l.Snapshot(ctx)
	if got.base != s.Seq || got.tailCommits != 0 {
		t.Errorf("second checkpoint: base %d tail %d, want %d 0", got.base, got.tailCommits, s.Seq)
	}
	sameState(t, "second checkpoint", got, replay(t, l, false), false)
}

func TestCheckpoint_DamagedOrPartialFallsBack(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	addCommits(t, l, 0, 3)
	s1, _ := l.Snapshot(ctx)
	if err := l.Checkpoint(ctx, s1); err != nil {
		t.Fatal(err)
	}
	addCommits(t, l, 3, 3)
	s2, _ := l.Snapshot(ctx)
	if err := l.Checkpoint(ctx, s2); err != nil {
		t.Fatal(err)
	}
	addCommits(t, l, 6, 2)

	// The newest checkpoint lost its sources part (a crash between the two
	// writes is the other way round, but a deleted object must not matter
	// either): full readers use the older one, data readers the newer.
	if err := l.b.Delete(ctx, checkpointKey(s2.Seq, partSources)); err != nil {
		t.Fatal(err)
	}
	got, err := l.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.base != s1.Seq {
		t.Errorf("without the newest sources part: base %d, want %d", got.base, s1.Seq)
	}
	sameState(t, "older checkpoint", got, replay(t, l, false), false)
	fs, _ := l.FilesSnapshot(ctx)
	if fs.base != s2.Seq {
		t.Errorf("files snapshot: base %d, want %d", fs.base, s2.Seq)
	}
	sameState(t, "files of newest checkpoint", fs, replay(t, l, true), true)

	// A damaged checkpoint costs a full replay, not correctness.
	if err := l.b.Put(ctx, checkpointKey(s2.Seq, partFiles), strings.NewReader("not gzip"), 8); err != nil {
		t.Fatal(err)
	}
	fs, err = l.FilesSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fs.base != 0 {
		t.Errorf("damaged checkpoint used: base %d", fs.base)
	}
	sameState(t, "after a damaged checkpoint", fs, replay(t, l, true), true)
}

func TestCheckpoint_Policy(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	addCommits(t, l, 0, CheckpointCommits-2) // plus one compaction commit
	s, _ := l.Snapshot(ctx)
	if err := l.MaybeCheckpoint(ctx, s); err != nil {
		t.Fatal(err)
	}
	if seq, _ := l.latestCheckpoint(ctx, true); seq != 0 {
		t.Fatalf("checkpoint at %d commits: %d", s.tailCommits, seq)
	}
	addCommits(t, l, CheckpointCommits, 1)
	fsnap, _ := l.FilesSnapshot(ctx)
	if err := l.MaybeCheckpoint(ctx, fsnap); err != nil {
		t.Fatal(err)
	}
	if seq, _ := l.latestCheckpoint(ctx, false); seq != 0 {
		t.Fatalf("a files snapshot wrote checkpoint %d", seq)
	}
	if err := l.Checkpoint(ctx, fsnap); err == nil {
		t.Fatal("Checkpoint of a files snapshot: no error")
	}
	s, _ = l.Snapshot(ctx)
	if err := l.MaybeCheckpoint(ctx, s); err != nil {
		t.Fatal(err)
	}
	if seq, _ := l.latestCheckpoint(ctx, true); seq != s.Seq {
		t.Fatalf("after %d commits: checkpoint %d, want %d", s.Commits, seq, s.Seq)
	}
}

// A checkpoint written before value sets became bitsets (files carry
// "values" lists) is still read as it was written.
func TestCheckpoint_ReadsListValueSets(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	addCommits(t, l, 0, 6)
	s, _ := l.Snapshot(ctx)
	if err := l.Checkpoint(ctx, s); err != nil {
		t.Fatal(err)
	}
	legacy := map[string]any{"version": 1, "seq": s.Seq, "commits": s.Commits, "files": s.SortedFiles(), "removed": s.Removed}
	if err := l.putGzipJSON(ctx, checkpointKey(s.Seq, partFiles), legacy); err != nil {
		t.Fatal(err)
	}
	got, err := l.FilesSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.base != s.Seq {
		t.Fatalf("list-form checkpoint not used: base %d", got.base)
	}
	sameState(t, "list-form checkpoint", got, replay(t, l, true), true)
}

func TestCheckpoint_ValueSetEncoding(t *testing.T) {
	files := []File{
		{Path: "a", Values: map[string][]string{"eventName": {"x", "y"}, "errorCode": {}}},
		{Path: "b"},
		{Path: "c", Values: map[string][]string{"eventName": {"a", "b", "c", "d", "e", "f", "g", "h", "i", "y"}}},
	}
	tables, enc := encodeValueSets(files)
	if want := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "x", "y"}; !reflect.DeepEqual(tables["eventName"], want) {
		t.Errorf("eventName table %v, want %v", tables["eventName"], want)
	}
	if len(tables["errorCode"]) != 0 {
		t.Errorf("errorCode table %v, want empty", tables["errorCode"])
	}
	for i := range enc {
		if enc[i].Values != nil {
			t.Errorf("%s: encoded file keeps its value lists", enc[i].Path)
		}
		got, err := decodeValueSets(tables, &enc[i])
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, files[i]) {
			t.Errorf("round trip of %s: %+v, want %+v", files[i].Path, got, files[i])
		}
	}
	// The encoded document is what readers parse: it must not hold lists.
	doc, _ := json.Marshal(enc)
	if strings.Contains(string(doc), `"values"`) {
		t.Errorf("encoded files still hold value lists: %s", doc)
	}

	for _, bad := range []struct{ name, set string }{
		{"not base64", "**"},
		{"bit beyond the table", "AAAB"}, // bit 16 of an 11-entry table
	} {
		cf := checkpointFile{File: File{Path: "p"}, Sets: map[string]string{"eventName": bad.set}}
		if _, err := decodeValueSets(tables, &cf); err == nil || !strings.Contains(err.Error(), `"p"`) {
			t.Errorf("%s: err %v, want an error naming the file", bad.name, err)
		}
	}
}
