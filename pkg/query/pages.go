package query

import (
	"fmt"
	"io"
	"math/bits"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/parquet-go/parquet-go/encoding/rle"
)

// chunkPageReader opens a page reader over a column chunk's bytes from
// start (the dictionary page or the first data page), with buffers from
// the scan pool. The caller closes it.
func chunkPageReader(df *dataFile, cc *metadata.ColumnChunkMetaData, start, length int64) (file.PageReader, error) {
	props := parquet.NewReaderProperties(scanBuffers)
	props.BufferedStreamEnabled = true
	stream, err := props.GetStream(df.src, start, length)
	if err != nil {
		return nil, err
	}
	return file.NewPageReader(stream, cc.NumValues(), cc.Compression(), scanBuffers, nil)
}

func closePages(pr file.PageReader) {
	if cl, ok := pr.(io.Closer); ok {
		cl.Close() // its page buffers go back to the pool
	}
}

// dataPage is one data page split into its definition levels and the
// encoded values of its present rows.
type dataPage struct {
	values []byte           // encoded values
	rows   int              // levels in the page: present and null rows
	enc    parquet.Encoding // encoding of values
	defs   []uint8          // definition levels; nil when the column is required
}

// splitDataPage splits a data page of a non-repeated column with the given
// maximum definition level, decoding the levels into defs' storage. ok is
// false, with no error, for pages the page decoders leave to Arrow:
// non-data pages, repetition levels, version 1 pages of optional columns.
func splitDataPage(pg file.Page, maxDef int, defs []uint8) (dp dataPage, ok bool, err error) {
	switch pg := pg.(type) {
	case *file.DataPageV1:
		if maxDef > 0 {
			return dataPage{}, false, nil
		}
		return dataPage{values: pg.Data(), rows: int(pg.NumValues()), enc: parquet.Encoding(pg.Encoding())}, true, nil
	case *file.DataPageV2:
		if pg.RepetitionLevelByteLen() != 0 {
			return dataPage{}, false, nil
		}
		data := pg.Data()
		dp = dataPage{rows: int(pg.NumValues()), enc: parquet.Encoding(pg.Encoding())}
		dl := int(pg.DefinitionLevelByteLen())
		if dl < 0 || dl > len(data) || (maxDef == 0 && dl != 0) {
			return dataPage{}, false, fmt.Errorf("%d bytes of levels in a %d-byte page", dl, len(data))
		}
		if maxDef > 0 {
			levels := rle.Encoding{BitWidth: bits.Len(uint(maxDef))}
			if dp.defs, err = levels.DecodeLevels(defs[:0], data[:dl]); err != nil {
				return dataPage{}, false, fmt.Errorf("levels: %w", err)
			}
			if len(dp.defs) < dp.rows {
				return dataPage{}, false, fmt.Errorf("%d levels for %d rows", len(dp.defs), dp.rows)
			}
			dp.defs = dp.defs[:dp.rows]
		}
		dp.values = data[dl:]
		return dp, true, nil
	}
	return dataPage{}, false, nil
}
