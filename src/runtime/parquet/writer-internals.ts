/*
 * Pieces of hyparquet-writer that its main entry point does not export: the Thrift page header
 * and the RLE/bit-packed hybrid encoding, used rather than written a second time here.
 */

export interface PageHeader {
  type: 'DATA_PAGE_V2' | 'DICTIONARY_PAGE';
  uncompressed_page_size: number;
  compressed_page_size: number;
  dictionary_page_header?: { num_values: number; encoding: 'PLAIN' };
  data_page_header_v2?: {
    num_values: number;
    num_nulls: number;
    num_rows: number;
    encoding: 'PLAIN' | 'RLE_DICTIONARY';
    definition_levels_byte_length: number;
    repetition_levels_byte_length: number;
    is_compressed: boolean;
  };
}

// Through the package's exported `./src/*.js` paths, with their own types; the versions are
// pinned exactly (package.json) and test/unit/parquet-internals.test.ts fails when these change.
export { writePageHeader } from 'hyparquet-writer/src/datapage.js';
export { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
