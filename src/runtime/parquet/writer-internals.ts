import type { ByteWriter } from 'hyparquet-writer';

/*
 * Pieces of hyparquet-writer that its entry points do not export: the Thrift page header and the
 * RLE/bit-packed hybrid encoding. They are loaded from the package's own folder rather than
 * written a second time here.
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

const base = import.meta.resolve('hyparquet-writer');

export const { writePageHeader } = (await import(new URL('./datapage.js', base).href)) as {
  writePageHeader: (writer: ByteWriter, header: PageHeader) => void;
};

export const { writeRleBitPackedHybrid } = (await import(new URL('./encoding.js', base).href)) as {
  /** Writes `values` (small non-negative integers) with `bitWidth` bits each; returns the bytes written. */
  writeRleBitPackedHybrid: (writer: ByteWriter, values: ArrayLike<number>, bitWidth: number) => number;
};
