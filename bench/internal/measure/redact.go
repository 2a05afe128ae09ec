package measure

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Redact replaces each key of repl in s by its value, longest key first (so
// a work directory inside the repository is matched before the
// repository). Empty keys and "/" are ignored.
func Redact(s string, repl map[string]string) string {
	keys := make([]string, 0, len(repl))
	for k := range repl {
		if k != "" && k != "/" {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int { return len(b) - len(a) })
	for _, k := range keys {
		s = strings.ReplaceAll(s, k, repl[k])
	}
	return s
}

// PathNames maps this machine's directories to the placeholders published
// results use: the repository root to "<repo>", the temporary directory to
// "<tmp>", and each work directory given to "<work>". Results are
// published; the paths mean nothing elsewhere.
func PathNames(work ...string) map[string]string {
	m := map[string]string{filepath.Clean(os.TempDir()): "<tmp>"}
	if root, err := RepoRoot(); err == nil {
		m[root] = "<repo>"
	}
	for _, w := range work {
		if w != "" {
			if abs, err := filepath.Abs(w); err == nil {
				w = abs
			}
			m[filepath.Clean(w)] = "<work>"
		}
	}
	return m
}

// WriteRedacted writes data to path with the directories of PathNames(work...)
// replaced.
func WriteRedacted(path string, data []byte, work ...string) error {
	return os.WriteFile(path, []byte(Redact(string(data), PathNames(work...))), 0o644)
}
