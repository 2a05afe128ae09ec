package compact

import (
	"testing"

	"github.com/ctq-dev/ctq/internal/miniotest"
)

// TestMain reports the MinIO tests that were skipped in go test's output.
func TestMain(m *testing.M) { miniotest.Main(m) }
