import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { pagesOverlapping, readPageLayout, toPageLocations, type DataPage, type PageLayout, type PageLocation } from './page-layout.js';
import type { Row } from './parquet-writer.js';

type Decompress = (input: Uint8Array, outputLength: number) => Uint8Array;

/**
 * Every Parquet codec pyarrow writes, each loaded when a file first needs it (a pandas file
 * needs Snappy only, our own parts GZIP only): GZIP and Brotli through Node's native zlib,
 * Snappy in WebAssembly (hysnappy, faster than the reader's JavaScript one), ZSTD and LZ4 from
 * hyparquet-compressors, whose full set is slow to load in each thread (docs/benchmarks.md).
 */
const decompressors: Record<string, Decompress> = {
  GZIP: (input) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(brotliDecompressSync(input)),
};
const DECOMPRESSOR_LOADERS: Record<string, () => Promise<Decompress>> = {
  SNAPPY: async () => (await import('hysnappy')).snappyUncompressor(),
  ZSTD: async () => (await import('hyparquet-compressors')).compressors.ZSTD!,
  LZ4: async () => (await import('hyparquet-compressors')).compressors.LZ4!,
  LZ4_RAW: async () => (await import('hyparquet-compressors')).compressors.LZ4_RAW!,
};

/** The decompressors, with those `metadata`'s column chunks use loaded. */
async function decompressorsFor(metadata: FileMetaData): Promise<Record<string, Decompress>> {
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      const codec = chunk.meta_data?.codec;
      const load = codec && !decompressors[codec] ? DECOMPRESSOR_LOADERS[codec] : undefined;
      if (load && codec) decompressors[codec] = await load();
    }
  }
  return decompressors;
}

/**
 * A local file as the library reads it, one byte range at a time, read synchronously: the
 * ranges are small and in the page cache, and the library's own file reader opens a stream
 * per range, so each parse batch waited on Node's I/O threads (docs/benchmarks.md, "Design
 * measurements").
 */
function localFileBuffer(localPath: string): AsyncBuffer {
  const byteLength = statSync(localPath).size;
  return {
    byteLength,
    slice(start: number, end = byteLength): ArrayBuffer {
      const bytes = new Uint8Array(Math.max(0, Math.min(end, byteLength) - start));
      const fd = openSync(localPath, 'r');
      try {
        for (let done = 0; done < bytes.length; ) {
          const read = readSync(fd, bytes, done, bytes.length - done, start + done);
          if (read === 0) throw new Error(`${localPath}: ended at byte ${start + done}, expected ${start + bytes.length} (did the file change while it was read?)`);
          done += read;
        }
      } finally {
        closeSync(fd);
      }
      return bytes.buffer;
    },
  };
}

export interface ParquetFileInfo {
  rows: number;
  rowGroups: number;
  columns: string[];
  metadata: Record<string, string>;
}

/** Reads the footer only: row count, row groups, column names and key/value metadata. */
export async function readParquetInfo(localPath: string): Promise<ParquetFileInfo> {
  const file = localFileBuffer(localPath);
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
  const file = localFileBuffer(localPath);
  const metadata = await parquetMetadataAsync(file);
  const compressors = await decompressorsFor(metadata);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = (await parquetReadObjects({ file, metadata, rowStart, rowEnd, columns: options.columns, compressors })) as Row[];
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
 * Cuts a local Parquet file into row ranges of about `maxRows`, along row groups, each then
 * readable on its own (e.g. by a worker thread) with readParquetRange. With `alignColumn`
 * (the heaviest column), ranges also end on that column's page boundaries, so no page of it
 * is decoded by two ranges; a page larger than `maxRows` rows is a range of its own.
 */
export async function parquetRowRanges(localPath: string, maxRows: number, alignColumn?: string): Promise<RowRange[]> {
  const metadata = await parquetMetadataAsync(localFileBuffer(localPath));
  const layout = alignColumn && isFlatColumn(metadata, alignColumn) ? readPageLayout(localPath, metadata, [alignColumn]) : undefined;
  const ranges: RowRange[] = [];
  let groupStart = 0;
  metadata.row_groups.forEach((group, groupIndex) => {
    const groupRows = Number(group.num_rows);
    const pages = alignColumn ? layout?.[groupIndex]?.get(alignColumn) : undefined;
    const cuts = pages && pages.length > 0 ? pageAlignedCuts(pages, groupRows, maxRows) : evenCuts(groupRows, maxRows);
    for (let i = 0; i + 1 < cuts.length; i++) ranges.push({ localPath, rowStart: groupStart + cuts[i]!, rowEnd: groupStart + cuts[i + 1]! });
    groupStart += groupRows;
  });
  return ranges;
}

/** 0, …, groupRows: whole pages per range, as many as fit in maxRows (at least one). */
function pageAlignedCuts(pages: readonly DataPage[], groupRows: number, maxRows: number): number[] {
  const cuts = [0];
  for (const page of pages) {
    const start = cuts.at(-1)!;
    if (page.firstRow > start && page.firstRow + page.rows - start > maxRows) cuts.push(page.firstRow);
  }
  if (groupRows > cuts.at(-1)!) cuts.push(groupRows);
  return cuts;
}

/** 0, …, groupRows in equal steps of at most maxRows. */
function evenCuts(groupRows: number, maxRows: number): number[] {
  const pieces = Math.ceil(groupRows / maxRows);
  return Array.from({ length: pieces + 1 }, (_, piece) => Math.floor((groupRows * piece) / pieces));
}

function isFlatColumn(metadata: FileMetaData, column: string): boolean {
  return metadata.row_groups.every((group) => group.columns.some((chunk) => chunk.meta_data?.path_in_schema.length === 1 && chunk.meta_data.path_in_schema[0] === column));
}

interface OpenFile {
  localPath: string;
  file: AsyncBuffer;
  metadata: FileMetaData;
  compressors: Record<string, Decompress>;
  /** First row of each row group, and a final entry for the row count. */
  groupStarts: number[];
  /** Page layout of the columns read so far, by column list, with its page locations per row group. */
  layouts: Map<string, { layout: PageLayout; locations: Array<Record<string, PageLocation[]>> }>;
}

/** The last file opened by readParquetRange: ranges of one file usually come in a row. */
let openFile: OpenFile | undefined;

async function open(localPath: string): Promise<OpenFile> {
  if (openFile?.localPath !== localPath) {
    const file = localFileBuffer(localPath);
    const metadata = await parquetMetadataAsync(file);
    const groupStarts = [0];
    for (const group of metadata.row_groups) groupStarts.push(groupStarts.at(-1)! + Number(group.num_rows));
    openFile = { localPath, file, metadata, compressors: await decompressorsFor(metadata), groupStarts, layouts: new Map() };
  }
  return openFile;
}

/**
 * The rows of one range of a local Parquet file (see parquetRowRanges). Only the pages holding
 * the range are read and decoded (their locations come from the page headers, read once per
 * file), and a chunk's dictionary only when those pages use it.
 */
export async function readParquetRange(range: RowRange, columns: string[], options: { textAsBytes?: boolean } = {}): Promise<Row[]> {
  const opened = await open(range.localPath);
  const { file, metadata } = opened;
  const key = columns.join('\0');
  let known = opened.layouts.get(key);
  if (!known) {
    known = { layout: columns.every((column) => isFlatColumn(metadata, column)) ? readPageLayout(range.localPath, metadata, columns) : [], locations: [] };
    opened.layouts.set(key, known);
  }
  const groupIndex = opened.groupStarts.findIndex((start, index) => range.rowStart >= start && range.rowStart < opened.groupStarts[index + 1]!);
  const pages = known.layout[groupIndex];
  let readMetadata = metadata;
  const pageLocationsByGroup: Array<Record<string, PageLocation[]>> = [];
  if (pages && columns.every((column) => (pages.get(column)?.length ?? 0) > 0)) {
    const groupStart = opened.groupStarts[groupIndex]!;
    pageLocationsByGroup[groupIndex] = known.locations[groupIndex] ??= Object.fromEntries(columns.map((column) => [column, toPageLocations(pages.get(column)!)]));
    // A pyarrow chunk whose dictionary overflowed switches to plain pages: ranges past the
    // switch need not read and decode the dictionary page (up to 1 MB) again each time.
    const withoutDictionary = new Set(columns.filter((column) => !pagesOverlapping(pages.get(column)!, range.rowStart - groupStart, range.rowEnd - groupStart).some((page) => page.usesDictionary)));
    readMetadata = withoutDictionaryPages(metadata, groupIndex, withoutDictionary);
  }
  const rows = (await parquetReadObjects({ file, metadata: readMetadata, rowStart: range.rowStart, rowEnd: range.rowEnd, columns, compressors: opened.compressors, pageLocationsByGroup, ...(options.textAsBytes ? { parsers: BYTES_AS_THEY_ARE } : {}) } as Parameters<typeof parquetReadObjects>[0])) as Row[];
  return rows.map(normaliseRow);
}

const BYTES_AS_THEY_ARE = { stringFromBytes: (bytes: Uint8Array | undefined) => bytes };

/** The metadata with the dictionary page of the named columns of one row group left out. */
function withoutDictionaryPages(metadata: FileMetaData, groupIndex: number, columns: ReadonlySet<string>): FileMetaData {
  const group = metadata.row_groups[groupIndex]!;
  if (!group.columns.some((chunk) => chunk.meta_data?.dictionary_page_offset !== undefined && columns.has(chunk.meta_data.path_in_schema[0]!))) return metadata;
  const row_groups = metadata.row_groups.slice();
  row_groups[groupIndex] = {
    ...group,
    columns: group.columns.map((chunk) => (chunk.meta_data && columns.has(chunk.meta_data.path_in_schema[0]!) ? { ...chunk, meta_data: { ...chunk.meta_data, dictionary_page_offset: undefined } } : chunk)),
  };
  return { ...metadata, row_groups };
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
