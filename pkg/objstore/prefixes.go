package objstore

import (
	"context"
	"fmt"
)

// ListPrefixes returns the "/"-delimited common prefixes directly under
// prefix, in key order.
func ListPrefixes(ctx context.Context, b Bucket, prefix string) ([]string, error) {
	var out []string
	err := b.List(ctx, ListOptions{Prefix: prefix, Delimiter: "/"}, func(e Entry) error {
		if e.IsPrefix {
			out = append(out, e.Key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s/%s: %w", b, prefix, err)
	}
	return out, nil
}
