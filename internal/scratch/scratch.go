// Package scratch names the local scratch files a writer of an object-store
// lake stages its data files in, so that the next run removes those a
// killed process left behind.
package scratch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ctq-dev/ctq/internal/proc"
)

// prefix starts every scratch file name; proc.Tag and "--" follow, then the
// caller's name: "ctq-<host>-<pid>--<name>".
const prefix = "ctq-"

// Path returns the path of this process's scratch file name in dir. name
// must be a plain file name (no separators).
func Path(dir, name string) string {
	return filepath.Join(dir, prefix+proc.Tag()+"--"+name)
}

// Pattern returns an os.CreateTemp pattern for a scratch file of this
// process; pattern is as for os.CreateTemp.
func Pattern(pattern string) string { return prefix + proc.Tag() + "--" + pattern }

// Sweep removes the scratch files in dir whose process ran on this host and
// has exited. Files of live processes, of other hosts and any other files
// are left alone. It returns the paths it removed.
func Sweep(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("sweep scratch files in %s: %w", dir, err)
	}
	var removed []string
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || e.IsDir() {
			continue
		}
		tag, _, ok := strings.Cut(rest, "--")
		if !ok || !proc.Gone(tag) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("remove abandoned scratch file %s: %w", p, err)
		}
		removed = append(removed, p)
	}
	return removed, nil
}
