package pqread

import (
	"bytes"
	"testing"

	ksnappy "github.com/klauspost/compress/snappy"
	kzstd "github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// TestCodecs_BoundedByThePage: a page decodes into the buffer its header
// sized; a frame or block that declares more is an error, not an
// allocation of what it declares.
func TestCodecs_BoundedByThePage(t *testing.T) {
	page := bytes.Repeat([]byte(`{"eventName":"ConsoleLogin"}`), 100)
	enc, err := kzstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	frames := map[format.CompressionCodec][]byte{
		format.Zstd:   enc.EncodeAll(page, nil),
		format.Snappy: ksnappy.Encode(nil, page),
	}
	for c, frame := range frames {
		codec, err := codecOf(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := codec.Decode(make([]byte, 0, len(page)), frame)
		if err != nil || !bytes.Equal(got, page) {
			t.Fatalf("%s: a page into a buffer of its size: %v, %d bytes", c, err, len(got))
		}
		if got, err := codec.Decode(make([]byte, 0, len(page)/2), frame); err == nil {
			t.Fatalf("%s: a page of %d bytes decoded into a buffer of %d: %d bytes, no error", c, len(page), len(page)/2, len(got))
		}
	}
}

// TestCodecs_CorruptContentSize: a zstd frame whose header declares a
// content size of terabytes is rejected before any allocation.
func TestCodecs_CorruptContentSize(t *testing.T) {
	// Magic, a frame header descriptor with an 8-byte content size and a
	// single segment, the size 2^40, then a last raw block of 4 bytes.
	frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0xe0}
	frame = append(frame, 0, 0, 0, 0, 0, 1, 0, 0)
	frame = append(frame, 0x21, 0x00, 0x00, 'a', 'b', 'c', 'd')
	codec, err := codecOf(format.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := codec.Decode(make([]byte, 0, 64), frame); err == nil {
		t.Fatalf("a frame declaring 2^40 bytes decoded: %d bytes, no error", len(got))
	}
}
