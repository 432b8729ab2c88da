import { ParquetWriter, fileWriter } from 'hyparquet-writer';
import type { DecodedArray } from 'hyparquet';
import { stat } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { type ColumnSpec, toParquetSchema } from './parquet-schema.js';

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
 * Writes rows to a local Parquet file one row group at a time, so memory depends on the row
 * group size, not on the file. The library behind it (hyparquet-writer) stays in this folder.
 */
export class ParquetFileWriter {
  private readonly writer: ParquetWriter;
  private readonly sink: ReturnType<typeof fileWriter>;
  private buffer: Row[] = [];
  /** Pre-encoded column batches (appendColumns), concatenated into one row group when full. */
  private columnBatches: unknown[][][] = [];
  private columnBatchRows = 0;
  private rowCount = 0;
  private closed = false;
  private readonly statisticsColumns: Set<string>;

  constructor(
    readonly localPath: string,
    readonly columns: readonly ColumnSpec[],
    private readonly options: ParquetWriterOptions = {},
  ) {
    this.sink = fileWriter(localPath);
    this.statisticsColumns = new Set(options.statisticsColumns ?? columns.filter((column) => column.required).map((column) => column.name));
    this.writer = new ParquetWriter({
      writer: this.sink,
      schema: toParquetSchema(columns),
      createdBy: 'titelive-etl',
      // GZIP through Node's native zlib at level 1: measured faster than the library's
      // JavaScript Snappy and about a third smaller (see docs/run-layout.md); every reader has it.
      codec: 'GZIP',
      compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input, { level: 1 })) },
      kvMetadata: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    });
  }

  get rows(): number {
    return this.rowCount + this.buffer.length + this.columnBatchRows;
  }

  /**
   * Appends rows given as columns (in `columns` order) whose values are already encoded with
   * encodeParquetValue, e.g. by a worker thread: the cheapest way in for many rows.
   */
  async appendColumns(columnValues: unknown[][], rowCount: number): Promise<void> {
    if (this.closed) throw new Error(`${this.localPath}: append after close`);
    if (rowCount === 0) return;
    await this.flushRowGroup();
    this.columnBatches.push(columnValues);
    this.columnBatchRows += rowCount;
    if (this.columnBatchRows >= (this.options.rowGroupSize ?? 5_000)) await this.flushColumnBatches();
  }

  async append(row: Row): Promise<void> {
    if (this.closed) throw new Error(`${this.localPath}: append after close`);
    this.buffer.push(row);
    if (this.buffer.length >= (this.options.rowGroupSize ?? 5_000)) await this.flushRowGroup();
  }

  /** Finishes the file; returns its row count and size in bytes. */
  async close(): Promise<{ rows: number; bytes: number }> {
    if (!this.closed) {
      await this.flushRowGroup();
      await this.flushColumnBatches();
      this.closed = true;
      await this.writer.finish();
    }
    const { size } = await stat(this.localPath);
    return { rows: this.rowCount, bytes: size };
  }

  private async flushColumnBatches(): Promise<void> {
    if (this.columnBatchRows === 0) return;
    const batches = this.columnBatches;
    const rowCount = this.columnBatchRows;
    this.columnBatches = [];
    this.columnBatchRows = 0;
    await this.writeRowGroup(this.columns.map((_, index) => ([] as unknown[]).concat(...batches.map((batch) => batch[index] ?? []))), rowCount);
  }

  private async flushRowGroup(): Promise<void> {
    if (this.buffer.length === 0) return;
    const rows = this.buffer;
    this.buffer = [];
    await this.writeRowGroup(this.columns.map((column) => rows.map((row) => encodeParquetValue(row[column.name], column))), rows.length);
  }

  /** Encodes one row group from encoded column values (in `columns` order) and writes it. */
  private async writeRowGroup(columnValues: unknown[][], rowCount: number): Promise<void> {
    const columnData = this.columns.map((column, index) => ({
      name: column.name,
      data: columnValues[index] as DecodedArray,
      statistics: this.statisticsColumns.has(column.name),
    }));
    await this.writer.write({ columnData, rowGroupSize: rowCount });
    this.rowCount += rowCount;
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
