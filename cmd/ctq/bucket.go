package main

import (
	"context"

	"github.com/ctq-dev/ctq/pkg/objstore"
	s3store "github.com/ctq-dev/ctq/pkg/objstore/s3"
)

// openBucket opens the bucket at a parsed location: a local directory, or an
// S3 bucket below a prefix with the given options. It is the one place that
// wires the S3 implementation in; libraries only see objstore.Bucket.
func openBucket(ctx context.Context, loc objstore.Location, o s3store.Options) (objstore.Bucket, error) {
	if loc.Scheme == "s3" {
		return s3store.Open(ctx, loc.Bucket, loc.Path, o)
	}
	return objstore.OpenLocal(loc.Path)
}
