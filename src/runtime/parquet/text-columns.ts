import { ByteDictionary } from '../byte-dictionary.js';
import type { ColumnBuffer } from './column-buffer.js';
import { INITIAL_ROWS, advance, dictionaryPays, grownInt32, reserve, writeIndexes, type PageTarget, type PageValues } from './column-encoding.js';

const INITIAL_TEXT_BYTES = 1 << 20;
/** A plain text column keeps at most this much space from one row group to the next. */
const KEPT_TEXT_BYTES = 16 << 20;

/**
 * Long or mostly distinct text, kept as the PLAIN page will hold it: each value's byte length
 * (4 bytes, little-endian) then its UTF-8 bytes, in one reused buffer, so the page is one copy
 * of that buffer. Offset (of the bytes) and length per cell.
 */
export class PlainTextColumn implements ColumnBuffer {
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
  private lastSource: Uint8Array | undefined;
  private lastSourceStart = -1;

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
      this.lastSource = undefined;
      this.lastLength = this.bytes.write(text, start);
      this.bytes.writeUInt32LE(this.lastLength, this.used);
    }
    this.lastOffset = start;
    this.offsets[this.length] = start;
    this.lengths[this.length] = this.lastLength;
    this.used = start + this.lastLength;
    this.length += 1;
  }

  /** Appends the UTF-8 text start..end of `source`. */
  pushUtf8(source: Uint8Array, start: number, end: number): void {
    this.offsets = grownInt32(this.offsets, this.length);
    this.lengths = grownInt32(this.lengths, this.length);
    const length = end - start;
    this.ensureRoom(4 + length);
    const at = this.used + 4;
    this.bytes.writeUInt32LE(length, this.used);
    if (source === this.lastSource && start === this.lastSourceStart && length === this.lastLength) this.bytes.copyWithin(at, this.lastOffset, this.lastOffset + length);
    else this.bytes.set(source.subarray(start, end), at);
    this.lastSource = source;
    this.lastSourceStart = start;
    this.lastText = undefined;
    this.lastOffset = at;
    this.lastLength = length;
    this.offsets[this.length] = at;
    this.lengths[this.length] = length;
    this.used = at + length;
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
    this.lastSource = undefined;
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

/** Text with repeats (publishers, labels, JSON lists): each distinct value once, as UTF-8, an index per cell. */
export class DistinctTextColumn implements ColumnBuffer {
  length = 0;
  private distinct = new ByteDictionary();
  /** Index into `distinct` per cell; -1 for null. */
  private indexes = new Int32Array(INITIAL_ROWS);

  push(value: unknown): void {
    if (value === null || value === undefined) {
      this.indexes = grownInt32(this.indexes, this.length);
      this.indexes[this.length++] = -1;
      return;
    }
    const text = value as string;
    if (scratch.length < text.length * 3) scratch = Buffer.allocUnsafeSlow(text.length * 3);
    this.pushUtf8(scratch, 0, scratch.write(text, 0));
  }

  pushUtf8(bytes: Uint8Array, start: number, end: number): void {
    this.indexes = grownInt32(this.indexes, this.length);
    // Most columns repeat one value row after row: compared before hashed.
    const last = this.length > 0 ? this.indexes[this.length - 1]! : -1;
    this.indexes[this.length++] = this.distinct.matches(last, bytes, start, end) ? last : this.distinct.add(bytes, start, end);
  }

  values(): unknown[] {
    const texts = Array.from({ length: this.distinct.size }, (_, index) => utf8.decode(this.distinct.bytesOf(index)));
    const values = new Array<unknown>(this.length);
    for (let i = 0; i < this.length; i++) {
      const index = this.indexes[i]!;
      values[i] = index < 0 ? null : texts[index];
    }
    return values;
  }

  clear(): void {
    this.length = 0;
    this.distinct.clear();
  }

  encode(target: PageTarget): PageValues {
    const levels = new Uint8Array(this.length);
    const present = new Int32Array(this.length);
    const distinct = this.distinct;
    let nonNull = 0;
    let plainBytes = 0;
    for (let i = 0; i < this.length; i++) {
      const index = this.indexes[i]!;
      if (index < 0) continue;
      levels[i] = 1;
      present[nonNull++] = index;
      plainBytes += 4 + distinct.byteLength(index);
    }
    const count = distinct.size;
    const dictionaryBytes = 4 * count + distinct.allBytes.length;
    const stats = target.statistics && count > 0 ? this.minMax() : {};
    if (!target.plain && dictionaryPays(plainBytes, dictionaryBytes, count, nonNull)) {
      const out = reserve(target.dictionary, dictionaryBytes);
      let position = target.dictionary.index;
      for (let d = 0; d < count; d++) position = writeValue(out, position, distinct.bytesOf(d));
      advance(target.dictionary, dictionaryBytes);
      writeIndexes(target.values, present, nonNull, count);
      return { levels, nulls: this.length - nonNull, encoding: 'RLE_DICTIONARY', dictionaryCount: count, ...stats };
    }
    const out = reserve(target.values, plainBytes);
    let position = target.values.index;
    for (let k = 0; k < nonNull; k++) position = writeValue(out, position, distinct.bytesOf(present[k]!));
    advance(target.values, plainBytes);
    return { levels, nulls: this.length - nonNull, encoding: 'PLAIN', ...stats };
  }

  private minMax(): { min: Uint8Array; max: Uint8Array } {
    const distinct = this.distinct;
    let min = 0;
    let max = 0;
    for (let d = 1; d < distinct.size; d++) {
      if (Buffer.compare(distinct.bytesOf(d), distinct.bytesOf(min)) < 0) min = d;
      if (Buffer.compare(distinct.bytesOf(d), distinct.bytesOf(max)) > 0) max = d;
    }
    return { min: distinct.bytesOf(min).slice(), max: distinct.bytesOf(max).slice() };
  }
}

/** One PLAIN BYTE_ARRAY value: its length (4 bytes, little-endian), then its bytes. */
function writeValue(out: Buffer, position: number, bytes: Uint8Array): number {
  out.writeUInt32LE(bytes.length, position);
  out.set(bytes, position + 4);
  return position + 4 + bytes.length;
}

const utf8 = new TextDecoder();
/** UTF-8 of a text being added (DistinctTextColumn.push). */
let scratch = Buffer.allocUnsafeSlow(1 << 12);
