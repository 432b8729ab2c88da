import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { Row } from './parquet-writer.js';

/** Codecs beyond the library's built-in Snappy, through Node's native zlib. */
const DECOMPRESSORS = {
  GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input: Uint8Array) => new Uint8Array(brotliDecompressSync(input)),
};

export interface ParquetFileInfo {
  rows: number;
  rowGroups: number;
  columns: string[];
  metadata: Record<string, string>;
}

/** Reads the footer only: row count, row groups, column names and key/value metadata. */
export async function readParquetInfo(localPath: string): Promise<ParquetFileInfo> {
  const file = await asyncBufferFromFile(localPath);
  const metadata = await parquetMetadataAsync(file);
  return {
    rows: Number(metadata.num_rows),
    rowGroups: metadata.row_groups.length,
    columns: parquetSchema(metadata).children.map((child) => child.element.name),
    metadata: Object.fromEntries((metadata.key_value_metadata ?? []).map((entry) => [entry.key, entry.value ?? ''])),
  };
}

/**
 * Yields the rows of a local Parquet file one row group at a time: memory holds one row group,
 * whatever the file's size. INT64 values come back as numbers when they fit, else as bigint.
 */
export async function* readParquetRows(localPath: string, options: { columns?: string[] } = {}): AsyncGenerator<Row> {
  const file = await asyncBufferFromFile(localPath);
  const metadata = await parquetMetadataAsync(file);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = (await parquetReadObjects({ file, metadata, rowStart, rowEnd, columns: options.columns, compressors: DECOMPRESSORS })) as Row[];
    for (const row of rows) yield normaliseRow(row);
    rowStart = rowEnd;
  }
}

export interface RowRange {
  localPath: string;
  rowStart: number;
  rowEnd: number;
}

/**
 * Cuts a local Parquet file into row ranges of at most `maxRows`, along row groups: each range
 * can then be read on its own (e.g. by a worker thread) with readParquetRange. A range inside a
 * large row group still makes the reader load that group's column chunks, but only the pages
 * of its rows are decoded.
 */
export async function parquetRowRanges(localPath: string, maxRows: number): Promise<RowRange[]> {
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(localPath));
  const ranges: RowRange[] = [];
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupEnd = groupStart + Number(group.num_rows);
    const pieces = Math.ceil((groupEnd - groupStart) / maxRows);
    for (let piece = 0; piece < pieces; piece++) {
      const rowStart = groupStart + Math.floor(((groupEnd - groupStart) * piece) / pieces);
      const rowEnd = groupStart + Math.floor(((groupEnd - groupStart) * (piece + 1)) / pieces);
      ranges.push({ localPath, rowStart, rowEnd });
    }
    groupStart = groupEnd;
  }
  return ranges;
}

/** The last file opened by readParquetRange: ranges of one file usually come in a row. */
let openFile: { localPath: string; file: AsyncBuffer; metadata: FileMetaData } | undefined;

/** The rows of one range of a local Parquet file (see parquetRowRanges). */
export async function readParquetRange(range: RowRange, columns?: string[]): Promise<Row[]> {
  if (openFile?.localPath !== range.localPath) {
    const file = await asyncBufferFromFile(range.localPath);
    openFile = { localPath: range.localPath, file, metadata: await parquetMetadataAsync(file) };
  }
  const { file, metadata } = openFile;
  const rows = (await parquetReadObjects({ file, metadata, rowStart: range.rowStart, rowEnd: range.rowEnd, columns, compressors: DECOMPRESSORS })) as Row[];
  return rows.map(normaliseRow);
}

function normaliseRow(row: Row): Row {
  for (const key of Object.keys(row)) {
    const value = row[key];
    if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)) {
      row[key] = Number(value);
    }
  }
  return row;
}
