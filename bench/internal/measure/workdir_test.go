package measure

import (
	"errors"
	"os"
	"testing"
)

func TestTempWork_Finish(t *testing.T) {
	var logged []string
	logf := func(f string, _ ...any) { logged = append(logged, f) }

	w, err := NewTempWork("measure-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.Dir+"/f", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(nil, logf); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(w.Dir); !os.IsNotExist(err) {
		t.Errorf("after a passing run the work dir is still there (%v)", err)
	}

	w, err = NewTempWork("measure-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(w.Dir)
	runErr := errors.New("counts differ")
	if err := w.Finish(runErr, logf); err != runErr {
		t.Errorf("Finish returned %v, want the run's error", err)
	}
	if _, err := os.Stat(w.Dir); err != nil || len(logged) != 1 {
		t.Errorf("after a failing run: stat %v, %d log lines; want the dir kept and named", err, len(logged))
	}

	var none *TempWork
	if err := none.Finish(runErr, logf); err != runErr {
		t.Errorf("nil TempWork: %v", err)
	}
}
