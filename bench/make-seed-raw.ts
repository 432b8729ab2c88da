/**
 * Writes a raw file in the seed's extract format (index `id`, column `data` = product JSON) with
 * N products from the sandbox catalog, as /search lists them (the seed's extract keeps /search
 * results), so the same file can be given to our parse and to the seed's script. By default
 * pandas writes it, as the seed's extract script does (dictionary pages falling back to plain,
 * Snappy), in row groups of 100,000 products; `--writer ours` writes it with this project's
 * writer instead (row groups of 10,000).
 * With `--malformed F`, a fraction F of the products is damaged, as a real extract can hold them:
 * half of those cut short (not JSON: parse counts them unreadable), half with a field name
 * written with an escape (valid JSON that parse leaves to JSON.parse).
 *   npx tsx bench/make-seed-raw.ts --products 50000 --out /tmp/raw-50k.parquet [--writer pandas|ours] [--malformed 0.05]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import path from 'node:path';
import { ParquetFileWriter } from '../src/runtime/parquet/parquet-writer.js';
import { SandboxCatalog } from '../src/sandbox/catalog.js';
import { arg } from './bench-kit.js';

const products = Number(arg('products', '50000'));
const writer = arg('writer', 'pandas');
const out = arg('out', `/tmp/titelive-raw-${writer}-${products}.parquet`);
const malformed = Number(arg('malformed', '0'));
if (!(malformed >= 0 && malformed <= 1)) throw new Error(`--malformed: ${arg('malformed', '0')} is not a fraction between 0 and 1`);
const catalog = new SandboxCatalog({ products, seed: 7, endDay: '2024-01-31', days: 30, imageBaseUrl: 'https://images.example/titelive' });

/**
 * pandas frames of 100,000 products, each written by pyarrow as a row group of one file with the
 * pandas index metadata: the seed's format, without holding a million products' JSON at once.
 */
const PANDAS_WRITER = `
import sys, json, pandas as pd, pyarrow as pa, pyarrow.parquet as pq
writer = None
ids, data = [], []
def flush():
    global writer
    table = pa.Table.from_pandas(pd.DataFrame({"id": ids, "data": data}).set_index("id"))
    writer = writer or pq.ParquetWriter(sys.argv[1], table.schema)
    writer.write_table(table)
    ids.clear(); data.clear()
for line in sys.stdin:
    key, _, text = line.rstrip("\\n").partition("\\t")
    ids.append(int(key))
    data.append(text)
    if len(ids) == 100000: flush()
if ids or writer is None: flush()
writer.close()
`;

/** A product's JSON as the raw file holds it: damaged for a fraction `malformed` of them (see above). */
function rawJson(product: Record<string, unknown>, index: number): string {
  const json = JSON.stringify(product);
  // Spread evenly and deterministically: product i is damaged when (i × golden ratio) mod 1 < F.
  const position = (index * 0.6180339887) % 1;
  if (position >= malformed) return json;
  return position < malformed / 2 ? json.slice(0, json.length >> 1) : json.replace('"titre":', '"ti\\u0074re":');
}

async function writeWithPandas(): Promise<void> {
  const python = spawn('python3', ['-c', PANDAS_WRITER, out], {
    env: { ...process.env, PYTHONPATH: path.resolve(import.meta.dirname, '..', 'tools', 'python') },
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  for (let index = 0; index < products; index++) {
    const product = catalog.product('paper', index);
    if (!python.stdin.write(`${product.id}\t${rawJson(product, index)}\n`)) await once(python.stdin, 'drain');
  }
  python.stdin.end();
  const [code] = (await once(python, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`pandas could not write ${out} (exit ${code}); run npm run tools for tools/python`);
}

async function writeWithOurs(): Promise<void> {
  const file = new ParquetFileWriter(out, [
    { name: 'id', type: 'INT64', required: true },
    { name: 'data', type: 'STRING', required: true },
  ], { rowGroupSize: 10_000 });
  for (let index = 0; index < products; index++) {
    const product = catalog.product('paper', index);
    await file.append({ id: product.id, data: rawJson(product, index) });
  }
  await file.close();
}

if (writer !== 'pandas' && writer !== 'ours') throw new Error(`--writer: ${writer} is not pandas or ours`);
await (writer === 'pandas' ? writeWithPandas() : writeWithOurs());
process.stdout.write(`${out}: ${products} products, ${(statSync(out).size / 1e6).toFixed(1)} MB, written by ${writer}\n`);
