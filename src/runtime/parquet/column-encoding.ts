import type { ByteWriter } from 'hyparquet-writer';
import { writeRleBitPackedHybrid } from './writer-internals.js';

/*
 * How a column buffer (column-buffer.ts) writes its cells as Parquet page content, for
 * row-group-encoder.ts: the shared shapes and the small steps every kind of column uses.
 */

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

export const INITIAL_ROWS = 1024;

export function grownInt32(array: Int32Array<ArrayBuffer>, length: number): Int32Array<ArrayBuffer> {
  if (length < array.length) return array;
  const grown = new Int32Array(array.length * 2);
  grown.set(array);
  return grown;
}

/**
 * hyparquet-writer's rule, so both writers choose alike: a dictionary is kept when it and the
 * bit-packed indexes take at most half the bytes of the PLAIN values.
 */
export function dictionaryPays(plainBytes: number, dictionaryBytes: number, distinct: number, nonNull: number): boolean {
  if (distinct === 0) return false;
  const indexBytes = Math.ceil((nonNull * Math.ceil(Math.log2(distinct))) / 8);
  return 2 * (dictionaryBytes + indexBytes) <= plainBytes;
}

/** The data page of a dictionary-encoded column: bit width, then the indexes of the values. */
export function writeIndexes(out: ByteWriter, indexes: Int32Array, count: number, distinct: number): void {
  const bitWidth = Math.ceil(Math.log2(distinct));
  out.appendUint8(bitWidth);
  writeRleBitPackedHybrid(out, indexes.subarray(0, count), bitWidth);
}

/** Room for `bytes` more in `out`, and a Buffer over its space (valid until it grows again). */
export function reserve(out: ByteWriter, bytes: number): Buffer {
  out.ensure(bytes);
  return Buffer.from(out.buffer, 0, out.buffer.byteLength);
}

/** Moves `out` past `bytes` written through a reserve() view. */
export function advance(out: ByteWriter, bytes: number): void {
  out.index += bytes;
  out.offset += bytes;
}
