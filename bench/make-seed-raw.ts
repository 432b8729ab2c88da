/**
 * Writes a raw file in the seed's extract format (column `id`, column `data` = product JSON) with
 * N products from the sandbox catalog, streaming, so the same file can be given to our parse
 * and to the seed's script.
 *   npx tsx bench/make-seed-raw.ts --products 50000 --out /tmp/raw-50k.parquet
 */
import { ParquetFileWriter } from '../src/runtime/parquet/parquet-writer.js';
import { SandboxCatalog } from '../src/sandbox/catalog.js';

function arg(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const products = Number(arg('products', '50000'));
const out = arg('out', `/tmp/titelive-raw-${products}.parquet`);
const catalog = new SandboxCatalog({ products, seed: 7, endDay: '2024-01-31', days: 30, imageBaseUrl: 'https://images.example/titelive' });
const writer = new ParquetFileWriter(out, [
  { name: 'id', type: 'INT64', required: true },
  { name: 'data', type: 'STRING', required: true },
], { rowGroupSize: 10_000 });
for (let index = 0; index < products; index++) {
  const product = catalog.product('paper', index);
  await writer.append({ id: product.id, data: JSON.stringify(product) });
}
const { rows, bytes } = await writer.close();
process.stdout.write(`${out}: ${rows} products, ${(bytes / 1e6).toFixed(1)} MB\n`);
