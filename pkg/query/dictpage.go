package query

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// chunkDictionary returns the distinct values of a BYTE_ARRAY column chunk
// when its dictionary page holds all of them: every data page is
// dictionary encoded, as the chunk's encoding statistics record. complete
// is false when that cannot be shown (no dictionary, a fallback to plain
// pages, no encoding statistics); the caller then reads the column.
//
// Only the dictionary page is read, a few hundred bytes for a column such
// as ctqNulls, so a row group can be passed over without decoding the
// column.
func chunkDictionary(df *dataFile, rg, col int) (values map[string]bool, complete bool, err error) {
	if df.pf.MetaData().Schema.Column(col).PhysicalType() != parquet.Types.ByteArray {
		return nil, false, nil
	}
	cc, err := df.pf.MetaData().RowGroup(rg).ColumnChunk(col)
	if err != nil {
		return nil, false, err
	}
	stats := cc.EncodingStats()
	if !cc.HasDictionaryPage() || len(stats) == 0 {
		return nil, false, nil
	}
	for _, s := range stats {
		if (s.PageType == file.PageTypeDataPage || s.PageType == file.PageTypeDataPageV2) &&
			s.Encoding != parquet.Encodings.RLEDict && s.Encoding != parquet.Encodings.PlainDict {
			return nil, false, nil
		}
	}
	start := cc.DictionaryPageOffset()
	if start <= 0 || start >= cc.DataPageOffset() {
		return nil, false, nil
	}
	props := parquet.NewReaderProperties(scanBuffers)
	props.BufferedStreamEnabled = true
	stream, err := props.GetStream(df.src, start, cc.DataPageOffset()-start)
	if err != nil {
		return nil, false, err
	}
	pr, err := file.NewPageReader(stream, cc.NumValues(), cc.Compression(), scanBuffers, nil)
	if err != nil {
		return nil, false, err
	}
	if cl, ok := pr.(io.Closer); ok {
		defer cl.Close()
	}
	return readDictionaryPage(pr, rg)
}

func readDictionaryPage(pr file.PageReader, rg int) (values map[string]bool, complete bool, err error) {
	defer func() {
		if r := recover(); r != nil { // corrupt page headers can panic the reader
			values, complete, err = nil, false, fmt.Errorf("row group %d: corrupt dictionary page (%v)", rg, r)
		}
	}()
	if !pr.Next() {
		return nil, false, pr.Err()
	}
	dp, ok := pr.Page().(*file.DictionaryPage)
	if !ok || (parquet.Encoding(dp.Encoding()) != parquet.Encodings.Plain && parquet.Encoding(dp.Encoding()) != parquet.Encodings.PlainDict) {
		return nil, false, nil
	}
	data, n := dp.Data(), int(dp.NumValues())
	values = make(map[string]bool, n)
	for i := 0; i < n; i++ {
		if len(data) < 4 {
			return nil, false, fmt.Errorf("row group %d: dictionary page ends at value %d of %d", rg, i, n)
		}
		l := binary.LittleEndian.Uint32(data)
		if uint64(l) > uint64(len(data)-4) {
			return nil, false, fmt.Errorf("row group %d: dictionary value %d of %d bytes overruns the page", rg, i, l)
		}
		values[string(data[4:4+l])] = true
		data = data[4+l:]
	}
	return values, true, nil
}
