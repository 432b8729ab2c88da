import { expect } from 'chai';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import path from 'node:path';
import { readPageLayout } from '../../src/runtime/parquet/page-layout.js';
import { parquetRowRanges, readParquetRange } from '../../src/runtime/parquet/parquet-reader.js';
import { runPython } from '../helpers/python.js';
import { tempDir } from '../helpers/run-stages.js';

describe('reading a pyarrow file range by range', function () {
  this.timeout(60_000);
  let file: string;
  let expected: Array<{ id: number; data: string }>;

  before(async function () {
    file = path.join(await tempDir(), 'raw.parquet');
    // Small pages, a dictionary that overflows into plain pages, and values long enough that
    // some page headers (with their statistics) exceed the first bytes read for a header.
    const out = runPython(this, `
import sys, json, pyarrow as pa, pyarrow.parquet as pq
rows = []
for i in range(700):
    text = "« répété » " * 3 if i < 120 and i % 3 else ("l’été " + str(i)) * (300 if 400 <= i < 420 else 3)
    rows.append({"id": i, "data": json.dumps({"i": i, "t": text}, ensure_ascii=False)})
table = pa.Table.from_pylist(rows)
pq.write_table(table, sys.argv[1], row_group_size=300, data_page_size=2048, dictionary_pagesize_limit=2048, write_batch_size=10)
print(json.dumps(rows, ensure_ascii=False))
`, [file]);
    expected = JSON.parse(out) as typeof expected;
  });

  it('finds every data page of each row group, dictionary-encoded ones and plain ones after the overflow', async () => {
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
    const layout = readPageLayout(file, metadata, ['data']);
    expect(layout).to.have.length(3);
    layout.forEach((columns, group) => {
      const pages = columns.get('data')!;
      expect(pages.length, `group ${group}`).to.be.greaterThan(1);
      expect(pages.reduce((sum, page) => sum + page.rows, 0)).to.equal(Number(metadata.row_groups[group]!.num_rows));
      pages.forEach((page, index) => expect(page.firstRow).to.equal(index === 0 ? 0 : pages[index - 1]!.firstRow + pages[index - 1]!.rows));
    });
    const first = layout[0]!.get('data')!;
    expect(first.some((page) => page.usesDictionary)).to.equal(true);
    expect(first.some((page) => !page.usesDictionary)).to.equal(true);
  });

  it('cuts ranges on page boundaries and reads back every row once, in order, with the same text', async () => {
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
    const layout = readPageLayout(file, metadata, ['data']);
    const boundaries = new Set<number>();
    let groupStart = 0;
    layout.forEach((columns, group) => {
      for (const page of columns.get('data')!) boundaries.add(groupStart + page.firstRow);
      groupStart += Number(metadata.row_groups[group]!.num_rows);
    });
    const ranges = await parquetRowRanges(file, 40, 'data');
    expect(ranges.length).to.be.greaterThan(expected.length / 40);
    const rows = [];
    for (const [index, range] of ranges.entries()) {
      expect(range.rowStart, `range ${index}`).to.equal(index === 0 ? 0 : ranges[index - 1]!.rowEnd);
      expect(boundaries.has(range.rowStart), `range ${index} starts on a page`).to.equal(true);
      rows.push(...(await readParquetRange(range, ['id', 'data'])));
    }
    expect(rows).to.deep.equal(expected);
  });

  it('reads every codec pyarrow writes: Snappy, GZIP, Brotli, ZSTD, LZ4', async function () {
    const folder = await tempDir();
    runPython(this, `
import sys, pyarrow as pa, pyarrow.parquet as pq
table = pa.Table.from_pylist([{"id": i, "data": "« été » %d" % i} for i in range(50)])
for codec in ["snappy", "gzip", "brotli", "zstd", "lz4"]:
    pq.write_table(table, sys.argv[1] + "/" + codec + ".parquet", compression=codec)
`, [folder]);
    for (const codec of ['snappy', 'gzip', 'brotli', 'zstd', 'lz4']) {
      const [range] = await parquetRowRanges(path.join(folder, `${codec}.parquet`), 1000, 'data');
      const rows = await readParquetRange(range!, ['id', 'data']);
      expect(rows, codec).to.deep.equal(Array.from({ length: 50 }, (_, i) => ({ id: i, data: `« été » ${i}` })));
    }
  });
});
