package scratch

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ctq-dev/ctq/internal/proc"
)

func TestSweep(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if proc.Alive(cmd.Process.Pid) {
		t.Skip("the id of the exited process was reused at once")
	}
	host, _, _ := strings.Cut(proc.Tag(), "-")
	dead := prefix + host + "-" + strconv.Itoa(cmd.Process.Pid) + "--"

	dir := t.TempDir()
	files := map[string]bool{ // name: removed
		filepath.Base(Path(dir, "part-a.parquet")): false, // this live process
		dead + "part-b.parquet":                    true,
		dead + "compact-123.parquet":               true,
		"ctq-otherhost-1--part-c.parquet":          false, // another host
		"ctq-part-d.parquet":                       false, // no writer tag
		"unrelated.txt":                            false,
	}
	var want []string
	for name, removed := range files {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if !removed {
			want = append(want, name)
		}
	}
	got, err := Sweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(files)-len(want) {
		t.Errorf("Sweep removed %q", got)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range ents {
		left = append(left, e.Name())
	}
	sort.Strings(want)
	if strings.Join(left, ",") != strings.Join(want, ",") {
		t.Errorf("left %q, want %q", left, want)
	}
	if got, err := Sweep(filepath.Join(dir, "missing")); err != nil || len(got) != 0 {
		t.Errorf("Sweep(missing dir) = %q, %v", got, err)
	}
}
