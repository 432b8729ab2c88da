import { expect } from 'chai';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Accounting } from '../../src/runtime/accounting.js';
import { readManifests } from '../../src/runtime/manifest.js';
import { readStageRows } from '../../src/runtime/part-io.js';
import { LocalStorage } from '../../src/runtime/storage/local-storage.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { runFetch } from '../../src/stages/fetch.js';
import { runParse } from '../../src/stages/parse.js';
import { runPlan } from '../../src/stages/plan.js';
import { keepArticle } from '../../src/titelive/article-filter.js';
import { PRODUCTS_COLUMNS } from '../../src/titelive/product-columns.js';
import { articlesOf, eanOf } from '../../src/titelive/response-shapes.js';
import { runCli } from '../helpers/cli.js';
import { runPython } from '../helpers/python.js';
import { fetchConfig, planConfig, quietContext, tempDir } from '../helpers/run-stages.js';

const window = { start: '2024-01-01', end: '2024-01-08' };
const run = { dataset: 'paper', runId: window.end };

function plain(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

describe('parse', function () {
  this.timeout(120_000);
  let sandbox: Sandbox;
  let dataUrl: string;

  before(async () => {
    sandbox = new Sandbox({ products: 600, endDay: window.end, days: 10 });
    await sandbox.start();
    dataUrl = await tempDir();
    await runPlan(planConfig(sandbox, dataUrl, window), quietContext());
    for (const index of [0, 1, 2]) await runFetch(fetchConfig(sandbox, dataUrl, window.end, { index, count: 3 }), quietContext());
    for (const index of [0, 1]) await runParse({ mode: 'run', workers: index, dataset: 'paper', runId: window.end, dataUrl, shard: { index, count: 2 } }, quietContext());
  });
  after(async () => sandbox.stop());

  it('writes each found article EAN of the window exactly once, with the seed’s columns and text intact', async () => {
    const storage = new LocalStorage(dataUrl);
    const manifests = await readManifests(storage, run, 'products');
    expect(manifests.map((manifest) => manifest.shardIndex)).to.deep.equal([0, 1]);
    const rows = new Map<string, Record<string, unknown>>();
    for await (const row of readStageRows(storage, manifests)) {
      expect(rows.has(row.article_gencod as string), `${row.article_gencod} twice`).to.equal(false);
      rows.set(row.article_gencod as string, row);
    }
    let expected = 0;
    for (const index of sandbox.catalog.productsModifiedBetween('paper', window.start, window.end)) {
      const product = sandbox.catalog.product('paper', index);
      for (const article of articlesOf(product)) {
        const ean = eanOf(article)!;
        const located = sandbox.catalog.locate('paper', ean)!;
        if (!keepArticle(article, window.start) || sandbox.catalog.isDeleted('paper', located.index, located.articleNumber)) continue;
        expected += 1;
        const row = rows.get(ean);
        expect(row, ean).to.not.equal(undefined);
        // What fetch stored for the EAN: its /ean entry (id a string, articles as a list).
        const entry = sandbox.catalog.eanEntry('paper', ean)!;
        const fetched = articlesOf(entry)[0]!;
        expect(row!.id).to.equal(Number(entry.id));
        expect(row!.titre).to.equal(product.titre);
        expect(JSON.parse(row!.auteurs_multi as string)).to.deep.equal(entry.auteurs_multi);
        expect(row!.article_resume).to.equal(fetched.resume);
        expect(row!.article_editeur).to.equal(fetched.editeur);
        expect(row!.article_langueiso).to.equal(fetched.langueiso);
        expect(row!.article_taux_tva).to.equal(Number(fetched.taux_tva));
        expect(row!.article_image).to.equal(Number(fetched.image));
        expect(row!.article_image_spe).to.equal(Number(fetched.image_spe));
        expect(row!.article_pages).to.equal(Number(fetched.pages));
        expect(row!.article_idserie).to.equal(String(fetched.idserie));
        expect(row!.article_imagesUrl).to.equal(JSON.stringify(fetched.imagesUrl));
        expect(row!.article_gtl).to.equal(fetched.gtl === null ? null : JSON.stringify(fetched.gtl));
        expect(row!.article_collection).to.equal(fetched.collection === undefined || fetched.collection === 'None' ? null : fetched.collection);
        expect(row!.extra_fields, 'every real field is a column').to.equal(null);
      }
    }
    expect(rows.size).to.equal(expected);
    expect(manifests.reduce((sum, manifest) => sum + manifest.counts.rows!, 0)).to.equal(expected);
  });

  it('gives parts of one schema that pyarrow and DuckDB read together with the same values', async function () {
    const folder = path.join(dataUrl, 'paper', window.end, 'products');
    const parts = (await readdir(folder)).filter((name) => name.endsWith('.parquet')).map((name) => path.join(folder, name));
    expect(parts).to.have.length(2);
    const out = runPython(this, `
import sys, json, pyarrow.parquet as pq, duckdb
schemas = [pq.read_schema(p) for p in sys.argv[1:]]
assert all(s.equals(schemas[0]) for s in schemas), "schemas differ"
rows = []
for p in sys.argv[1:]:
    rows += pq.read_table(p).to_pylist()
con = duckdb.connect()
count = con.execute("select count(*) from read_parquet(?)", [sys.argv[1:]]).fetchone()[0]
vat = con.execute("select sum(article_taux_tva) from read_parquet(?)", [sys.argv[1:]]).fetchone()[0]
print(json.dumps({"names": schemas[0].names, "types": [str(t) for t in schemas[0].types], "count": count, "vat": vat, "rows": rows}, ensure_ascii=False))
`, parts);
    const seen = JSON.parse(out) as { names: string[]; types: string[]; count: number; vat: number; rows: Record<string, unknown>[] };
    expect(seen.names).to.deep.equal(PRODUCTS_COLUMNS.map((column) => column.name));
    expect(seen.types[seen.names.indexOf('article_taux_tva')]).to.equal('double');
    expect(seen.types[seen.names.indexOf('article_image')]).to.equal('int64');
    const ours: Record<string, unknown>[] = [];
    for (const part of parts.sort()) {
      const storage = new LocalStorage(path.dirname(part));
      for await (const row of readStageRows(storage, [{ outputs: [{ path: path.basename(part) }] } as never])) ours.push(row);
    }
    expect(seen.count).to.equal(ours.length);
    expect(seen.vat).to.be.closeTo(ours.reduce((sum, row) => sum + ((row.article_taux_tva as number) ?? 0), 0), 1e-6);
    const byEan = new Map(seen.rows.map((row) => [row.article_gencod, row]));
    for (const row of ours) {
      const theirs = byEan.get(row.article_gencod)!;
      for (const column of PRODUCTS_COLUMNS) expect(plain(theirs[column.name]), column.name).to.deep.equal(plain(row[column.name]));
    }
  });

  it('runs like the seed script on a raw file written by pandas (index id, column data)', async function () {
    const folder = await tempDir();
    const products = [0, 1, 2, 3, 4, 5, 6, 7].map((index) => sandbox.catalog.product('paper', index));
    // A product twice: the seed keeps one of each (exact duplicate); so do we, by EAN.
    products.push(products[0]!);
    // An article without an EAN: counted and reported, not written.
    products.push({ ...products[1]!, id: 999_999, article: [{ ...articlesOf(products[1]!)[0]!, gencod: '' }] });
    const raw = path.join(folder, 'raw.parquet');
    runPython(this, `
import sys, json, pandas as pd
products = json.load(open(sys.argv[1], encoding="utf-8"))
df = pd.DataFrame({"id": [p["id"] for p in products], "data": [json.dumps(p, ensure_ascii=False) for p in products]}).set_index("id")
# Row groups of 4: the repeated product lands in another batch than its first copy.
df.to_parquet(sys.argv[2], row_group_size=4)
`, [await writeJson(folder, products), raw]);
    const out = path.join(folder, 'out.parquet');
    const result = await runCli(['parse', '--input-file-path', raw, '--output-file-path', out, '--min-modified-date', '2000-01-01']);
    expect(result.code, result.stderr).to.equal(0);
    const expectedEans = new Set(products.flatMap((product) => articlesOf(product).filter((article) => keepArticle(article, '2000-01-01')).map((article) => eanOf(article))).filter((ean) => ean));
    const rows: Record<string, unknown>[] = [];
    for await (const row of readStageRows(new LocalStorage(folder), [{ outputs: [{ path: 'out.parquet' }] } as never])) rows.push(row);
    expect(rows.map((row) => row.article_gencod).sort()).to.deep.equal([...expectedEans].sort());
    // The batch done again without the EANs an earlier one wrote keeps its other rows whole.
    const titles = new Map(products.flatMap((product) => articlesOf(product).map((article) => [eanOf(article), product.titre])));
    for (const row of rows) expect(row.titre, String(row.article_gencod)).to.equal(titles.get(row.article_gencod as string));
    expect(result.stderr).to.match(/ 1 without EAN, \d+ duplicates/);
  });

  it("writes the same rows with the library's row-group writer (PARQUET_ROW_GROUP_ENCODER=library, the benchmark's comparison)", async function () {
    const folder = await tempDir();
    const raw = path.join(folder, 'raw.parquet');
    const products = Array.from({ length: 40 }, (_, index) => sandbox.catalog.product('paper', index));
    runPython(this, `
import sys, json, pandas as pd
products = json.load(open(sys.argv[1], encoding="utf-8"))
pd.DataFrame({"id": [p["id"] for p in products], "data": [json.dumps(p, ensure_ascii=False) for p in products]}).set_index("id").to_parquet(sys.argv[2])
`, [await writeJson(folder, products), raw]);
    const rowsWith = async (encoder: string) => {
      const out = path.join(folder, `out-${encoder}.parquet`);
      const result = await runCli(['parse', '--input-file-path', raw, '--output-file-path', out, '--min-modified-date', '2000-01-01'], { PARQUET_ROW_GROUP_ENCODER: encoder });
      expect(result.code, result.stderr).to.equal(0);
      const rows: Record<string, unknown>[] = [];
      for await (const row of readStageRows(new LocalStorage(folder), [{ outputs: [{ path: path.basename(out) }] } as never])) rows.push(row);
      return rows;
    };
    const own = await rowsWith('own');
    expect(own.length).to.be.greaterThan(40);
    expect(await rowsWith('library')).to.deep.equal(own);
  });

  it('accounts for every product of a raw file, naming those without rows by id', async function () {
    const folder = await tempDir();
    const raw = path.join(folder, 'raw.parquet');
    runPython(this, `
import sys, json, pandas as pd
valid = json.load(open(sys.argv[1], encoding="utf-8"))
df = pd.DataFrame({"id": [1, 2, 3], "data": [json.dumps(valid, ensure_ascii=False), '{"titre": "cut', None]}).set_index("id")
df.to_parquet(sys.argv[2])
`, [await writeJson(folder, sandbox.catalog.product('paper', 0)), raw]);
    const out = path.join(folder, 'out.parquet');
    const result = await runCli(['parse', '--input-file-path', raw, '--output-file-path', out, '--min-modified-date', '2000-01-01', '--parse-workers', '1']);
    expect(result.code, result.stderr).to.equal(0);
    const done = result.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { event?: string; message: string; accounting: Accounting }).find((line) => line.event === 'parse_file_done')!;
    expect(done.accounting).to.deep.include({ unit: 'products', in: 3 });
    expect(done.accounting.ended).to.include({ flattened: 1, unreadable: 1, no_data: 1, filtered_old: 0, article_missing: 0 });
    expect(done.accounting.names).to.deep.equal({ unreadable: ['id 2'], no_data: ['id 3'] });
    expect(done.message).to.contain('3 products (1 flattened, 1 unreadable (id 2), 1 no_data (id 3))');
  });

  it('refuses, with exit 2 and the file named, an input that is not Parquet, is truncated or has no data column', async function () {
    const folder = await tempDir();
    const good = path.join(folder, 'good.parquet');
    const noData = path.join(folder, 'no-data.parquet');
    runPython(this, `
import sys, pandas as pd
pd.DataFrame({"id": [1, 2], "data": ["{}", "{}"]}).set_index("id").to_parquet(sys.argv[1])
pd.DataFrame({"id": [1], "payload": ["{}"]}).set_index("id").to_parquet(sys.argv[2])
`, [good, noData]);
    const { readFile, writeFile } = await import('node:fs/promises');
    const bytes = await readFile(good);
    const truncated = path.join(folder, 'truncated.parquet');
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const text = path.join(folder, 'products.csv');
    await writeFile(text, 'id,data\n1,{}\n');
    for (const [input, words] of [[text, 'not a readable Parquet file'], [truncated, 'not a readable Parquet file'], [noData, 'no "data" column (it has "payload", "id")']] as const) {
      const out = path.join(folder, `out-${path.basename(input)}.parquet`);
      const result = await runCli(['parse', '--input-file-path', input, '--output-file-path', out, '--min-modified-date', '2000-01-01']);
      expect(result.code, input).to.equal(2);
      expect(failureOf(result.stderr), input).to.contain(`--input-file-path ${input}: ${words}`);
      expect(await readdir(folder), input).to.not.include(path.basename(out));
    }
    const images = await runCli(['images', '--input-parquet-path', truncated, '--gcs-thumb-base-path', path.join(folder, 'mirror'), '--output-parquet-path', path.join(folder, 'images.parquet')]);
    expect(images.code).to.equal(2);
    expect(failureOf(images.stderr)).to.contain(`--input-parquet-path ${truncated}: not a readable Parquet file`);
    expect(await readdir(folder)).to.not.include('images.parquet');
  });
});

/** The error of the job_failed log line. */
function failureOf(stderr: string): string {
  const line = stderr.split('\n').filter((text) => text.startsWith('{')).map((text) => JSON.parse(text) as { event?: string; error?: string }).find((record) => record.event === 'job_failed');
  return line?.error ?? stderr;
}

async function writeJson(folder: string, value: unknown): Promise<string> {
  const { writeFile } = await import('node:fs/promises');
  const file = path.join(folder, 'products.json');
  await writeFile(file, JSON.stringify(value), 'utf8');
  return file;
}
