import type { ColumnMetaData, FileMetaData, PageHeader } from 'hyparquet';
// The library's page-header decoder (Thrift compact protocol), from its exported `./src/*.js`
// paths rather than written a second time here.
import { parquetHeader } from 'hyparquet/src/column.js';
import { closeSync, openSync, readSync } from 'node:fs';

/** One data page of a column chunk: where it is and which rows it holds. */
export interface DataPage {
  /** File offset of the page header. */
  offset: number;
  /** Header and body, in bytes. */
  size: number;
  /** First row, counted from the start of the row group. */
  firstRow: number;
  rows: number;
  /** Its values refer to the chunk's dictionary page. */
  usesDictionary: boolean;
}

/** A page as the library's offset index gives it (its reader takes these as pageLocationsByGroup). */
export interface PageLocation {
  offset: bigint;
  compressed_page_size: number;
  first_row_index: bigint;
}

/** Per row group (by ordinal), per column name: the data pages in file order. */
export type PageLayout = Array<Map<string, DataPage[]>>;


/** Header bytes read at first; a header with large statistics is read again with more. */
const HEADER_PROBE_BYTES = 1 << 12;

/**
 * Reads the page headers of the named flat columns of a local Parquet file (not the pages):
 * where each data page is and which rows it holds. Files without a page index (pyarrow's
 * default) can then still be read a few pages at a time, instead of a whole column chunk
 * (a pandas file is often one row group, so one chunk is the whole column).
 */
export function readPageLayout(localPath: string, metadata: FileMetaData, columns: readonly string[]): PageLayout {
  const fd = openSync(localPath, 'r');
  try {
    return metadata.row_groups.map((group) => {
      const pages = new Map<string, DataPage[]>();
      for (const chunk of group.columns) {
        const meta = chunk.meta_data;
        const name = meta?.path_in_schema[0];
        if (!meta || meta.path_in_schema.length !== 1 || !name || !columns.includes(name)) continue;
        pages.set(name, scanChunk(fd, meta, localPath));
      }
      return pages;
    });
  } finally {
    closeSync(fd);
  }
}

function scanChunk(fd: number, meta: ColumnMetaData, localPath: string): DataPage[] {
  const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
  const end = start + Number(meta.total_compressed_size);
  const pages: DataPage[] = [];
  let position = start;
  let row = 0;
  while (position < end) {
    const { header, length } = readHeader(fd, position, end, localPath);
    const data = header.data_page_header ?? header.data_page_header_v2;
    if (data && (header.type === 'DATA_PAGE' || header.type === 'DATA_PAGE_V2')) {
      // Flat columns only: a V1 page's value count (nulls included) is its row count.
      const rows = header.data_page_header_v2?.num_rows ?? header.data_page_header?.num_values ?? 0;
      pages.push({ offset: position, size: length + header.compressed_page_size, firstRow: row, rows, usesDictionary: data.encoding === 'RLE_DICTIONARY' || data.encoding === 'PLAIN_DICTIONARY' });
      row += rows;
    }
    position += length + header.compressed_page_size;
  }
  return pages;
}

function readHeader(fd: number, position: number, end: number, localPath: string): { header: PageHeader; length: number } {
  for (let probe = HEADER_PROBE_BYTES; ; probe *= 4) {
    const length = Math.min(probe, end - position);
    const bytes = new Uint8Array(length);
    readSync(fd, bytes, 0, length, position);
    const reader = { view: new DataView(bytes.buffer), offset: 0 };
    try {
      return { header: parquetHeader(reader), length: reader.offset };
    } catch (error) {
      // Most likely ran past the probe (large statistics): read more, up to the chunk's end.
      if (length === end - position) throw new Error(`${localPath}: unreadable page header at byte ${position} (${error instanceof Error ? error.message : String(error)})`);
    }
  }
}

/** Pages overlapping rows [start, end) of a row group. */
export function pagesOverlapping(pages: readonly DataPage[], start: number, end: number): DataPage[] {
  return pages.filter((page) => page.firstRow < end && page.firstRow + page.rows > start);
}

/** The layout as the library's offset-index page locations. */
export function toPageLocations(pages: readonly DataPage[]): PageLocation[] {
  return pages.map((page) => ({ offset: BigInt(page.offset), compressed_page_size: page.size, first_row_index: BigInt(page.firstRow) }));
}
