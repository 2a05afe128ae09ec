package s3

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ctq-dev/ctq/pkg/objstore"
)

// s3ReaderAt reads byte ranges of one object version.
type s3ReaderAt struct {
	ctx  context.Context
	b    *s3Bucket
	key  string
	etag string // quoted, for If-Match
	size int64
}

// OpenReaderAt implements Bucket: one HeadObject now, one ranged GET per
// ReadAt later.
func (b *s3Bucket) OpenReaderAt(ctx context.Context, key string) (objstore.ReaderAt, objstore.ObjectInfo, error) {
	out, err := b.head(ctx, key)
	if err != nil {
		return nil, objstore.ObjectInfo{}, fmt.Errorf("s3 open %s: %w", key, err)
	}
	info := objectInfo(key, out.ContentLength, out.ETag, out.LastModified, out.Metadata)
	return &s3ReaderAt{ctx: ctx, b: b, key: key, etag: aws.ToString(out.ETag), size: info.Size}, info, nil
}

func (r *s3ReaderAt) Size() int64  { return r.size }
func (r *s3ReaderAt) Close() error { return nil }

var _ objstore.RequestCoster = (*s3ReaderAt)(nil)

// requestCost is what one GET costs beyond its bytes, in bytes: a first
// byte takes tens of milliseconds, in which tens of MB/s deliver about
// 1 MiB.
const requestCost = 1 << 20

// RequestCost implements objstore.RequestCoster.
func (r *s3ReaderAt) RequestCost() int64 { return requestCost }

// ReadAt fetches [off, off+len(p)) with a ranged GET, retrying transient
// failures with the bucket's backoff.
func (r *s3ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("s3 read %s: negative offset %d", r.key, off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := int64(len(p))
	short := false
	if off+want > r.size {
		want, short = r.size-off, true
	}
	if want == 0 {
		return 0, nil
	}
	var lastErr error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if err := r.b.backoff(r.ctx, attempt, lastErr); err != nil {
				return 0, fmt.Errorf("s3 read %s [%d, %d): %w", r.key, off, off+want, err)
			}
		}
		n, err := r.readOnce(p[:want], off)
		if err == nil {
			if short {
				return n, io.EOF
			}
			return n, nil
		}
		if r.ctx.Err() != nil || isConditionFailed(err) || errors.Is(err, objstore.ErrNotExist) {
			return 0, fmt.Errorf("s3 read %s [%d, %d): %w", r.key, off, off+want, err)
		}
		lastErr = err
		if attempt+1 >= r.b.retryer.MaxAttempts() {
			return 0, fmt.Errorf("s3 read %s [%d, %d) failed after %d attempts: %w", r.key, off, off+want, attempt+1, err)
		}
	}
}

func (r *s3ReaderAt) readOnce(p []byte, off int64) (int, error) {
	in := &awss3.GetObjectInput{
		Bucket:  aws.String(r.b.bucket),
		Key:     r.b.full(r.key),
		Range:   aws.String(fmt.Sprintf("bytes=%d-%d", off, off+int64(len(p))-1)),
		IfMatch: aws.String(r.etag),
	}
	out, err := r.b.client.GetObject(r.ctx, in, func(so *awss3.Options) {
		so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	if err != nil {
		return 0, mapNotFound(err)
	}
	defer out.Body.Close()
	n, err := io.ReadFull(out.Body, p)
	if err != nil {
		return n, fmt.Errorf("at byte %d: %w", off+int64(n), err)
	}
	return n, nil
}
