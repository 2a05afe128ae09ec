package pqread

import (
	"encoding/binary"
	"fmt"

	"github.com/parquet-go/parquet-go/format"
)

// checkRLE walks the run headers of RLE/bit-packed hybrid data of the
// given bit width and fails when the runs hold more than n values (plus
// the padding of a last bit-packed group): parquet-go's decoder would
// allocate whatever a corrupt run count claims.
func checkRLE(src []byte, bitWidth, n int) error {
	if bitWidth < 0 || bitWidth > 32 {
		return fmt.Errorf("bit width %d", bitWidth)
	}
	total := 0
	for i := 0; i < len(src); {
		u, k := binary.Uvarint(src[i:])
		if k <= 0 {
			return fmt.Errorf("run header at byte %d", i)
		}
		i += k
		count := u >> 1
		if count > uint64(n)+8 {
			return fmt.Errorf("a run of %d values where %d are expected", count, n)
		}
		if u&1 != 0 { // bit-packed: count groups of 8 values
			if count*8 > uint64(n)+8 {
				return fmt.Errorf("a run of %d values where %d are expected", count*8, n)
			}
			total += int(count) * 8
			i += int(count) * bitWidth
		} else {
			total += int(count)
			i += (bitWidth + 7) / 8
		}
		if total > n+7 {
			return fmt.Errorf("runs of %d values where %d are expected", total, n)
		}
	}
	return nil
}

// checkDelta reads the header of DELTA_BINARY_PACKED data (which also
// starts the lengths of the DELTA_*_BYTE_ARRAY encodings) and fails when
// it claims more than n values: parquet-go's decoder sizes its output from
// that claim.
func checkDelta(src []byte, n int) error {
	for i := 0; i < 2; i++ { // block size, miniblocks per block
		_, k := binary.Uvarint(src)
		if k <= 0 {
			return fmt.Errorf("delta header")
		}
		src = src[k:]
	}
	total, k := binary.Uvarint(src)
	if k <= 0 {
		return fmt.Errorf("delta header")
	}
	if total > uint64(n) {
		return fmt.Errorf("delta encoding of %d values where %d are expected", total, n)
	}
	return nil
}

// checkValues applies the checks of the encodings whose decoders trust a
// count in the data.
func checkValues(enc format.Encoding, src []byte, n int) error {
	switch enc {
	case format.DeltaBinaryPacked, format.DeltaLengthByteArray, format.DeltaByteArray:
		return checkDelta(src, n)
	case format.RLE:
		if len(src) < 4 {
			return fmt.Errorf("RLE values shorter than their length prefix")
		}
		l := binary.LittleEndian.Uint32(src)
		if uint64(l) > uint64(len(src)-4) {
			return fmt.Errorf("RLE values of %d bytes in %d", l, len(src)-4)
		}
		return checkRLE(src[4:4+l], 1, n)
	}
	return nil
}
