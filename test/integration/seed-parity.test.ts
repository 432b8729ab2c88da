import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readManifests } from '../../src/runtime/manifest.js';
import { readStageRows, readStoredRows } from '../../src/runtime/part-io.js';
import { LocalStorage } from '../../src/runtime/storage/local-storage.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { runFetch } from '../../src/stages/fetch.js';
import { runParse } from '../../src/stages/parse.js';
import { runPlan } from '../../src/stages/plan.js';
import type { Category } from '../../src/titelive/categories.js';
import { PRODUCTS_COLUMNS } from '../../src/titelive/product-columns.js';
import { ROOT } from '../helpers/services.js';
import { runCli } from '../helpers/cli.js';
import { runPython } from '../helpers/python.js';
import { fetchConfig, planConfig, quietContext, tempDir } from '../helpers/run-stages.js';
import { sameCell } from '../helpers/seed-parity.js';

const SEED_PARSE = path.join(ROOT, 'bench', 'seed_parse.py');
const WINDOW = { start: '2024-01-01', end: '2024-01-08' };

/** Writes a seed-format raw file (index `id`, column `data`) with pandas, as the seed's extract does. */
function writeRawWithPandas(context: Mocha.Context, jsonLines: string, raw: string): void {
  runPython(context, `
import sys, json, pandas as pd
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
pd.DataFrame({"id": [json.loads(l)["id"] for l in lines], "data": lines}).set_index("id").to_parquet(sys.argv[2])
`, [jsonLines, raw]);
}

/** The seed's documented parse steps (bench/seed_parse.py) on `raw`: its column names and rows. */
function seedParse(context: Mocha.Context, raw: string, minDate: string): { names: string[]; rows: Array<Record<string, unknown>> } {
  const out = `${raw}.seed.parquet`;
  runPython(context, `import runpy, sys; sys.argv = [sys.argv[1], "--min-modified-date", sys.argv[2], "--input-file-path", sys.argv[3], "--output-file-path", sys.argv[4]]; runpy.run_path(sys.argv[0], run_name="__main__")`, [SEED_PARSE, minDate, raw, out]);
  const text = runPython(context, `
import sys, json, math, pyarrow.parquet as pq
table = pq.read_table(sys.argv[1])
def plain(v):
    return None if isinstance(v, float) and math.isnan(v) else v
print(json.dumps({"names": table.schema.names, "rows": [{k: plain(v) for k, v in row.items()} for row in table.to_pylist()]}, ensure_ascii=False, default=str))
`, [out]);
  return JSON.parse(text) as { names: string[]; rows: Array<Record<string, unknown>> };
}

/** Every seed column is one of ours, and every cell agrees (see sameCell), row by row by EAN. */
function expectParity(seed: { names: string[]; rows: Array<Record<string, unknown>> }, ours: Array<Record<string, unknown>>): void {
  const columns = new Map(PRODUCTS_COLUMNS.map((column) => [column.name, column]));
  const missing = seed.names.filter((name) => !columns.has(name));
  expect(missing, 'seed columns that are not ours').to.deep.equal([]);
  expect(seed.names.length, 'the seed gives most of the catalogue').to.be.greaterThan(60);
  expect(ours.map((row) => row.article_gencod).sort()).to.deep.equal(seed.rows.map((row) => row.article_gencod).sort());
  const byEan = new Map(ours.map((row) => [row.article_gencod, row]));
  const differences: string[] = [];
  for (const theirs of seed.rows) {
    const row = byEan.get(theirs.article_gencod)!;
    for (const name of seed.names) if (!sameCell(columns.get(name)!, row[name], theirs[name])) differences.push(`${String(theirs.article_gencod)} ${name}: ours ${JSON.stringify(row[name])}, seed ${JSON.stringify(theirs[name])}`);
  }
  expect(differences.slice(0, 10), `${differences.length} differing cells`).to.deep.equal([]);
  for (const row of ours) expect(row.extra_fields, 'every real field is a column').to.equal(null);
}

async function readFile(file: string): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  for await (const row of readStoredRows(new LocalStorage(path.dirname(file)), path.basename(file))) rows.push(row);
  return rows;
}

describe('parse and the seed’s parse steps on the same real-shaped raw file', function () {
  this.timeout(180_000);
  let sandbox: Sandbox;
  before(async () => {
    sandbox = new Sandbox({ products: 400, endDay: WINDOW.end, days: 10 });
    await sandbox.start();
  });
  after(async () => sandbox?.stop());

  for (const category of ['paper', 'music'] as Category[]) {
    it(`file mode (${category}): /search products of every shape give the seed’s columns, with the same values`, async function () {
      const folder = await tempDir();
      const lines = Array.from({ length: 120 }, (_, index) => JSON.stringify(sandbox.catalog.product(category, index))).join('\n');
      await writeFile(path.join(folder, 'products.jsonl'), lines, 'utf8');
      const raw = path.join(folder, 'raw.parquet');
      writeRawWithPandas(this, path.join(folder, 'products.jsonl'), raw);
      const out = path.join(folder, 'ours.parquet');
      const result = await runCli(['parse', '--input-file-path', raw, '--output-file-path', out, '--min-modified-date', WINDOW.start]);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stderr, 'no field outside the catalogue').to.not.match(/outside the catalogue/);
      expectParity(seedParse(this, raw, WINDOW.start), await readFile(out));
    });
  }

  it('run mode: the products fetch found give, for the same raw rows, the seed’s columns with the same values', async function () {
    const dataUrl = await tempDir();
    await runPlan(planConfig(sandbox, dataUrl, WINDOW), quietContext());
    await runFetch(fetchConfig(sandbox, dataUrl, WINDOW.end, { index: 0, count: 1 }), quietContext());
    await runParse({ mode: 'run', workers: 1, dataset: 'paper', runId: WINDOW.end, dataUrl, shard: { index: 0, count: 1 } }, quietContext());
    const storage = new LocalStorage(dataUrl);
    const run = { dataset: 'paper', runId: WINDOW.end };
    const found: string[] = [];
    for await (const row of readStageRows(storage, await readManifests(storage, run, 'fetch'), { columns: ['status', 'data'] })) if (row.status === 'found') found.push(row.data as string);
    const folder = await tempDir();
    await writeFile(path.join(folder, 'found.jsonl'), found.join('\n'), 'utf8');
    const raw = path.join(folder, 'raw.parquet');
    writeRawWithPandas(this, path.join(folder, 'found.jsonl'), raw);
    const ours: Array<Record<string, unknown>> = [];
    for await (const row of readStageRows(storage, await readManifests(storage, run, 'products'))) ours.push(row);
    expectParity(seedParse(this, raw, WINDOW.start), ours);
  });
});
