package objstore_test

import (
	"testing"

	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/objstore/objstoretest"
)

// A local ReaderAt is pread(2) on the file opened: replacing the object
// (rename of a new file) leaves it reading the version it opened, and a
// read costs no request.
func TestLocal_ReaderAt(t *testing.T) {
	l, err := objstore.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got := objstoretest.ReaderAt(t, l, "ra"); got != objstoretest.ChangedOldBytes {
		t.Errorf("replaced object: reader failed, want it to keep reading the version opened")
	}
	if c := objstoretest.RequestCost(t, l, "ra"); c != 0 {
		t.Errorf("a local reader says a request costs %d bytes, want 0: reads are preads", c)
	}
}
