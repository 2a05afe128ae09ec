package measure

import (
	"fmt"
	"os"
)

// TempWork is a work directory a harness made for one run (a smoke run's,
// or the default of a harness without a reusable work directory).
type TempWork struct {
	Dir string
}

// NewTempWork makes a fresh work directory in the system temp directory.
func NewTempWork(prefix string) (*TempWork, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, fmt.Errorf("create work dir: %w", err)
	}
	return &TempWork{Dir: dir}, nil
}

// WorkDir resolves a harness's work directory: dir when the user gave one,
// else def, except for a smoke run or an empty def, which get a fresh
// TempWork (returned, else nil) to Finish when the run ends.
func WorkDir(dir, def string, smoke bool, prefix string) (string, *TempWork, error) {
	if dir != "" {
		return dir, nil, nil
	}
	if def != "" && !smoke {
		return def, nil, nil
	}
	w, err := NewTempWork(prefix)
	if err != nil {
		return "", nil, err
	}
	return w.Dir, w, nil
}

// Finish removes the directory after a passing run (runErr nil), so a run
// leaves nothing behind; after a failing one it keeps it for a look and
// says where on logf. It returns runErr, or the removal's error. A nil
// TempWork (a work directory the user chose) is left alone.
func (w *TempWork) Finish(runErr error, logf func(string, ...any)) error {
	if w == nil {
		return runErr
	}
	if runErr != nil {
		logf("kept the work directory %s for a look (remove it when done)", w.Dir)
		return runErr
	}
	if err := os.RemoveAll(w.Dir); err != nil {
		return fmt.Errorf("remove work dir: %w", err)
	}
	return nil
}
