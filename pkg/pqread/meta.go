package pqread

import (
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// The footer as pqread decodes it: the fields of Parquet's FileMetaData,
// RowGroup, ColumnChunk and ColumnMetaData that reading and pruning use,
// with the field ids of parquet-format (decodeFooter reads them; the tags
// document the ids and let thrift.Unmarshal decode the same types in
// tests). Every other field is skipped without being built; the ones left
// out (each column chunk's path in the schema and encodings, size
// statistics with their level histograms, key-value metadata, column
// orders) were most of the allocations of opening a file, and every query
// opens hundreds. Of a schema element only the type, repetition, name,
// number of children and a TIMESTAMP logical type are decoded.

// FileMeta is a file's footer.
type FileMeta struct {
	Version   int32                              `thrift:"1,required"`
	Schema    thrift.Slice[format.SchemaElement] `thrift:"2,required"`
	NumRows   int64                              `thrift:"3,required"`
	RowGroups thrift.Slice[RowGroupMeta]         `thrift:"4,required"`
}

// RowGroupMeta is one row group of the footer.
type RowGroupMeta struct {
	Columns       thrift.Slice[ColumnChunkMeta] `thrift:"1,required"`
	TotalByteSize int64                         `thrift:"2,required"`
	NumRows       int64                         `thrift:"3,required"`
}

// ColumnChunkMeta is one column chunk of a row group, with where its page
// index lies.
type ColumnChunkMeta struct {
	FileOffset        int64      `thrift:"2,required"`
	MetaData          ColumnMeta `thrift:"3,optional"`
	OffsetIndexOffset int64      `thrift:"4,optional"`
	OffsetIndexLength int32      `thrift:"5,optional"`
	ColumnIndexOffset int64      `thrift:"6,optional"`
	ColumnIndexLength int32      `thrift:"7,optional"`
}

// ColumnMeta is a column chunk's metadata: its pages' location and size,
// codec, statistics and bloom filter.
type ColumnMeta struct {
	Type                  format.Type                            `thrift:"1,required"`
	Codec                 format.CompressionCodec                `thrift:"4,required"`
	NumValues             int64                                  `thrift:"5,required"`
	TotalUncompressedSize int64                                  `thrift:"6,required"`
	TotalCompressedSize   int64                                  `thrift:"7,required"`
	DataPageOffset        int64                                  `thrift:"9,required"`
	IndexPageOffset       int64                                  `thrift:"10,optional"`
	DictionaryPageOffset  int64                                  `thrift:"11,optional"`
	Statistics            format.Statistics                      `thrift:"12,optional"`
	EncodingStats         thrift.Slice[format.PageEncodingStats] `thrift:"13,optional"`
	BloomFilterOffset     int64                                  `thrift:"14,optional"`
	BloomFilterLength     int32                                  `thrift:"15,optional"`
}
