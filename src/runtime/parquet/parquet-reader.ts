import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
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

function normaliseRow(row: Row): Row {
  for (const key of Object.keys(row)) {
    const value = row[key];
    if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)) {
      row[key] = Number(value);
    }
  }
  return row;
}
