import { expect } from 'chai';
import path from 'node:path';
import { columnBuffer } from '../../src/runtime/parquet/column-buffer.js';
import type { ColumnSpec } from '../../src/runtime/parquet/parquet-schema.js';
import { ParquetFileWriter, encodeParquetValue, encodeRowGroup } from '../../src/runtime/parquet/parquet-writer.js';
import { runPython } from '../helpers/python.js';
import { tempDir } from '../helpers/run-stages.js';

const COLUMNS: ColumnSpec[] = [
  { name: 'key', type: 'STRING', plain: true, required: true },
  { name: 'text', type: 'STRING', plain: true },
  { name: 'label', type: 'STRING' },
];

/** Row i: keys that sort differently from one row group to the next, text with accents. */
function row(i: number): Record<string, string | null> {
  return { key: `k${String((i * 7) % 100).padStart(3, '0')}-é`, text: i % 4 === 0 ? null : `l’été n°${i} « ${'œ'.repeat(i)} » 📚`, label: i % 2 ? 'impair' : 'pair' };
}

const READ_BACK = `
import sys, json, pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
stats = []
for g in range(f.metadata.num_row_groups):
    s = f.metadata.row_group(g).column(0).statistics
    stats.append([s.min, s.max])
print(json.dumps({"rows": f.read().to_pylist(), "stats": stats}, ensure_ascii=False))
`;

describe('Parquet writer: plain text columns', function () {
  this.timeout(60_000);

  for (const how of ['row by row', 'row groups encoded apart'] as const) {
    it(`keeps each row group's values and key statistics, written ${how}`, async function () {
      const file = path.join(await tempDir(), 'out.parquet');
      const rows = Array.from({ length: 11 }, (_, i) => row(i));
      const writer = new ParquetFileWriter(file, COLUMNS, { rowGroupSize: 3 });
      if (how === 'row by row') {
        for (const value of rows) await writer.append(value);
      } else {
        for (let start = 0; start < rows.length; start += 3) {
          const group = rows.slice(start, start + 3);
          const values = COLUMNS.map((column) => group.map((value) => encodeParquetValue(value[column.name], column)));
          await writer.appendRowGroup(encodeRowGroup(COLUMNS, values, group.length));
        }
      }
      await writer.close();
      const read = JSON.parse(runPython(this, READ_BACK, [file])) as { rows: unknown[]; stats: string[][] };
      expect(read.rows).to.deep.equal(rows);
      const expected = [0, 3, 6, 9].map((start) => {
        const keys = rows.slice(start, start + 3).map((value) => value.key!).sort();
        return [keys[0], keys.at(-1)];
      });
      expect(read.stats).to.deep.equal(expected);
    });
  }

  it('writes the footer of a file of many row groups encoded apart as pyarrow reads it: rows, groups, statistics, metadata', async function () {
    const file = path.join(await tempDir(), 'many.parquet');
    const rows = Array.from({ length: 41 }, (_, i) => row(i));
    const writer = new ParquetFileWriter(file, COLUMNS, { metadata: { stage: 'parse', note: 'é' } });
    for (let start = 0; start < rows.length; start += 2) {
      const group = rows.slice(start, start + 2);
      const values = COLUMNS.map((column) => group.map((value) => encodeParquetValue(value[column.name], column)));
      await writer.appendRowGroup(encodeRowGroup(COLUMNS, values, group.length));
    }
    await writer.close();
    const script = `${READ_BACK.trim()}\nprint(json.dumps({"groups": f.metadata.num_row_groups, "rows": f.metadata.num_rows, "kv": {k.decode(): v.decode() for k, v in f.metadata.metadata.items()}}, ensure_ascii=False))`;
    const [first, second] = runPython(this, script, [file]).trim().split('\n');
    const read = JSON.parse(first!) as { rows: unknown[]; stats: string[][] };
    expect(read.rows).to.deep.equal(rows);
    expect(read.stats[20]).to.deep.equal([rows[40]!.key, rows[40]!.key]);
    expect(JSON.parse(second!)).to.deep.equal({ groups: 21, rows: 41, kv: { stage: 'parse', note: 'é' } });
  });
});

/** Every kind of column buffer, each written as it would choose: PLAIN or with a dictionary. */
const BUFFERED: ColumnSpec[] = [
  { name: 'key', type: 'STRING', plain: true, required: true },
  { name: 'text', type: 'STRING', plain: true },
  { name: 'label', type: 'STRING' },
  { name: 'note', type: 'STRING' },
  { name: 'price', type: 'DOUBLE' },
  { name: 'tva', type: 'DOUBLE' },
  { name: 'flag', type: 'INT64' },
  { name: 'big', type: 'INT64', plain: true },
  { name: 'empty', type: 'STRING' },
];

/** Row i of a group: repeats (dictionary columns), nulls, accents and emoji, large and negative integers. */
function bufferedRow(group: number, i: number): unknown[] {
  const big = [-5n, 2n ** 40n, 2n ** 60n + 1n, -(2n ** 63n), null][i % 5]!;
  return [
    `k${group}-${String(1_000_000 - i).padStart(7, '0')}`,
    i % 4 === 0 ? null : `l’été n°${i} « ${'œ'.repeat(i % 9)} » 📚`,
    i % 7 === 0 ? null : ['Disponible', 'Épuisé', 'À paraître'][i % 3],
    i % 5 === 0 ? null : `note ${group}/${i} — ${'é'.repeat(i % 3)}`,
    i % 6 === 0 ? null : i % 11 === 0 ? -0 : i / 8,
    i % 9 === 0 ? null : 5.5,
    i % 10 === 0 ? null : BigInt(i % 2),
    big,
    null,
  ];
}

const READ_BUFFERED = `
import sys, json, pyarrow.parquet as pq, duckdb
f = pq.ParquetFile(sys.argv[1])
rows = f.read().to_pylist()
dup = duckdb.connect().execute("select * from read_parquet(?)", [sys.argv[1]]).fetchall()
assert [tuple(r.values()) for r in rows] == [tuple(r) for r in dup], "DuckDB reads other values"
meta = f.metadata
groups = []
for g in range(meta.num_row_groups):
    rg = meta.row_group(g)
    s = rg.column(0).statistics
    groups.append({"rows": rg.num_rows, "min": s.min, "max": s.max, "dictionary": [rg.column(c).path_in_schema for c in range(rg.num_columns) if rg.column(c).has_dictionary_page]})
def cell(v):
    if isinstance(v, int) and abs(v) > 2**53: return str(v)
    if isinstance(v, float) and v == 0 and str(v).startswith("-"): return "-0"
    return v
print(json.dumps({"rows": [[cell(v) for v in r.values()] for r in rows], "groups": groups}, ensure_ascii=False))
`;

describe('Parquet writer: row groups from column buffers', function () {
  this.timeout(60_000);

  it('writes what pyarrow and DuckDB read back value for value, with a dictionary only where it pays', async function () {
    const file = path.join(await tempDir(), 'buffered.parquet');
    const sizes = [3, 1_500, 40];
    const expected: unknown[][] = [];
    const writer = new ParquetFileWriter(file, BUFFERED);
    for (const [group, size] of sizes.entries()) {
      const buffers = BUFFERED.map(columnBuffer);
      // A buffer is reused from one row group to the next, as the parse worker does.
      if (group > 0) for (const buffer of buffers) buffer.clear();
      for (let i = 0; i < size; i++) {
        const cells = bufferedRow(group, i);
        cells.forEach((cell, j) => buffers[j]!.push(cell));
        expected.push(cells.map((cell) => (typeof cell === 'bigint' ? (cell > 2n ** 53n || cell < -(2n ** 53n) ? String(cell) : Number(cell)) : Object.is(cell, -0) ? '-0' : cell)));
      }
      await writer.appendRowGroup(encodeRowGroup(BUFFERED, buffers, size));
    }
    await writer.close();
    const read = JSON.parse(runPython(this, READ_BUFFERED, [file])) as { rows: unknown[][]; groups: Array<{ rows: number; min: string; max: string; dictionary: string[] }> };
    expect(read.rows).to.deep.equal(expected);
    expect(read.groups.map((group) => group.rows)).to.deep.equal(sizes);
    read.groups.forEach((group, index) => {
      const keys = expected.slice(sizes.slice(0, index).reduce((a, b) => a + b, 0)).slice(0, sizes[index]).map((cells) => cells[0] as string).sort();
      expect([group.min, group.max], `group ${index} statistics`).to.deep.equal([keys[0], keys.at(-1)]);
    });
    // The library's rule: a dictionary when it and its indexes take at most half the PLAIN bytes.
    expect(read.groups[1]!.dictionary).to.deep.equal(['label', 'tva', 'flag']);
  });
});
