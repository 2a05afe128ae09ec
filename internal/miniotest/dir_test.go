package miniotest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDir_SameRuleAsInstallScript checks that the tests look for MinIO where
// scripts/install-minio puts it, for each way of choosing the directory.
func TestDir_SameRuleAsInstallScript(t *testing.T) {
	script, err := filepath.Abs("../../scripts/install-minio")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	cases := []struct {
		name, minioDir, xdg, want string
	}{
		{"home", "", "", filepath.Join(home, ".cache", "ctq-minio")},
		{"xdg", "", "/xdg/cache", "/xdg/cache/ctq-minio"},
		{"explicit", "/opt/minio", "/xdg/cache", "/opt/minio"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("HOME", home)
			t.Setenv("CTQ_MINIO_DIR", c.minioDir)
			t.Setenv("XDG_CACHE_HOME", c.xdg)
			if got := Dir(); got != c.want {
				t.Errorf("Dir() = %q, want %q", got, c.want)
			}
			out, err := exec.Command("bash", script, "--print-dir").Output()
			if err != nil {
				t.Fatalf("install-minio --print-dir: %v", err)
			}
			if got := strings.TrimSpace(string(out)); got != c.want {
				t.Errorf("install-minio --print-dir = %q, want %q", got, c.want)
			}
		})
	}
}
