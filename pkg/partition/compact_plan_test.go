package partition

import (
	"fmt"
	"testing"
	"time"
)

func file(part string, n int, bytes int64, minute int) File {
	t := time.Date(2024, 3, 1, 0, minute, 0, 0, time.UTC)
	return File{Path: fmt.Sprintf("%s/f%03d.parquet", part, n), Bytes: bytes, Rows: bytes / 100, MinTime: t, MaxTime: t.Add(time.Minute)}
}

func TestPlanCompaction(t *testing.T) {
	const mib = 1 << 20
	pa := "account=111122223333/region=us-east-1/day=2024-03-01"
	pb := "account=111122223333/region=eu-west-1/day=2024-03-01"
	pol := CompactionPolicy{TargetBytes: 100 * mib, DoneFraction: 0.75}
	cases := []struct {
		name    string
		files   []File
		want    map[string][]string // partition -> input paths in order
		outputs map[string]int
	}{
		{"empty lake", nil, map[string][]string{}, nil},
		{"one small file is left alone", []File{file(pa, 1, 5*mib, 0)}, map[string][]string{}, nil},
		{"two small files merge", []File{file(pa, 2, 5*mib, 10), file(pa, 1, 5*mib, 0)},
			map[string][]string{pa: {pa + "/f001.parquet", pa + "/f002.parquet"}}, map[string]int{pa: 1}},
		{"large files stay, small ones merge", []File{file(pa, 1, 95*mib, 0), file(pa, 2, 98*mib, 1), file(pa, 3, 10*mib, 2), file(pa, 4, 20*mib, 3)},
			map[string][]string{pa: {pa + "/f003.parquet", pa + "/f004.parquet"}}, map[string]int{pa: 1}},
		{"whole partition when large files would keep it above ceil(bytes/target)", []File{file(pa, 1, 80*mib, 0), file(pa, 2, 80*mib, 1), file(pa, 3, 10*mib, 2), file(pa, 4, 20*mib, 3)},
			map[string][]string{pa: {pa + "/f001.parquet", pa + "/f002.parquet", pa + "/f003.parquet", pa + "/f004.parquet"}}, map[string]int{pa: 2}},
		{"a file with duplicates is rewritten even alone", []File{func() File { f := file(pa, 1, 90*mib, 0); f.Dups = 3; return f }(), file(pb, 1, 90*mib, 0)},
			map[string][]string{pa: {pa + "/f001.parquet"}}, map[string]int{pa: 1}},
		{"many small files cut to ceil(bytes/target)", func() []File {
			var fs []File
			for i := 0; i < 50; i++ {
				fs = append(fs, file(pa, i, 5*mib, i))
			}
			return fs
		}(), nil, map[string]int{pa: 3}},
		{"partitions are planned separately", []File{file(pa, 1, mib, 0), file(pb, 1, mib, 0), file(pb, 2, mib, 1)},
			map[string][]string{pb: {pb + "/f001.parquet", pb + "/f002.parquet"}}, map[string]int{pb: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			groups := PlanCompaction(tc.files, pol)
			if tc.want != nil {
				if len(groups) != len(tc.want) {
					t.Fatalf("%d groups, want %d: %+v", len(groups), len(tc.want), groups)
				}
				for _, g := range groups {
					want := tc.want[g.Partition.Dir()]
					if len(g.Inputs) != len(want) {
						t.Fatalf("%s: %d inputs, want %d", g.Partition, len(g.Inputs), len(want))
					}
					for i, f := range g.Inputs {
						if f.Path != want[i] {
							t.Fatalf("%s input %d = %s, want %s", g.Partition, i, f.Path, want[i])
						}
					}
				}
			}
			for _, g := range groups {
				if want, ok := tc.outputs[g.Partition.Dir()]; ok && g.Outputs != want {
					t.Fatalf("%s: %d outputs, want %d", g.Partition, g.Outputs, want)
				}
				var bytes int64
				for _, f := range g.Inputs {
					bytes += f.Bytes
				}
				if g.Bytes != bytes {
					t.Fatalf("group bytes %d, inputs sum to %d", g.Bytes, bytes)
				}
			}
		})
	}
}

func TestPlanCompaction_Full(t *testing.T) {
	const mib = 1 << 20
	pa := "account=111122223333/region=us-east-1/day=2024-03-01"
	pb := "account=111122223333/region=eu-west-1/day=2024-03-01"
	files := []File{file(pa, 1, 90*mib, 0), file(pa, 2, 95*mib, 1), file(pb, 1, 99*mib, 0)}
	if g := PlanCompaction(files, CompactionPolicy{TargetBytes: 100 * mib, DoneFraction: 0.75}); len(g) != 0 {
		t.Fatalf("default policy merges large files: %+v", g)
	}
	g := PlanCompaction(files, CompactionPolicy{TargetBytes: 100 * mib, DoneFraction: 0.75, Full: true})
	if len(g) != 1 || g[0].Partition.Dir() != pa || len(g[0].Inputs) != 2 || g[0].Outputs != 2 {
		t.Fatalf("full policy: %+v, want partition %s merged whole into 2 files (the single-file partition left alone)", g, pa)
	}
}

func TestPlanCompaction_Deterministic(t *testing.T) {
	var fs []File
	for i := 0; i < 20; i++ {
		fs = append(fs, file(fmt.Sprintf("account=111122223333/region=us-east-1/day=2024-03-%02d", 1+i%5), i, 1<<20, i))
	}
	a := PlanCompaction(fs, DefaultCompactionPolicy())
	for i := 0; i < 10; i++ {
		b := PlanCompaction(fs, DefaultCompactionPolicy())
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatal("plan depends on map order")
		}
	}
}

func TestCompactionPolicy_Validate(t *testing.T) {
	if err := (CompactionPolicy{TargetBytes: 10, DoneFraction: 0.5}).Validate(); err == nil {
		t.Fatal("tiny target accepted")
	}
	if err := (CompactionPolicy{TargetBytes: 1 << 30, DoneFraction: 1.5}).Validate(); err == nil {
		t.Fatal("fraction above 1 accepted")
	}
	if err := DefaultCompactionPolicy().Validate(); err != nil {
		t.Fatal(err)
	}
}
