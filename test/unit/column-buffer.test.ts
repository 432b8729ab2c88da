import { expect } from 'chai';
import { columnBuffer, writerSource } from '../../src/runtime/parquet/column-buffer.js';
import type { ColumnSpec } from '../../src/runtime/parquet/parquet-schema.js';

const PLAIN: ColumnSpec = { name: 'resume', type: 'STRING', plain: true };
const TEXT: ColumnSpec = { name: 'editeur', type: 'STRING' };
const DOUBLE: ColumnSpec = { name: 'prix', type: 'DOUBLE' };
const INT64: ColumnSpec = { name: 'flag', type: 'INT64' };

/** Plain text comes back as UTF-8 views: as text again for comparison. */
function asText(values: unknown[]): unknown[] {
  return values.map((value) => (value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value));
}

describe('column buffers', () => {
  it('give back plain text byte for byte, nulls in place, a repeat after a null included', () => {
    const cells = ['l’été « Œuvres »', 'l’été « Œuvres »', null, 'l’été « Œuvres »', '', 'emoji 📚', undefined, 'emoji 📚', 'x'.repeat(3 << 20)];
    const buffer = columnBuffer(PLAIN);
    for (const cell of cells) buffer.push(cell);
    expect(buffer.length).to.equal(cells.length);
    expect(asText(buffer.values())).to.deep.equal(cells.map((cell) => cell ?? null));
  });

  it('keep every row past their initial size, for each kind of column', () => {
    const rows = 5_000;
    const text = Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? null : `publisher ${i % 13}`));
    const numbers = Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? null : i / 4));
    const flags = Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? null : BigInt(i)));
    const plain = Array.from({ length: rows }, (_, i) => (i % 11 === 0 ? null : `title ${i}`));
    const buffers = [columnBuffer(TEXT), columnBuffer(DOUBLE), columnBuffer(INT64), columnBuffer(PLAIN)];
    [text, numbers, flags, plain].forEach((cells, index) => cells.forEach((cell) => buffers[index]!.push(cell)));
    expect(buffers[0]!.values()).to.deep.equal(text);
    expect(buffers[1]!.values()).to.deep.equal(numbers);
    expect(buffers[2]!.values()).to.deep.equal(flags);
    expect(asText(buffers[3]!.values())).to.deep.equal(plain);
  });

  it('keep INT64 values a double cannot hold exactly', () => {
    const big = 2n ** 60n + 1n;
    const buffer = columnBuffer(INT64);
    for (const cell of [1n, big, null, -(2n ** 63n)]) buffer.push(cell);
    expect(buffer.values()).to.deep.equal([1n, big, null, -(2n ** 63n)]);
  });

  it('start empty again after clear, whatever the previous row group held', () => {
    for (const spec of [PLAIN, TEXT, DOUBLE, INT64]) {
      const buffer = columnBuffer(spec);
      buffer.push(spec.type === 'INT64' ? 2n ** 60n + 1n : spec.type === 'DOUBLE' ? 1.5 : 'first');
      buffer.clear();
      buffer.push(null);
      expect(buffer.values(), spec.name).to.deep.equal([null]);
    }
  });

  it('are read by the writer through length and slice', () => {
    const buffer = columnBuffer(TEXT);
    for (const cell of ['a', 'b', null]) buffer.push(cell);
    const source = writerSource(buffer);
    expect(source.length).to.equal(3);
    expect(source.slice(0, 3)).to.deep.equal(['a', 'b', null]);
    expect(source.slice(1)).to.deep.equal(['b', null]);
  });
});
