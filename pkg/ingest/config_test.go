package ingest_test

import (
	"strings"
	"testing"
)

// The batch size limits keep a batch's 32-bit offsets in range: values
// past them are refused with the offending value named.
func TestConfig_ValidateLimits(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name    string
		record  int
		memory  int
		rawPage int
		wantErr string
	}{
		{"defaults", 0, 0, 0, ""},
		{"largest allowed", 256 << 20, 1 << 30, 256 << 10, ""},
		{"record too large", 256<<20 + 1, 0, 0, "max record size 268435457 is above 256 MiB"},
		{"record too small", 1023, 0, 0, "below 1 KiB"},
		{"memory too large", 0, 1<<30 + 1, 0, "memory per worker 1073741825 is above 1024 MiB"},
		{"memory too small", 0, 1<<20 - 1, 0, "below 1 MiB"},
		{"smallest raw page", 0, 0, 4 << 10, ""},
		{"raw page too small", 0, 0, 4<<10 - 1, "raw page size 4095: want 0 (the default) or 4096 to 262144 bytes"},
		{"raw page too large", 0, 0, 256<<10 + 1, "raw page size 262145"},
		{"raw page negative", 0, 0, -1, "raw page size -1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := e.config()
			if c.record != 0 {
				cfg.MaxRecordBytes = c.record
			}
			if c.memory != 0 {
				cfg.MemoryPerWorker = c.memory
			}
			cfg.RawPageBytes = c.rawPage
			err := cfg.Validate()
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Errorf("error %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}
