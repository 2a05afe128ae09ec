package layout

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// listOf lists the prefixes of a set of keys, like a bucket with "/" as
// the delimiter.
func listOf(keys ...string) ListPrefixes {
	return func(_ context.Context, p string) ([]string, error) {
		var out []string
		for _, k := range keys {
			if rest, ok := strings.CutPrefix(k, p); ok {
				if i := strings.IndexByte(rest, '/'); i >= 0 {
					out = append(out, p+rest[:i+1])
				}
			}
		}
		slices.Sort(out)
		return slices.Compact(out), nil
	}
}

func TestFindRoots(t *testing.T) {
	const obj = "111122223333/CloudTrail/us-east-1/2024/03/01/x.json.gz"
	for _, tc := range []struct {
		name string
		keys []string
		want []string
	}{
		{"at the root", []string{"AWSLogs/" + obj}, []string{"AWSLogs/"}},
		{"under a prefix", []string{"trail/AWSLogs/" + obj}, []string{"trail/AWSLogs/"}},
		{"two levels down, several", []string{"a/b/AWSLogs/" + obj, "c/d/AWSLogs/" + obj, "c/e/x"}, []string{"a/b/AWSLogs/", "c/d/AWSLogs/"}},
		{"too deep", []string{"a/b/c/AWSLogs/" + obj}, nil},
		{"a level with AWSLogs is not searched further", []string{"AWSLogs/" + obj, "x/AWSLogs/" + obj}, []string{"AWSLogs/"}},
		{"staging folders skipped", []string{"_tmp/AWSLogs/" + obj, ".cache/AWSLogs/" + obj}, nil},
		{"empty", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FindRoots(context.Background(), listOf(tc.keys...))
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("FindRoots = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	boom := errors.New("boom")
	_, err := FindRoots(context.Background(), func(context.Context, string) ([]string, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("a listing error was not returned: %v", err)
	}
}

func TestLastSegment(t *testing.T) {
	for in, want := range map[string]string{"a/b/": "b", "a/b": "b", "b/": "b", "b": "b", "": ""} {
		if got := LastSegment(in); got != want {
			t.Errorf("LastSegment(%q) = %q, want %q", in, got, want)
		}
	}
}
