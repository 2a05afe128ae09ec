package pqread

import (
	"fmt"
	"sync"

	ksnappy "github.com/klauspost/compress/snappy"
	kzstd "github.com/klauspost/compress/zstd"

	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/gzip"
	"github.com/parquet-go/parquet-go/compress/lz4"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/bytestreamsplit"
	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/encoding/plain"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/format"
)

// The codecs and value encodings pqread decodes: parquet-go's own, looked
// up here rather than through parquet-go's root package, which links
// protobuf and more for its row mapping.

var codecs = map[format.CompressionCodec]compress.Codec{
	format.Snappy: new(boundedSnappy),
	format.Gzip:   new(gzip.Codec),
	format.Zstd:   new(boundedZstd),
	format.Lz4Raw: new(lz4.Codec),
}

// boundedZstd decodes a zstd page into at most the capacity of dst, which
// the caller sizes from the page header. parquet-go's codec trusts the
// frame's declared content size and allocated it: one flipped bit in a
// corrupt page made a reader allocate gigabytes and stall.
type boundedZstd struct{ zstd.Codec }

var zstdDecoder = sync.OnceValue(func() *kzstd.Decoder {
	d, err := kzstd.NewReader(nil,
		kzstd.WithDecoderConcurrency(0), // one per CPU for DecodeAll
		kzstd.WithDecodeAllCapLimit(true),
		kzstd.WithDecoderMaxMemory(maxPageSize),
	)
	if err != nil {
		panic("BUG: zstd decoder options: " + err.Error())
	}
	return d
})

func (*boundedZstd) Decode(dst, src []byte) ([]byte, error) {
	return zstdDecoder().DecodeAll(src, dst[:0])
}

// boundedSnappy checks a snappy block's declared length against the
// capacity of dst before decoding, for the same reason.
type boundedSnappy struct{ snappy.Codec }

func (c *boundedSnappy) Decode(dst, src []byte) ([]byte, error) {
	n, err := ksnappy.DecodedLen(src)
	if err != nil {
		return nil, err
	}
	if n > cap(dst) {
		return nil, fmt.Errorf("snappy block declares %d bytes, more than the page's %d", n, cap(dst))
	}
	return c.Codec.Decode(dst[:cap(dst)], src) // decodes in place when it fits
}

func codecOf(c format.CompressionCodec) (compress.Codec, error) {
	if c == format.Uncompressed {
		return nil, nil
	}
	if k, ok := codecs[c]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unsupported compression %s", c)
}

var encodings = map[format.Encoding]encoding.Encoding{
	format.Plain:                new(plain.Encoding),
	format.RLE:                  &rle.Encoding{BitWidth: 1}, // booleans
	format.DeltaBinaryPacked:    new(delta.BinaryPackedEncoding),
	format.DeltaLengthByteArray: new(delta.LengthByteArrayEncoding),
	format.DeltaByteArray:       new(delta.ByteArrayEncoding),
	format.ByteStreamSplit:      new(bytestreamsplit.Encoding),
}

func encodingOf(e format.Encoding) (encoding.Encoding, error) {
	if k, ok := encodings[e]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unsupported encoding %s", e)
}
