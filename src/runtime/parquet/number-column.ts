import type { ByteWriter } from 'hyparquet-writer';
import type { ColumnBuffer } from './column-buffer.js';
import { INITIAL_ROWS, advance, dictionaryPays, reserve, writeIndexes, type PageTarget, type PageValues } from './column-encoding.js';

/** Small integers are most INT64 cells (flags, types): shared instead of allocated per cell. */
const SMALL_BIGINTS = Array.from({ length: 256 }, (_, index) => BigInt(index));

/** An integer as the bigint INT64 cells take, shared for small ones. */
export function bigIntOf(integer: number): bigint {
  return integer >= 0 && integer < SMALL_BIGINTS.length ? SMALL_BIGINTS[integer]! : BigInt(integer);
}

/** DOUBLE or INT64: a double per cell (INT64 cells come from JSON numbers, which doubles hold exactly). */
export class NumberColumn implements ColumnBuffer {
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
      values[i] = this.nulls[i] ? null : this.asBigInt ? bigIntOf(number) : number;
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
      // Most columns repeat one value row after row: compared before looked up.
      let lastKey: number | string | undefined;
      let lastIndex = -1;
      for (let k = 0; k < nonNull; k++) {
        const row = present[k]!;
        const exact = this.exact === undefined ? undefined : this.exact.get(row);
        const key = exact === undefined ? this.numbers[row]! : `${exact}`;
        if (key === lastKey) {
          indexes[k] = lastIndex;
          continue;
        }
        let index = positions.get(key);
        if (index === undefined) {
          index = firstRows.length;
          positions.set(key, index);
          firstRows.push(row);
        }
        lastKey = key;
        lastIndex = index;
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
