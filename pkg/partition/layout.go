// Package partition owns the lake's on-disk layout: Hive-style partition
// directories, the commit log that is the lake's manifest, and the protocol
// that makes data files visible atomically.
package partition

import (
	"fmt"
	"strings"
	"time"

	"github.com/ctq-dev/ctq/pkg/layout"
)

// Key identifies one partition.
type Key struct {
	Account string
	Region  string
	Day     string // yyyy-mm-dd, UTC
}

// DayOf formats a time as a partition day.
func DayOf(t time.Time) string { return t.UTC().Format("2006-01-02") }

// DayStart returns the start (UTC) of the partition's day.
func (k Key) DayStart() (time.Time, error) { return time.Parse("2006-01-02", k.Day) }

// Validate checks every component that becomes part of a path.
func (k Key) Validate() error {
	if !layout.ValidAccount(k.Account) {
		return fmt.Errorf("invalid account %q: want 12 digits", k.Account)
	}
	if !layout.ValidRegion(k.Region) {
		return fmt.Errorf("invalid region %q", k.Region)
	}
	if _, err := k.DayStart(); err != nil {
		return fmt.Errorf("invalid day %q: want yyyy-mm-dd", k.Day)
	}
	return nil
}

// Dir returns the partition's directory key, e.g.
// "account=111122223333/region=us-east-1/day=2024-03-01".
func (k Key) Dir() string {
	return "account=" + k.Account + "/region=" + k.Region + "/day=" + k.Day
}

// String implements fmt.Stringer.
func (k Key) String() string { return k.Dir() }

// ParseDir parses a partition directory key (as produced by Dir) from the
// start of a file path.
func ParseDir(path string) (Key, error) {
	parts := strings.SplitN(path, "/", 4)
	if len(parts) < 3 {
		return Key{}, fmt.Errorf("not a partition path: %q", path)
	}
	var k Key
	var ok1, ok2, ok3 bool
	k.Account, ok1 = strings.CutPrefix(parts[0], "account=")
	k.Region, ok2 = strings.CutPrefix(parts[1], "region=")
	k.Day, ok3 = strings.CutPrefix(parts[2], "day=")
	if !ok1 || !ok2 || !ok3 {
		return Key{}, fmt.Errorf("not a partition path: %q", path)
	}
	if err := k.Validate(); err != nil {
		return Key{}, fmt.Errorf("partition path %q: %w", path, err)
	}
	return k, nil
}
