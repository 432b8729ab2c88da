import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { DecodedArray, RowGroup, SchemaElement } from 'hyparquet';
import { gzipSync } from 'node:zlib';
import { type ColumnSpec, isPlainText, toParquetSchema } from './parquet-schema.js';
import { HashingFileSink } from './file-sink.js';
import { Utf8Arena } from './utf8-arena.js';
import { type ColumnBuffer, writerSource } from './column-buffer.js';
import { canEncodeDirectly, encodeColumnBuffers } from './row-group-encoder.js';
import { FooterBytes } from './footer-bytes.js';

export type Row = Record<string, unknown>;

export interface ParquetWriterOptions {
  /** Rows buffered before a row group is encoded and flushed; bounds the writer's memory. */
  rowGroupSize?: number;
  /**
   * Columns that get min/max statistics (readers use them to skip row groups). Computing them
   * costs about a third of the write time, so by default only required columns (keys) get them.
   */
  statisticsColumns?: readonly string[];
  /** Extra key/value metadata in the file footer. */
  metadata?: Record<string, string>;
}

/**
 * One row group already encoded and compressed (e.g. by a worker thread): its bytes, and its
 * metadata with offsets counted from the start of `bytes`. A writer places it with
 * appendRowGroup, shifting the offsets to where the bytes land in its file.
 */
export interface EncodedRowGroup {
  bytes: Uint8Array;
  metadata: RowGroup;
}

const MAGIC = 0x31524150; // "PAR1"

/** Library options shared by whole files and stand-alone row groups, so both encode alike. */
function libraryWriterOptions(columns: readonly ColumnSpec[]) {
  return {
    schema: toParquetSchema(columns) as SchemaElement[],
    createdBy: 'titelive-etl',
    // GZIP through Node's native zlib at level 1: measured faster than the library's
    // JavaScript Snappy and about a third smaller (see docs/run-layout.md); every reader has it.
    codec: 'GZIP' as const,
    compressors: { GZIP: gzipLevel1 },
  };
}

function gzipLevel1(input: Uint8Array): Uint8Array {
  return new Uint8Array(gzipSync(input, { level: 1 }));
}

/**
 * This thread's UTF-8 space for the row group being encoded. Encoding is synchronous, one row
 * group at a time, so one arena serves every writer of the thread.
 */
const textArena = new Utf8Arena();

/** A row group's cells for one column: values, or a ColumnBuffer (see column-buffer.ts). */
export type ColumnCells = unknown[] | ColumnBuffer;

/**
 * `PARQUET_ROW_GROUP_ENCODER=library` gives every row group to the library's writer, fed from
 * the same column buffers, instead of row-group-encoder.ts: for `npm run bench:parse --
 * --encoder library`, which measures what the hand-written encoder buys end to end.
 */
const OWN_ENCODER = process.env.PARQUET_ROW_GROUP_ENCODER !== 'library';

/** The library's column sources for one row group; call textArena.reset() first. */
function columnSources(columns: readonly ColumnSpec[], columnValues: readonly ColumnCells[], statisticsColumns: ReadonlySet<string>) {
  return columns.map((column, index) => ({
    name: column.name,
    data: sourceOf(column, columnValues[index]!),
    statistics: statisticsColumns.has(column.name),
    ...(column.plain ? { encoding: 'PLAIN' as const } : {}),
    // No page index: pages are up to 1 MB and row groups small, so it would buy readers little,
    // and row groups encoded apart then need no index stitching.
    offsetIndex: false,
  }));
}

function sourceOf(column: ColumnSpec, cells: ColumnCells): DecodedArray {
  if (!Array.isArray(cells)) return writerSource(cells) as unknown as DecodedArray;
  // Plain text is written as UTF-8 bytes here, in bulk; dictionary candidates stay strings,
  // which the writer compares faster than bytes and encodes only once per distinct value.
  return (isPlainText(column) ? textArena.encodeAll(cells) : cells) as DecodedArray;
}

function defaultStatisticsColumns(columns: readonly ColumnSpec[]): Set<string> {
  return new Set(columns.filter((column) => column.required).map((column) => column.name));
}

/**
 * Encodes one row group from encoded column values (in `columns` order, see encodeParquetValue)
 * into a stand-alone buffer: the CPU-heavy part of writing, which a worker thread can do.
 */
export function encodeRowGroup(columns: readonly ColumnSpec[], columnValues: readonly ColumnCells[], rowCount: number, statisticsColumns?: readonly string[]): EncodedRowGroup {
  const statistics = statisticsColumns ? new Set(statisticsColumns) : defaultStatisticsColumns(columns);
  if (OWN_ENCODER && canEncodeDirectly(columns, columnValues)) return encodeColumnBuffers(columns, columnValues, rowCount, { codec: 'GZIP', compress: gzipLevel1, statisticsColumns: statistics });
  const buffer = groupBuffer;
  buffer.offset = 0;
  buffer.index = 0;
  const writer = new ParquetWriter({ writer: buffer, ...libraryWriterOptions(columns) });
  const headerLength = buffer.offset;
  textArena.reset();
  void writer.write({ columnData: columnSources(columns, columnValues, statistics), rowGroupSize: rowCount });
  const metadata = writer.row_groups[0];
  if (!metadata) throw new Error('encodeRowGroup: no row group was written');
  ownStatistics(metadata);
  shiftOffsets(metadata, -headerLength);
  // A copy that owns its buffer, so it can be transferred between threads without copying again.
  return { bytes: buffer.getBytes().slice(headerLength), metadata };
}

/**
 * Min/max statistics of text columns may be views on the text arena: they are copied, since
 * the metadata outlives the row group (it goes in the footer).
 */
function ownStatistics(group: RowGroup): void {
  for (const chunk of group.columns) {
    const statistics = chunk.meta_data?.statistics;
    if (!statistics) continue;
    for (const key of ['min_value', 'max_value', 'min', 'max'] as const) {
      const value = statistics[key];
      if (value instanceof Uint8Array) statistics[key] = value.slice();
    }
  }
}

/**
 * This thread's buffer for encoding row groups, reused: a fresh buffer of a few MB per row
 * group is memory the C allocator keeps once freed (docs/benchmarks.md, "Design measurements").
 */
const groupBuffer = new ByteWriter(1 << 20);

/** Moves every file offset of a row group's metadata by `delta` bytes. */
function shiftOffsets(group: RowGroup, delta: number): void {
  const by = BigInt(delta);
  group.file_offset = group.file_offset === undefined ? undefined : group.file_offset + by;
  for (const chunk of group.columns) {
    chunk.file_offset += by;
    const meta = chunk.meta_data;
    if (!meta) continue;
    meta.data_page_offset += by;
    if (meta.dictionary_page_offset !== undefined) meta.dictionary_page_offset += by;
    if (meta.index_page_offset !== undefined) meta.index_page_offset += by;
    if (meta.bloom_filter_offset !== undefined) meta.bloom_filter_offset += by;
  }
}

/**
 * Writes rows to a local Parquet file one row group at a time, so memory depends on the row
 * group size, not on the file. The library behind it (hyparquet-writer) stays in this folder.
 */
export class ParquetFileWriter {
  private readonly writer: ParquetWriter;
  private readonly sink: HashingFileSink;
  private buffer: Row[] = [];
  private rowCount = 0;
  private closed = false;
  private readonly statisticsColumns: Set<string>;
  private readonly writerOptions: Omit<ConstructorParameters<typeof ParquetWriter>[0], 'writer'>;
  /** The footer of a file of row groups encoded elsewhere (appendRowGroup). */
  private footer: FooterBytes | undefined;

  constructor(
    readonly localPath: string,
    readonly columns: readonly ColumnSpec[],
    private readonly options: ParquetWriterOptions = {},
  ) {
    this.sink = new HashingFileSink(localPath);
    this.statisticsColumns = options.statisticsColumns ? new Set(options.statisticsColumns) : defaultStatisticsColumns(columns);
    this.writerOptions = { ...libraryWriterOptions(columns), kvMetadata: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })) };
    this.writer = new ParquetWriter({ writer: this.sink, ...this.writerOptions });
    if (this.sink.offset !== 4) throw new Error(`${localPath}: unexpected Parquet header (${this.sink.offset} bytes, expected the 4-byte ${MAGIC.toString(16)})`);
  }

  get rows(): number {
    return this.rowCount + this.buffer.length;
  }

  async append(row: Row): Promise<void> {
    this.assertOpen();
    this.buffer.push(row);
    if (this.buffer.length >= (this.options.rowGroupSize ?? 5_000)) await this.flushRowGroup();
  }

  /** Places a row group encoded elsewhere (encodeRowGroup, same columns) after the rows so far. */
  async appendRowGroup(group: EncodedRowGroup): Promise<void> {
    this.assertOpen();
    const rowCount = Number(group.metadata.num_rows);
    if (rowCount === 0) return;
    if (group.metadata.columns.length !== this.columns.length) throw new Error(`${this.localPath}: a row group of ${group.metadata.columns.length} columns cannot go in a file of ${this.columns.length}`);
    await this.flushRowGroup();
    this.placeRowGroup(group);
  }

  private placeRowGroup(group: EncodedRowGroup): void {
    shiftOffsets(group.metadata, this.sink.offset);
    this.sink.appendChunk(group.bytes);
    // A file that starts with encoded row groups keeps their metadata as footer bytes.
    if (this.writer.row_groups.length === 0) (this.footer ??= new FooterBytes(this.writerOptions)).add(group.metadata);
    else this.writer.row_groups.push(this.compact(group.metadata));
    this.writer.num_rows += group.metadata.num_rows;
    this.rowCount += Number(group.metadata.num_rows);
  }

  /** Finishes the file; returns its row count, size in bytes and SHA-256 (hex). */
  async close(): Promise<{ rows: number; bytes: number; sha256: string }> {
    if (!this.closed) {
      await this.flushRowGroup();
      this.closed = true;
      if (this.footer) {
        this.footer.write(this.sink, this.writer.num_rows);
        this.sink.finish();
      } else {
        await this.writer.finish();
      }
    }
    return { rows: this.rowCount, bytes: this.sink.offset, sha256: this.sink.sha256 };
  }

  /** Stops writing without finishing the file, which the caller then removes. */
  abandon(): void {
    this.closed = true;
    this.sink.abandon();
  }

  /** Per column: one shared `path_in_schema` and one `encodings` array per distinct list. */
  private readonly sharedLists = new Map<string, string[]>();

  /**
   * The footer holds every row group's metadata until the file closes, so each one is kept
   * small: lists equal to an earlier chunk's are shared, and the optional page-encoding
   * statistics are left out (readers go by `encodings`). About a third less memory per group.
   */
  private compact(group: RowGroup): RowGroup {
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (!meta) continue;
      meta.path_in_schema = this.shared(meta.path_in_schema);
      meta.encodings = this.shared(meta.encodings) as typeof meta.encodings;
      meta.encoding_stats = undefined;
    }
    return group;
  }

  private shared(list: string[]): string[] {
    const key = list.join('\u0000');
    let known = this.sharedLists.get(key);
    if (!known) this.sharedLists.set(key, (known = list));
    return known;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`${this.localPath}: append after close`);
  }

  private async flushRowGroup(): Promise<void> {
    if (this.buffer.length === 0) return;
    const rows = this.buffer;
    this.buffer = [];
    const columnValues = this.columns.map((column) => rows.map((row) => encodeParquetValue(row[column.name], column)));
    if (this.footer) {
      // After row groups encoded elsewhere, rows are encoded the same way, so the footer stays bytes.
      this.placeRowGroup(encodeRowGroup(this.columns, columnValues, rows.length, [...this.statisticsColumns]));
      return;
    }
    textArena.reset();
    const written = this.writer.write({ columnData: columnSources(this.columns, columnValues, this.statisticsColumns), rowGroupSize: rows.length });
    const group = this.writer.row_groups.at(-1);
    if (group) ownStatistics(group);
    await written;
    this.rowCount += rows.length;
  }
}

/** A value as the Parquet writer wants it for its column (bigint for INT64, Date for timestamps). */
export function encodeParquetValue(value: unknown, column: ColumnSpec): unknown {
  if (value === undefined || value === null) {
    if (column.required) throw new Error(`column '${column.name}' is required but a row has no value`);
    return null;
  }
  switch (column.type) {
    case 'INT64':
      return typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value)));
    case 'TIMESTAMP_MILLIS':
      return value instanceof Date ? value : new Date(value as number);
    case 'STRING':
      return typeof value === 'string' ? value : String(value);
    default:
      return value;
  }
}
