import { expect } from 'chai';
import path from 'node:path';
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
});
