/**
 * Parse throughput and peak memory on a seed-format raw file written by pandas, as the seed's
 * extract writes it (the seed script can be run on the very same file for a side-by-side figure).
 *   npm run bench:parse -- --products 50000 [--workers 1] [--repeat 3] [--writer pandas|ours]
 * Prints products/s and peak RSS (VmHWM of the parse process, worker threads included).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { arg, peakRssKb, spread, writeJsonResult } from './bench-kit.js';


const root = path.resolve(import.meta.dirname, '..');
const products = Number(arg('products', '50000'));
const repeat = Number(arg('repeat', '3'));
const workers = arg('workers', String(os.availableParallelism()));
const writer = arg('writer', 'pandas');
const raw = path.join(os.tmpdir(), `titelive-raw-${writer}-${products}.parquet`);
const out = path.join(os.tmpdir(), `titelive-parsed-${products}.parquet`);

if (!existsSync(raw)) {
  const made = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'make-seed-raw.ts'), '--products', String(products), '--writer', writer, '--out', raw], { stdio: 'inherit' });
  if (made.status !== 0) process.exit(1);
}


async function once(): Promise<{ seconds: number; peakMb: number; rows: number }> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), 'parse', '--input-file-path', raw, '--output-file-path', out, '--min-modified-date', '2000-01-01', '--parse-workers', workers, '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let peak = 0;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setInterval(() => (peak = Math.max(peak, peakRssKb(child.pid!))), 20);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`parse failed (${code}): ${stderr}`);
  const rows = Number(/→ (\d+) rows/.exec(stderr)?.[1] ?? NaN);
  if (!Number.isFinite(rows) || rows <= products) throw new Error(`parse wrote ${rows} rows for ${products} products: wrong counts`);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, peakMb: peak / 1024, rows };
}

const runs = [];
for (let i = 0; i < repeat; i++) runs.push(await once());
const seconds = runs.map((run) => run.seconds).sort((a, b) => a - b);
const { median } = spread(seconds);
const peak = Math.max(...runs.map((run) => run.peakMb));
writeJsonResult({ products, writer, rows: runs[0]!.rows, workers: Number(workers), seconds: spread(seconds), productsPerSecond: products / median, peakRssMb: peak });
process.stdout.write(
  `parse (file mode), ${products} products (raw file by ${writer}) → ${runs[0]!.rows} rows, ${workers} worker thread(s), ${os.availableParallelism()} CPUs, Node ${process.version}\n` +
    `  wall: median ${median.toFixed(2)} s (min ${seconds[0]!.toFixed(2)}, max ${seconds.at(-1)!.toFixed(2)}, ${repeat} runs)\n` +
    `  throughput: ${(products / median).toFixed(0)} products/s\n` +
    `  peak RSS: ${peak.toFixed(0)} MB\n`,
);
