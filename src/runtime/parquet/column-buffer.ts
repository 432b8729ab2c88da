import type { ByteWriter } from 'hyparquet-writer';
import type { ColumnSpec } from './parquet-schema.js';
import { isPlainText } from './parquet-schema.js';
import { writeRleBitPackedHybrid } from './writer-internals.js';

/**
 * One column's values for the row group being built, kept in typed arrays rather than as one
 * JS value per cell. A row group's cells live until it is encoded, so as JS values they were
 * copied by every young-generation collection in between and then promoted (measured on
 * 50,000 products, one thread: 134 MB copied and 85 MB promoted, about 0.5 s of 2.5 s).
 * Typed arrays hold numbers outside the heap; text is kept as UTF-8 bytes or as an index into
 * the row group's distinct values. The writer gets the values back one column at a time (see
 * writerSource), so they exist as JS values only while their own column is encoded.
 */
export interface ColumnBuffer {
  readonly length: number;
  /** Appends one cell: string for STRING, number for DOUBLE, bigint for INT64, null for none. */
  push(value: unknown): void;
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

/** Where a column writes its page content, and how. */
export interface PageTarget {
  /** The data page's values section: PLAIN values, or bit width and dictionary indexes. */
  values: ByteWriter;
  /** The dictionary page's PLAIN values, when the column uses one. */
  dictionary: ByteWriter;
  /** PLAIN only: no dictionary attempt. */
  plain: boolean;
  /** Min and max wanted. */
  statistics: boolean;
}

/** What a column wrote (see PageTarget). */
export interface PageValues {
  /** Per row: 1 for a value, 0 for a null (the definition levels of a flat column). */
  levels: Uint8Array;
  nulls: number;
  encoding: 'PLAIN' | 'RLE_DICTIONARY';
  /** Values in the dictionary page, when there is one. */
  dictionaryCount?: number;
  /** Physical min and max (bytes for text, number for DOUBLE, bigint for INT64), when asked for. */
  min?: Uint8Array | number | bigint;
  max?: Uint8Array | number | bigint;
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

const INITIAL_ROWS = 1024;
const INITIAL_TEXT_BYTES = 1 << 20;
/** A plain text column keeps at most this much space from one row group to the next. */
const KEPT_TEXT_BYTES = 16 << 20;

function grownInt32(array: Int32Array<ArrayBuffer>, length: number): Int32Array<ArrayBuffer> {
  if (length < array.length) return array;
  const grown = new Int32Array(array.length * 2);
  grown.set(array);
  return grown;
}

/**
 * hyparquet-writer's rule, so both writers choose alike: a dictionary is kept when it and the
 * bit-packed indexes take at most half the bytes of the PLAIN values.
 */
function dictionaryPays(plainBytes: number, dictionaryBytes: number, distinct: number, nonNull: number): boolean {
  if (distinct === 0) return false;
  const indexBytes = Math.ceil((nonNull * Math.ceil(Math.log2(distinct))) / 8);
  return 2 * (dictionaryBytes + indexBytes) <= plainBytes;
}

/** The data page of a dictionary-encoded column: bit width, then the indexes of the values. */
function writeIndexes(out: ByteWriter, indexes: Int32Array, count: number, distinct: number): void {
  const bitWidth = Math.ceil(Math.log2(distinct));
  out.appendUint8(bitWidth);
  writeRleBitPackedHybrid(out, indexes.subarray(0, count), bitWidth);
}

/** Room for `bytes` more in `out`, and a Buffer over its space (valid until it grows again). */
function reserve(out: ByteWriter, bytes: number): Buffer {
  out.ensure(bytes);
  return Buffer.from(out.buffer, 0, out.buffer.byteLength);
}

/** Moves `out` past `bytes` written through a reserve() view. */
function advance(out: ByteWriter, bytes: number): void {
  out.index += bytes;
  out.offset += bytes;
}

/**
 * Long or mostly distinct text, kept as the PLAIN page will hold it: each value's byte length
 * (4 bytes, little-endian) then its UTF-8 bytes, in one reused buffer, so the page is one copy
 * of that buffer. Offset (of the bytes) and length per cell.
 */
class PlainTextColumn implements ColumnBuffer {
  length = 0;
  private bytes = Buffer.allocUnsafeSlow(INITIAL_TEXT_BYTES);
  private used = 0;
  private offsets = new Int32Array(INITIAL_ROWS);
  /** Byte length per cell; -1 for null. */
  private lengths = new Int32Array(INITIAL_ROWS);
  // A product's articles repeat its text cells: the bytes are encoded once, then copied.
  private lastText: string | undefined;
  private lastOffset = 0;
  private lastLength = 0;

  push(value: unknown): void {
    this.offsets = grownInt32(this.offsets, this.length);
    this.lengths = grownInt32(this.lengths, this.length);
    if (value === null || value === undefined) {
      this.lengths[this.length++] = -1;
      return;
    }
    const text = value as string;
    const start = this.used + 4;
    if (text === this.lastText) {
      this.ensureRoom(4 + this.lastLength);
      this.bytes.copyWithin(this.used, this.lastOffset - 4, this.lastOffset + this.lastLength);
    } else {
      // A UTF-16 code unit takes at most 3 bytes in UTF-8, so this much room never truncates.
      this.ensureRoom(4 + text.length * 3);
      this.lastText = text;
      this.lastLength = this.bytes.write(text, start);
      this.bytes.writeUInt32LE(this.lastLength, this.used);
    }
    this.lastOffset = start;
    this.offsets[this.length] = start;
    this.lengths[this.length] = this.lastLength;
    this.used = start + this.lastLength;
    this.length += 1;
  }

  values(): unknown[] {
    const values = new Array<unknown>(this.length);
    const { buffer, byteOffset } = this.bytes;
    for (let i = 0; i < this.length; i++) {
      const length = this.lengths[i]!;
      values[i] = length < 0 ? null : new Uint8Array(buffer, byteOffset + this.offsets[i]!, length);
    }
    return values;
  }

  clear(): void {
    this.length = 0;
    this.used = 0;
    this.lastText = undefined;
    // Space grown for an unusually large row group is not kept for the next ones.
    if (this.bytes.length > KEPT_TEXT_BYTES) this.bytes = Buffer.allocUnsafeSlow(INITIAL_TEXT_BYTES);
  }

  /** Always PLAIN: these columns are the ones a dictionary does not pay for. */
  encode(target: PageTarget): PageValues {
    const levels = new Uint8Array(this.length);
    let nulls = 0;
    let min = -1;
    let max = -1;
    for (let i = 0; i < this.length; i++) {
      if (this.lengths[i]! < 0) {
        nulls += 1;
        continue;
      }
      levels[i] = 1;
      if (target.statistics) {
        if (min < 0 || this.compareCells(i, min) < 0) min = i;
        if (max < 0 || this.compareCells(i, max) > 0) max = i;
      }
    }
    target.values.appendBytes(this.bytes.subarray(0, this.used));
    return { levels, nulls, encoding: 'PLAIN', ...(min >= 0 ? { min: this.copyOf(min), max: this.copyOf(max) } : {}) };
  }

  /** Unsigned byte order, as Parquet orders BYTE_ARRAY statistics. */
  private compareCells(a: number, b: number): number {
    return this.bytes.compare(this.bytes, this.offsets[b]!, this.offsets[b]! + this.lengths[b]!, this.offsets[a]!, this.offsets[a]! + this.lengths[a]!);
  }

  private copyOf(cell: number): Uint8Array {
    return new Uint8Array(this.bytes.subarray(this.offsets[cell]!, this.offsets[cell]! + this.lengths[cell]!));
  }

  private ensureRoom(room: number): void {
    if (this.used + room <= this.bytes.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.used + room));
    this.bytes.copy(grown, 0, 0, this.used);
    this.bytes = grown;
  }
}

/** Text with repeats (publishers, labels, JSON lists): each distinct value once, an index per cell. */
class DistinctTextColumn implements ColumnBuffer {
  length = 0;
  private distinct: string[] = [];
  private positions = new Map<string, number>();
  /** Index into `distinct` per cell; -1 for null. */
  private indexes = new Int32Array(INITIAL_ROWS);

  push(value: unknown): void {
    this.indexes = grownInt32(this.indexes, this.length);
    if (value === null || value === undefined) {
      this.indexes[this.length++] = -1;
      return;
    }
    const text = value as string;
    let position = this.positions.get(text);
    if (position === undefined) {
      position = this.distinct.length;
      this.distinct.push(text);
      this.positions.set(text, position);
    }
    this.indexes[this.length++] = position;
  }

  values(): unknown[] {
    const values = new Array<unknown>(this.length);
    for (let i = 0; i < this.length; i++) {
      const index = this.indexes[i]!;
      values[i] = index < 0 ? null : this.distinct[index];
    }
    return values;
  }

  clear(): void {
    this.length = 0;
    this.distinct = [];
    this.positions = new Map();
  }

  encode(target: PageTarget): PageValues {
    const levels = new Uint8Array(this.length);
    const present = new Int32Array(this.length);
    let nonNull = 0;
    for (let i = 0; i < this.length; i++) {
      const index = this.indexes[i]!;
      if (index < 0) continue;
      levels[i] = 1;
      present[nonNull++] = index;
    }
    // Each distinct text to UTF-8 once.
    const count = this.distinct.length;
    const starts = new Int32Array(count + 1);
    let room = 0;
    for (const text of this.distinct) room += text.length * 3;
    if (this.utf8.length < room) this.utf8 = Buffer.allocUnsafeSlow(Math.max(room, 2 * this.utf8.length));
    for (let d = 0; d < count; d++) starts[d + 1] = starts[d]! + this.utf8.write(this.distinct[d]!, starts[d]!);
    let plainBytes = 0;
    for (let k = 0; k < nonNull; k++) plainBytes += 4 + starts[present[k]! + 1]! - starts[present[k]!]!;
    const dictionaryBytes = 4 * count + starts[count]!;
    const stats = target.statistics && count > 0 ? this.minMax(starts) : {};
    if (!target.plain && dictionaryPays(plainBytes, dictionaryBytes, count, nonNull)) {
      const out = reserve(target.dictionary, dictionaryBytes);
      let position = target.dictionary.index;
      for (let d = 0; d < count; d++) position = this.writeValue(out, position, starts, d);
      advance(target.dictionary, dictionaryBytes);
      writeIndexes(target.values, present, nonNull, count);
      return { levels, nulls: this.length - nonNull, encoding: 'RLE_DICTIONARY', dictionaryCount: count, ...stats };
    }
    const out = reserve(target.values, plainBytes);
    let position = target.values.index;
    for (let k = 0; k < nonNull; k++) position = this.writeValue(out, position, starts, present[k]!);
    advance(target.values, plainBytes);
    return { levels, nulls: this.length - nonNull, encoding: 'PLAIN', ...stats };
  }

  /** UTF-8 of the distinct texts being encoded (see encode). */
  private utf8 = Buffer.allocUnsafeSlow(1 << 16);

  private writeValue(out: Buffer, position: number, starts: Int32Array, d: number): number {
    const length = starts[d + 1]! - starts[d]!;
    out.writeUInt32LE(length, position);
    this.utf8.copy(out, position + 4, starts[d]!, starts[d + 1]!);
    return position + 4 + length;
  }

  private minMax(starts: Int32Array): { min: Uint8Array; max: Uint8Array } {
    const bytes = (d: number) => this.utf8.subarray(starts[d]!, starts[d + 1]!);
    let min = 0;
    let max = 0;
    for (let d = 1; d < this.distinct.length; d++) {
      if (Buffer.compare(bytes(d), bytes(min)) < 0) min = d;
      if (Buffer.compare(bytes(d), bytes(max)) > 0) max = d;
    }
    return { min: new Uint8Array(bytes(min)), max: new Uint8Array(bytes(max)) };
  }
}

/** Small integers are most INT64 cells (flags, types): shared instead of allocated per cell. */
const SMALL_BIGINTS = Array.from({ length: 256 }, (_, index) => BigInt(index));

/** DOUBLE or INT64: a double per cell (INT64 cells come from JSON numbers, which doubles hold exactly). */
class NumberColumn implements ColumnBuffer {
  length = 0;
  private numbers = new Float64Array(INITIAL_ROWS);
  private nulls = new Uint8Array(INITIAL_ROWS);
  /** INT64 cells a double cannot hold, by row: kept as given. */
  private exact: Map<number, bigint> | undefined;

  constructor(private readonly asBigInt: boolean) {}

  push(value: unknown): void {
    if (this.length === this.numbers.length) {
      const numbers = new Float64Array(this.length * 2);
      numbers.set(this.numbers);
      const nulls = new Uint8Array(this.length * 2);
      nulls.set(this.nulls);
      this.numbers = numbers;
      this.nulls = nulls;
    }
    const isNull = value === null || value === undefined;
    const number = isNull ? 0 : Number(value);
    if (typeof value === 'bigint' && BigInt(number) !== value) (this.exact ??= new Map()).set(this.length, value);
    this.nulls[this.length] = isNull ? 1 : 0;
    this.numbers[this.length] = number;
    this.length += 1;
  }

  values(): unknown[] {
    const values = new Array<unknown>(this.length);
    for (let i = 0; i < this.length; i++) {
      const number = this.numbers[i]!;
      values[i] = this.nulls[i] ? null : !this.asBigInt ? number : number >= 0 && number < SMALL_BIGINTS.length ? SMALL_BIGINTS[number]! : BigInt(number);
    }
    for (const [row, value] of this.exact ?? []) values[row] = value;
    return values;
  }

  clear(): void {
    this.length = 0;
    this.exact = undefined;
  }

  encode(target: PageTarget): PageValues {
    const levels = new Uint8Array(this.length);
    const present = new Int32Array(this.length);
    let nonNull = 0;
    for (let i = 0; i < this.length; i++) {
      if (this.nulls[i]) continue;
      levels[i] = 1;
      present[nonNull++] = i;
    }
    const stats = target.statistics ? this.minMax(present, nonNull) : {};
    if (!target.plain) {
      // Distinct values by row; a value a double cannot hold is keyed by its digits.
      const positions = new Map<number | string, number>();
      const firstRows: number[] = [];
      const indexes = new Int32Array(nonNull);
      for (let k = 0; k < nonNull; k++) {
        const row = present[k]!;
        const exact = this.exact?.get(row);
        const key = exact === undefined ? this.numbers[row]! : `${exact}`;
        let index = positions.get(key);
        if (index === undefined) {
          index = firstRows.length;
          positions.set(key, index);
          firstRows.push(row);
        }
        indexes[k] = index;
      }
      if (dictionaryPays(8 * nonNull, 8 * firstRows.length, firstRows.length, nonNull)) {
        this.writeValues(target.dictionary, firstRows, firstRows.length);
        writeIndexes(target.values, indexes, nonNull, firstRows.length);
        return { levels, nulls: this.length - nonNull, encoding: 'RLE_DICTIONARY', dictionaryCount: firstRows.length, ...stats };
      }
    }
    this.writeValues(target.values, present, nonNull);
    return { levels, nulls: this.length - nonNull, encoding: 'PLAIN', ...stats };
  }

  /** The values of `rows[0..count)`, 8 bytes each, little-endian. */
  private writeValues(out: ByteWriter, rows: ArrayLike<number>, count: number): void {
    const view = new DataView(reserve(out, 8 * count).buffer);
    let position = out.index;
    for (let k = 0; k < count; k++, position += 8) {
      const row = rows[k]!;
      const number = this.numbers[row]!;
      if (!this.asBigInt) view.setFloat64(position, number, true);
      else if (this.exact?.has(row)) view.setBigInt64(position, this.exact.get(row)!, true);
      else {
        // An integer a double holds exactly: its high and low 32 bits.
        const high = Math.floor(number / 2 ** 32);
        view.setUint32(position, number - high * 2 ** 32, true);
        view.setInt32(position + 4, high, true);
      }
    }
    advance(out, 8 * count);
  }

  private minMax(rows: Int32Array, count: number): { min?: number | bigint; max?: number | bigint } {
    let min: number | bigint | undefined;
    let max: number | bigint | undefined;
    for (let k = 0; k < count; k++) {
      const row = rows[k]!;
      const value: number | bigint = this.asBigInt ? (this.exact?.get(row) ?? BigInt(this.numbers[row]!)) : this.numbers[row]!;
      if (typeof value === 'number' && Number.isNaN(value)) continue;
      if (min === undefined || value < min) min = value;
      if (max === undefined || value > max) max = value;
    }
    // Parquet's rule for signed zero: -0 as min, +0 as max.
    if (min === 0) min = -0;
    if (max === 0) max = 0;
    return min === undefined ? {} : { min, max };
  }
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
