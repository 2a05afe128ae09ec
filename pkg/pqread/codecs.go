package pqread

import (
	"fmt"

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
	format.Snappy: new(snappy.Codec),
	format.Gzip:   new(gzip.Codec),
	format.Zstd:   new(zstd.Codec),
	format.Lz4Raw: new(lz4.Codec),
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
