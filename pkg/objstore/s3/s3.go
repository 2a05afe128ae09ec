// Package s3 implements objstore.Bucket on Amazon S3 and S3-compatible
// services (MinIO and the like) with aws-sdk-go-v2. It is the only package of
// ctq that links the AWS SDK for buckets: libraries take an objstore.Bucket,
// and the command opens s3:// locations through this package.
package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ctq-dev/ctq/pkg/objstore"
)

const (
	defaultRegion      = "us-east-1"
	defaultMaxAttempts = 8
	defaultMaxBackoff  = 20 * time.Second

	// readIdleTimeout bounds how long a single body read may block before the
	// request is abandoned and resumed with a ranged GET.
	readIdleTimeout = 2 * time.Minute

	multipartThreshold = 64 << 20
	minPartSize        = 16 << 20
	maxParts           = 10000
	maxCopySize        = 5 << 30
	copyPartSize       = 512 << 20
	abortTimeout       = 30 * time.Second
)

// Options configures Open.
type Options struct {
	// Profile selects a shared config/credentials profile ("" = default).
	Profile string
	// Region overrides the configured region. Without EndpointURL the
	// bucket's actual region is discovered and takes precedence.
	Region string
	// EndpointURL points at an S3-compatible service (e.g. MinIO). It forces
	// path-style addressing and defaults the region to us-east-1.
	EndpointURL string
	// PathStyle requests path-style addressing against AWS endpoints.
	PathStyle bool
	// Credentials replaces the SDK's default credential chain when non-nil.
	Credentials aws.CredentialsProvider
	// MaxAttempts bounds the attempts per request and per resumed body read
	// (0 = 8).
	MaxAttempts int
	// MaxBackoff caps the exponential backoff between attempts (0 = 20s).
	MaxBackoff time.Duration
	// HTTPClient replaces the SDK's default HTTP client when non-nil.
	HTTPClient *http.Client
}

// s3Bucket implements objstore.Bucket on an S3 bucket below a key prefix.
type s3Bucket struct {
	client  *awss3.Client
	retryer *retry.Standard
	bucket  string
	root    string // "" or a prefix ending in "/"
}

var _ objstore.Bucket = (*s3Bucket)(nil)

// Open returns an objstore.Bucket rooted at prefix inside the named S3 bucket. Keys
// passed to and returned by the bucket are relative to prefix.
func Open(ctx context.Context, bucket, prefix string, o Options) (objstore.Bucket, error) {
	if bucket == "" {
		return nil, errors.New("s3 open: empty bucket name")
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = defaultMaxAttempts
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = defaultMaxBackoff
	}
	retryer := retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = o.MaxAttempts
		so.MaxBackoff = o.MaxBackoff
		so.RateLimiter = ratelimit.None
	})
	cfg, err := loadAWSConfig(ctx, o, retryer)
	if err != nil {
		return nil, fmt.Errorf("s3 open s3://%s: loading AWS config: %w", bucket, err)
	}
	pathStyle := o.PathStyle
	if o.EndpointURL != "" {
		pathStyle = true
		if cfg.Region == "" {
			cfg.Region = defaultRegion
		}
	} else {
		cfg.Region = discoverRegion(ctx, cfg, bucket, pathStyle)
	}
	client := awss3.NewFromConfig(cfg, func(so *awss3.Options) {
		so.UsePathStyle = pathStyle
		so.DisableLogOutputChecksumValidationSkipped = true
		if o.EndpointURL != "" {
			so.BaseEndpoint = aws.String(o.EndpointURL)
		}
	})
	return &s3Bucket{client: client, retryer: retryer, bucket: bucket, root: normalizeRoot(prefix)}, nil
}

// loadAWSConfig loads the shared AWS configuration with the options applied.
func loadAWSConfig(ctx context.Context, o Options, retryer aws.Retryer) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return retryer }),
		config.WithLogger(logging.Nop{}),
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(o.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, err
	}
	// Set after loading: the loader refuses plain *http.Client values when
	// a custom CA bundle is configured, which is the caller's to handle here.
	if o.HTTPClient != nil {
		cfg.HTTPClient = o.HTTPClient
	}
	return cfg, nil
}

// discoverRegion asks S3 where bucket lives. S3 reports the region in the
// x-amz-bucket-region header, also on redirect and access-denied answers. It
// falls back to the configured region, then us-east-1.
func discoverRegion(ctx context.Context, cfg aws.Config, bucket string, pathStyle bool) string {
	fallback := cfg.Region
	if fallback == "" {
		fallback = defaultRegion
	}
	probe := awss3.NewFromConfig(cfg, func(so *awss3.Options) {
		so.Region = fallback
		so.UsePathStyle = pathStyle
	})
	out, err := probe.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err == nil && out.BucketRegion != nil && *out.BucketRegion != "" {
		return *out.BucketRegion
	}
	var re interface{ HTTPResponse() *smithyhttp.Response }
	if errors.As(err, &re) && re.HTTPResponse() != nil {
		if region := re.HTTPResponse().Header.Get("X-Amz-Bucket-Region"); region != "" {
			return region
		}
	}
	return fallback
}

// normalizeRoot turns "a/b", "/a/b/" or "" into "a/b/" or "".
func normalizeRoot(prefix string) string {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return ""
	}
	return prefix + "/"
}

// String names the bucket as s3://bucket/prefix (s3://bucket at the top).
func (b *s3Bucket) String() string {
	if b.root == "" {
		return "s3://" + b.bucket
	}
	return "s3://" + b.bucket + "/" + strings.TrimSuffix(b.root, "/")
}

// full returns the absolute object key for a key relative to the root.
func (b *s3Bucket) full(key string) *string {
	return aws.String(b.root + key)
}

// rel returns the key relative to the root.
func (b *s3Bucket) rel(key *string) string {
	return strings.TrimPrefix(aws.ToString(key), b.root)
}

// List calls fn for each object or common prefix selected by opts.
func (b *s3Bucket) List(ctx context.Context, opts objstore.ListOptions, fn func(objstore.Entry) error) error {
	in := &awss3.ListObjectsV2Input{Bucket: aws.String(b.bucket)}
	if p := b.root + opts.Prefix; p != "" {
		in.Prefix = aws.String(p)
	}
	if opts.Delimiter != "" {
		in.Delimiter = aws.String(opts.Delimiter)
	}
	if opts.StartAfter != "" {
		in.StartAfter = b.full(opts.StartAfter)
	}
	pages := awss3.NewListObjectsV2Paginator(b.client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("s3 list %s: %w", opts.Prefix, err)
		}
		for _, e := range b.pageEntries(page) {
			if opts.StartAfter != "" && e.Key <= opts.StartAfter {
				continue
			}
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// pageEntries merges a page's objects and common prefixes in key order.
func (b *s3Bucket) pageEntries(page *awss3.ListObjectsV2Output) []objstore.Entry {
	entries := make([]objstore.Entry, 0, len(page.Contents)+len(page.CommonPrefixes))
	for _, obj := range page.Contents {
		entries = append(entries, objstore.Entry{ObjectInfo: objstore.ObjectInfo{
			Key:      b.rel(obj.Key),
			Size:     aws.ToInt64(obj.Size),
			ETag:     trimETag(obj.ETag),
			Modified: aws.ToTime(obj.LastModified),
		}})
	}
	for _, cp := range page.CommonPrefixes {
		entries = append(entries, objstore.Entry{ObjectInfo: objstore.ObjectInfo{Key: b.rel(cp.Prefix)}, IsPrefix: true})
	}
	slices.SortFunc(entries, func(x, y objstore.Entry) int { return strings.Compare(x.Key, y.Key) })
	return entries
}

// Stat returns the object's info, or an error wrapping objstore.ErrNotExist.
func (b *s3Bucket) Stat(ctx context.Context, key string) (objstore.ObjectInfo, error) {
	out, err := b.head(ctx, key)
	if err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("s3 stat %s: %w", key, err)
	}
	return objectInfo(key, out.ContentLength, out.ETag, out.LastModified, out.Metadata), nil
}

// objectInfo builds the info of an object from the headers of a HEAD or GET
// response.
func objectInfo(key string, size *int64, etag *string, modified *time.Time, meta map[string]string) objstore.ObjectInfo {
	return objstore.ObjectInfo{
		Key:      key,
		Size:     aws.ToInt64(size),
		ETag:     trimETag(etag),
		Modified: aws.ToTime(modified),
		Metadata: lowerKeys(meta),
	}
}

// head issues HeadObject, mapping a missing key to objstore.ErrNotExist.
func (b *s3Bucket) head(ctx context.Context, key string) (*awss3.HeadObjectOutput, error) {
	out, err := b.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(b.bucket), Key: b.full(key)})
	return out, mapNotFound(err)
}

// Open returns a reader over the object that resumes interrupted transfers.
// The reader stays tied to ctx until it is closed.
func (b *s3Bucket) Open(ctx context.Context, key string) (io.ReadCloser, objstore.ObjectInfo, error) {
	r := &resumingReader{ctx: ctx, b: b, key: key}
	out, err := r.get(nil)
	if err != nil {
		return nil, objstore.ObjectInfo{}, fmt.Errorf("s3 get %s: %w", key, mapNotFound(err))
	}
	r.etag = aws.ToString(out.ETag)
	r.size = -1
	if out.ContentLength != nil {
		r.size = *out.ContentLength
	}
	return r, objectInfo(key, out.ContentLength, out.ETag, out.LastModified, out.Metadata), nil
}

// Put stores the object, using a multipart upload above 64 MiB. A negative
// size means unknown: the body is then buffered in memory.
func (b *s3Bucket) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if size < 0 {
		data, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("s3 put %s: reading body: %w", key, err)
		}
		r, size = bytes.NewReader(data), int64(len(data))
	}
	var err error
	if size > multipartThreshold {
		err = b.putMultipart(ctx, key, r, size)
	} else {
		err = b.putSingle(ctx, key, r, size)
	}
	if err != nil {
		return fmt.Errorf("s3 put %s: %w", key, err)
	}
	return nil
}

// putSingle stores the object with one PutObject request.
func (b *s3Bucket) putSingle(ctx context.Context, key string, r io.Reader, size int64) error {
	body, err := exactBody(r, size)
	if err != nil {
		return err
	}
	_, err = b.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket:        aws.String(b.bucket),
		Key:           b.full(key),
		Body:          body,
		ContentLength: aws.Int64(size),
	})
	return err
}

// exactBody returns a seekable reader over the next size bytes of r, which
// the SDK can rewind for retries. Readers that are not seekable are buffered.
func exactBody(r io.Reader, size int64) (io.ReadSeeker, error) {
	if ra, ok := r.(interface {
		io.ReaderAt
		io.Seeker
	}); ok {
		// Pipes and the like are ReaderAt+Seeker in type only: Seek fails.
		if start, err := ra.Seek(0, io.SeekCurrent); err == nil {
			return io.NewSectionReader(ra, start, size), nil
		}
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	return bytes.NewReader(buf), nil
}

// putMultipart stores the object as a multipart upload, aborting the upload
// on failure so no parts are left behind.
func (b *s3Bucket) putMultipart(ctx context.Context, key string, r io.Reader, size int64) error {
	up, err := b.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{
		Bucket:            aws.String(b.bucket),
		Key:               b.full(key),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	})
	if err != nil {
		return err
	}
	parts, err := b.uploadParts(ctx, key, up.UploadId, r, size)
	if err == nil {
		_, err = b.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
			Bucket:          aws.String(b.bucket),
			Key:             b.full(key),
			UploadId:        up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
	}
	if err != nil {
		b.abortUpload(ctx, key, up.UploadId)
		return err
	}
	return nil
}

// uploadParts reads size bytes from r and uploads them as numbered parts.
func (b *s3Bucket) uploadParts(ctx context.Context, key string, uploadID *string, r io.Reader, size int64) ([]types.CompletedPart, error) {
	partSize := max(minPartSize, (size+maxParts-1)/maxParts)
	buf := make([]byte, partSize)
	var parts []types.CompletedPart
	for off, num := int64(0), int32(1); off < size; off, num = off+partSize, num+1 {
		n := min(partSize, size-off)
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return nil, fmt.Errorf("reading body at offset %d: %w", off, err)
		}
		out, err := b.client.UploadPart(ctx, &awss3.UploadPartInput{
			Bucket:            aws.String(b.bucket),
			Key:               b.full(key),
			UploadId:          uploadID,
			PartNumber:        aws.Int32(num),
			Body:              bytes.NewReader(buf[:n]),
			ContentLength:     aws.Int64(n),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
		})
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", num, err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(num), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
	}
	return parts, nil
}

// abortUpload discards a failed multipart upload, even if ctx is cancelled.
// Its own failure is ignored: the caller already reports the cause.
func (b *s3Bucket) abortUpload(ctx context.Context, key string, uploadID *string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	_, _ = b.client.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{
		Bucket:   aws.String(b.bucket),
		Key:      b.full(key),
		UploadId: uploadID,
	})
}

// PutIfAbsent stores data only if key does not exist yet. Attempts are
// retried here rather than in the SDK so that a conflict caused by an
// earlier attempt of this same call (whose answer was lost) is recognised
// by its content hash and reported as success.
func (b *s3Bucket) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	sum := md5.Sum(data)
	wantETag := hex.EncodeToString(sum[:])
	maybeWritten := false
	for attempt := 1; ; attempt++ {
		err := b.putIfAbsentOnce(ctx, key, data)
		switch {
		case err == nil:
			return nil
		case isConditionFailed(err):
			if maybeWritten && b.hasETag(ctx, key, wantETag) {
				return nil
			}
			return fmt.Errorf("s3 put-if-absent %s: %w", key, objstore.ErrExists)
		case attempt >= b.retryer.MaxAttempts() || !b.retryer.IsErrorRetryable(err):
			return fmt.Errorf("s3 put-if-absent %s: %w", key, err)
		}
		maybeWritten = true
		if err := b.backoff(ctx, attempt, err); err != nil {
			return fmt.Errorf("s3 put-if-absent %s: %w", key, err)
		}
	}
}

// putIfAbsentOnce issues a single conditional PutObject without SDK retries.
func (b *s3Bucket) putIfAbsentOnce(ctx context.Context, key string, data []byte) error {
	_, err := b.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket:        aws.String(b.bucket),
		Key:           b.full(key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		IfNoneMatch:   aws.String("*"),
	}, func(so *awss3.Options) { so.Retryer = aws.NopRetryer{} })
	return err
}

// hasETag reports whether key exists with the given unquoted ETag.
func (b *s3Bucket) hasETag(ctx context.Context, key, etag string) bool {
	info, err := b.Stat(ctx, key)
	return err == nil && info.ETag == etag
}

// backoff sleeps for the retryer's delay before attempt+1.
func (b *s3Bucket) backoff(ctx context.Context, attempt int, cause error) error {
	d, err := b.retryer.RetryDelay(attempt, cause)
	if err != nil {
		return err
	}
	return sleep(ctx, d)
}

// Move copies src to dst and deletes src. A missing src with an existing dst
// is the trace of an interrupted earlier Move and counts as success.
func (b *s3Bucket) Move(ctx context.Context, src, dst string) error {
	err := b.copyObject(ctx, src, dst)
	if errors.Is(err, objstore.ErrNotExist) {
		if _, derr := b.Stat(ctx, dst); derr == nil {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("s3 move %s to %s: %w", src, dst, err)
	}
	if err := b.Delete(ctx, src); err != nil {
		return fmt.Errorf("s3 move %s to %s: %w", src, dst, err)
	}
	return nil
}

// copyObject copies src to dst server-side, using a multipart copy for
// objects larger than CopyObject accepts.
func (b *s3Bucket) copyObject(ctx context.Context, src, dst string) error {
	head, err := b.head(ctx, src)
	if err != nil {
		return err
	}
	if aws.ToInt64(head.ContentLength) > maxCopySize {
		return b.copyMultipart(ctx, src, dst, head)
	}
	_, err = b.client.CopyObject(ctx, &awss3.CopyObjectInput{
		Bucket:            aws.String(b.bucket),
		Key:               b.full(dst),
		CopySource:        b.copySource(src),
		CopySourceIfMatch: head.ETag,
	})
	return mapNotFound(err)
}

// copySource returns the URL-encoded "bucket/key" form CopyObject expects.
func (b *s3Bucket) copySource(key string) *string {
	parts := strings.Split(b.bucket+"/"+b.root+key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return aws.String(strings.Join(parts, "/"))
}

// copyMultipart copies a large object part by part, keeping its metadata.
func (b *s3Bucket) copyMultipart(ctx context.Context, src, dst string, head *awss3.HeadObjectOutput) error {
	up, err := b.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{
		Bucket:      aws.String(b.bucket),
		Key:         b.full(dst),
		ContentType: head.ContentType,
		Metadata:    head.Metadata,
	})
	if err != nil {
		return err
	}
	parts, err := b.copyParts(ctx, src, dst, up.UploadId, head)
	if err == nil {
		_, err = b.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
			Bucket:          aws.String(b.bucket),
			Key:             b.full(dst),
			UploadId:        up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
	}
	if err != nil {
		b.abortUpload(ctx, dst, up.UploadId)
		return mapNotFound(err)
	}
	return nil
}

// copyParts issues UploadPartCopy for consecutive byte ranges of src.
func (b *s3Bucket) copyParts(ctx context.Context, src, dst string, uploadID *string, head *awss3.HeadObjectOutput) ([]types.CompletedPart, error) {
	size := aws.ToInt64(head.ContentLength)
	partSize := max(copyPartSize, (size+maxParts-1)/maxParts)
	var parts []types.CompletedPart
	for off, num := int64(0), int32(1); off < size; off, num = off+partSize, num+1 {
		last := min(off+partSize, size) - 1
		out, err := b.client.UploadPartCopy(ctx, &awss3.UploadPartCopyInput{
			Bucket:            aws.String(b.bucket),
			Key:               b.full(dst),
			UploadId:          uploadID,
			PartNumber:        aws.Int32(num),
			CopySource:        b.copySource(src),
			CopySourceIfMatch: head.ETag,
			CopySourceRange:   aws.String(fmt.Sprintf("bytes=%d-%d", off, last)),
		})
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", num, err)
		}
		if out.CopyPartResult == nil {
			return nil, fmt.Errorf("part %d: no copy result", num)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(num), ETag: out.CopyPartResult.ETag})
	}
	return parts, nil
}

// Delete removes key; a missing key is not an error.
func (b *s3Bucket) Delete(ctx context.Context, key string) error {
	_, err := b.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(b.bucket), Key: b.full(key)})
	if err != nil && !errors.Is(mapNotFound(err), objstore.ErrNotExist) {
		return fmt.Errorf("s3 delete %s: %w", key, err)
	}
	return nil
}

// resumingReader reads an object's body and, when a read fails mid-stream,
// re-requests the remainder with a ranged GET pinned to the original ETag.
type resumingReader struct {
	ctx  context.Context
	b    *s3Bucket
	key  string
	etag string // quoted, as returned by S3, for If-Match
	size int64  // -1 if unknown

	body     io.ReadCloser
	cancel   context.CancelFunc // aborts the current request
	watchdog *time.Timer        // cancels the request when a read stalls

	offset   int64 // bytes delivered to the caller
	failures int   // consecutive attempts that delivered nothing
	lastErr  error
	err      error // sticky final state
}

// get issues GetObject (ranged from r.offset when rng is set) and installs
// its body as the current one.
func (r *resumingReader) get(rng *string) (*awss3.GetObjectOutput, error) {
	ctx, cancel := context.WithCancel(r.ctx)
	in := &awss3.GetObjectInput{Bucket: aws.String(r.b.bucket), Key: r.b.full(r.key), Range: rng}
	var optFns []func(*awss3.Options)
	if rng != nil {
		in.IfMatch = aws.String(r.etag)
		// A range cannot be checked against the whole-object checksum.
		optFns = append(optFns, func(so *awss3.Options) {
			so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		})
	}
	out, err := r.b.client.GetObject(ctx, in, optFns...)
	if err != nil {
		cancel()
		return nil, err
	}
	r.body, r.cancel = out.Body, cancel
	r.watchdog = time.AfterFunc(readIdleTimeout, cancel)
	r.watchdog.Stop()
	return out, nil
}

// Read implements io.Reader.
func (r *resumingReader) Read(p []byte) (int, error) {
	for r.err == nil {
		if r.body == nil {
			r.err = r.resume()
			continue
		}
		r.watchdog.Reset(readIdleTimeout)
		n, err := r.body.Read(p)
		r.watchdog.Stop()
		r.offset += int64(n)
		if n > 0 {
			r.failures = 0
		}
		switch {
		case err == nil:
			return n, nil
		case err == io.EOF && (r.size < 0 || r.offset >= r.size):
			r.closeBody()
			r.err = io.EOF
			return n, io.EOF
		case err == io.EOF:
			err = io.ErrUnexpectedEOF
		}
		r.fail(err)
		if n > 0 {
			return n, nil
		}
	}
	return 0, r.err
}

// fail records a mid-stream read error and decides whether to resume.
func (r *resumingReader) fail(err error) {
	r.closeBody()
	r.failures++
	r.lastErr = err
	switch {
	case r.ctx.Err() != nil:
		r.err = fmt.Errorf("s3 get %s: at offset %d: %w", r.key, r.offset, r.ctx.Err())
	case r.size >= 0 && r.offset >= r.size:
		// Everything was delivered; the error is about the whole object
		// (e.g. a checksum mismatch) and a resume cannot fix it.
		r.err = fmt.Errorf("s3 get %s: at offset %d: %w", r.key, r.offset, err)
	case r.failures >= r.b.retryer.MaxAttempts():
		r.err = r.finalError()
	}
}

// resume re-requests the rest of the object after a backoff, retrying
// failed requests until the attempt budget is spent.
func (r *resumingReader) resume() error {
	for {
		if err := r.b.backoff(r.ctx, r.failures, r.lastErr); err != nil {
			return fmt.Errorf("s3 get %s: at offset %d: %w", r.key, r.offset, err)
		}
		out, err := r.get(aws.String(fmt.Sprintf("bytes=%d-", r.offset)))
		if err == nil {
			return r.checkRange(out)
		}
		if r.ctx.Err() != nil || isConditionFailed(err) || errors.Is(mapNotFound(err), objstore.ErrNotExist) {
			return fmt.Errorf("s3 get %s: resuming at offset %d: %w", r.key, r.offset, mapNotFound(err))
		}
		r.failures++
		r.lastErr = err
		if r.failures >= r.b.retryer.MaxAttempts() {
			return r.finalError()
		}
	}
}

// checkRange verifies that a resumed response starts at the resume offset.
func (r *resumingReader) checkRange(out *awss3.GetObjectOutput) error {
	want := fmt.Sprintf("bytes %d-", r.offset)
	if !strings.HasPrefix(aws.ToString(out.ContentRange), want) {
		r.closeBody()
		return fmt.Errorf("s3 get %s: resuming at offset %d: unexpected Content-Range %q", r.key, r.offset, aws.ToString(out.ContentRange))
	}
	return nil
}

// finalError reports a read that ran out of attempts.
func (r *resumingReader) finalError() error {
	return fmt.Errorf("s3 get %s: read failed at offset %d after %d attempts: %w", r.key, r.offset, r.failures, r.lastErr)
}

// closeBody releases the current response, if any.
func (r *resumingReader) closeBody() {
	if r.body == nil {
		return
	}
	r.watchdog.Stop()
	_ = r.body.Close()
	r.cancel()
	r.body, r.cancel, r.watchdog = nil, nil, nil
}

// Close implements io.Closer.
func (r *resumingReader) Close() error {
	r.closeBody()
	if r.err == nil || r.err == io.EOF {
		r.err = fmt.Errorf("s3 get %s: read after close", r.key)
	}
	return nil
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// mapNotFound wraps objstore.ErrNotExist around S3's missing-key errors.
func mapNotFound(err error) error {
	if err == nil {
		return nil
	}
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) || apiErrorCode(err) == "NoSuchKey" {
		return fmt.Errorf("%w: %w", objstore.ErrNotExist, err)
	}
	return err
}

// isConditionFailed reports whether err is a failed If-Match/If-None-Match
// precondition or a conflicting concurrent conditional write.
func isConditionFailed(err error) bool {
	switch apiErrorCode(err) {
	case "PreconditionFailed", "ConditionalRequestConflict":
		return true
	}
	var re interface{ HTTPStatusCode() int }
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusPreconditionFailed
}

// apiErrorCode returns the S3 error code carried by err, if any.
func apiErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// trimETag strips the quotes S3 puts around ETags.
func trimETag(etag *string) string {
	return strings.Trim(aws.ToString(etag), `"`)
}

// lowerKeys returns m with lower-case keys (nil for an empty map).
func lowerKeys(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}
