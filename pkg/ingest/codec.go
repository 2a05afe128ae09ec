package ingest

import (
	kzstd "github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// pageCodec compresses a writer's pages with zstd (fastest level) through
// one encoder that lives as long as the writer. parquet-go's codec draws
// its encoders from a pool that every garbage collection empties, so under
// ingest's soft memory limit it built a new encoder, and allocated its
// history buffers, again and again (a tenth of all bytes an ingest
// allocated). It names the codec and decodes through parquet-go's.
type pageCodec struct {
	zstd.Codec
	enc *kzstd.Encoder
}

func newPageCodec() *pageCodec {
	enc, err := kzstd.NewWriter(nil,
		kzstd.WithEncoderLevel(kzstd.SpeedFastest),
		kzstd.WithEncoderConcurrency(1),
		kzstd.WithZeroFrames(true),
		kzstd.WithEncoderCRC(false),
	)
	if err != nil {
		panic("BUG: zstd encoder options: " + err.Error())
	}
	return &pageCodec{Codec: zstd.Codec{Level: zstd.SpeedFastest}, enc: enc}
}

// Encode compresses src into dst. EncodeAll is safe for concurrent use; with
// one encoder, concurrent calls take turns.
func (c *pageCodec) Encode(dst, src []byte) ([]byte, error) {
	return c.enc.EncodeAll(src, dst[:0]), nil
}
