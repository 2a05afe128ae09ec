package layout

import (
	"context"
	"strings"
)

// MaxRootDepth bounds the search for AWSLogs/ below a source's root: the
// prefix itself (a trail's S3 key prefix), and up to two more levels
// (AWSLogs/ under a bucket prefix chosen per trail).
const MaxRootDepth = 3

// ListPrefixes lists the "/"-delimited common prefixes directly under
// prefix, in key order.
type ListPrefixes func(ctx context.Context, prefix string) ([]string, error)

// FindRoots returns the AWSLogs/ prefixes of a source, searched from its
// root ("") at most MaxRootDepth levels down, in key order. A level that
// has AWSLogs/ is not searched further; prefixes that start with "_" or
// "." (tool and staging folders) are skipped. A source without any
// AWSLogs/ returns none and no error: the caller says what that means.
func FindRoots(ctx context.Context, list ListPrefixes) ([]string, error) {
	return findRoots(ctx, list, "", 0)
}

func findRoots(ctx context.Context, list ListPrefixes, p string, depth int) ([]string, error) {
	subs, err := list(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, s := range subs {
		if IsRoot(s) {
			return []string{s}, nil
		}
	}
	if depth+1 >= MaxRootDepth {
		return nil, nil
	}
	var roots []string
	for _, s := range subs {
		if name := LastSegment(s); strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") {
			continue
		}
		r, err := findRoots(ctx, list, s, depth+1)
		if err != nil {
			return nil, err
		}
		roots = append(roots, r...)
	}
	return roots, nil
}

// LastSegment returns the last component of a key or prefix, without a
// trailing "/".
func LastSegment(prefix string) string {
	s := strings.TrimSuffix(prefix, "/")
	return s[strings.LastIndexByte(s, '/')+1:]
}
