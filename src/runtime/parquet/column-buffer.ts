import type { ColumnSpec } from './parquet-schema.js';
import { isPlainText } from './parquet-schema.js';
import type { PageTarget, PageValues } from './column-encoding.js';
import { NumberColumn } from './number-column.js';
import { DistinctTextColumn, PlainTextColumn } from './text-columns.js';

export type { PageTarget, PageValues } from './column-encoding.js';

/**
 * One column's values for the row group being built, kept in typed arrays rather than as one
 * JS value per cell. A row group's cells live until it is encoded, so as JS values they were
 * copied by every young-generation collection in between and then promoted (docs/benchmarks.md,
 * "Design measurements").
 * Typed arrays hold numbers outside the heap; text is kept as UTF-8 bytes or as an index into
 * the row group's distinct values. row-group-encoder.ts writes pages straight from them
 * (encode); the library's writer gets values back one column at a time (writerSource).
 */
export interface ColumnBuffer {
  readonly length: number;
  /** Appends one cell: string for STRING, number for DOUBLE, bigint for INT64, null for none. */
  push(value: unknown): void;
  /** Text columns: appends one cell given as the UTF-8 bytes start..end of `bytes`. */
  pushUtf8?(bytes: Uint8Array, start: number, end: number): void;
  /** The cells as the writer takes them. Text views are valid until the next clear(). */
  values(): unknown[];
  /** Empties the column, keeping its space for the next row group. */
  clear(): void;
  /**
   * Writes the cells as Parquet page content (see row-group-encoder.ts). Missing for a kind of
   * column left to the library's writer.
   */
  encode?(target: PageTarget): PageValues;
}

/** A buffer for `column`'s type: plain text as bytes, other text by index, numbers as numbers. */
export function columnBuffer(column: ColumnSpec): ColumnBuffer {
  if (isPlainText(column)) return new PlainTextColumn();
  switch (column.type) {
    case 'STRING':
      return new DistinctTextColumn();
    case 'DOUBLE':
      return new NumberColumn(false);
    case 'INT64':
      return new NumberColumn(true);
    default:
      return new ValueColumn();
  }
}

/**
 * The column as the library's writer reads a column source: it takes `length`, then `slice`
 * once per row group, so the values are made when the writer reaches this column and are
 * garbage once it moves on to the next.
 */
export function writerSource(buffer: ColumnBuffer): { length: number; slice: (start?: number, end?: number) => unknown[] } {
  return { length: buffer.length, slice: (start, end) => buffer.values().slice(start, end) };
}

/** Any other type: the values as given. */
class ValueColumn implements ColumnBuffer {
  private cells: unknown[] = [];

  get length(): number {
    return this.cells.length;
  }

  push(value: unknown): void {
    this.cells.push(value ?? null);
  }

  values(): unknown[] {
    return this.cells.slice();
  }

  clear(): void {
    this.cells = [];
  }
}
