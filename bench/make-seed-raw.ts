/**
 * Writes a raw file in the seed's extract format (index `id`, column `data` = product JSON) with
 * N products from the sandbox catalog, as /search lists them (the seed's extract keeps /search
 * results), so the same file can be given to our parse and to the seed's script. By default
 * pandas writes it, as the seed's extract script does (dictionary pages falling back to plain,
 * Snappy), in row groups of 100,000 products; `--writer ours` writes it with this project's
 * writer instead (row groups of 10,000).
 *   npx tsx bench/make-seed-raw.ts --products 50000 --out /tmp/raw-50k.parquet [--writer pandas|ours]
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
    ids.append(json.loads(line)["id"])
    data.append(line.rstrip("\\n"))
    if len(ids) == 100000: flush()
if ids or writer is None: flush()
writer.close()
`;

async function writeWithPandas(): Promise<void> {
  const python = spawn('python3', ['-c', PANDAS_WRITER, out], {
    env: { ...process.env, PYTHONPATH: path.resolve(import.meta.dirname, '..', 'tools', 'python') },
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  for (let index = 0; index < products; index++) {
    if (!python.stdin.write(`${JSON.stringify(catalog.product('paper', index))}\n`)) await once(python.stdin, 'drain');
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
    await file.append({ id: product.id, data: JSON.stringify(product) });
  }
  await file.close();
}

if (writer !== 'pandas' && writer !== 'ours') throw new Error(`--writer: ${writer} is not pandas or ours`);
await (writer === 'pandas' ? writeWithPandas() : writeWithOurs());
process.stdout.write(`${out}: ${products} products, ${(statSync(out).size / 1e6).toFixed(1)} MB, written by ${writer}\n`);
