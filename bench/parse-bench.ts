/**
 * Parse throughput and peak memory on a seed-format raw file written by pandas, as the seed's
 * extract writes it (the seed script can be run on the very same file for a side-by-side figure).
 *   npm run bench:parse -- --products 50000 [--workers 1] [--repeat 3] [--warmup 1] [--writer pandas|ours] [--malformed 0.05] [--encoder own|library]
 * --encoder library writes parse's row groups with hyparquet-writer's own column writer, fed from
 * the same column buffers, instead of the hand-written encoder (PARQUET_ROW_GROUP_ENCODER).
 * Prints products/s and peak RSS (VmHWM of the parse process, worker threads included). The
 * first `--warmup` runs are not timed: they bring the input file into the page cache, as it is
 * for every run after them, whether the file was just generated or not.
 * With SEED_DIR set to a checkout of the seed's folder (the one holding scripts/parse_products.py),
 * the seed script itself also runs on the same file, and its time or its error is printed.
 * `--malformed F` damages a fraction F of the raw products (see make-seed-raw.ts); the seed's
 * steps stop on the first one, so they are not run then.
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
const encoder = arg('encoder', 'own');
if (encoder !== 'own' && encoder !== 'library') throw new Error(`--encoder: own or library, not ${encoder}`);
const malformed = Number(arg('malformed', '0'));
const raw = path.join(os.tmpdir(), `titelive-raw-${writer}-${products}${malformed > 0 ? `-malformed-${malformed}` : ''}.parquet`);
const out = path.join(os.tmpdir(), `titelive-parsed-${products}.parquet`);

if (!existsSync(raw)) {
  const made = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'make-seed-raw.ts'), '--products', String(products), '--writer', writer, '--malformed', String(malformed), '--out', raw], { stdio: 'inherit' });
  if (made.status !== 0) process.exit(1);
}


/** Runs a command to its end; its wall time and peak RSS (VmHWM, sampled every 20 ms). */
async function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ seconds: number; peakMb: number; output: string }> {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let peak = 0;
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setInterval(() => (peak = Math.max(peak, peakRssKb(child.pid!))), 20);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${code}): ${output}`);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, peakMb: peak / 1024, output };
}

async function once(): Promise<{ seconds: number; peakMb: number; rows: number }> {
  const run = await timed(process.execPath, [path.join(root, 'dist', 'cli.js'), 'parse', '--input-file-path', raw, '--output-file-path', out, '--min-modified-date', '2000-01-01', '--parse-workers', workers, '--log-format', 'json'], { ...process.env, PARQUET_ROW_GROUP_ENCODER: encoder });
  const rows = Number(/→ (\d+) rows/.exec(run.output)?.[1] ?? NaN);
  const unreadable = Number(/"unreadable":(\d+)/.exec(run.output)?.[1] ?? NaN);
  if (malformed > 0 && !(unreadable > 0)) throw new Error(`parse counted ${unreadable} unreadable products in a file with damaged ones: wrong counts`);
  if (!Number.isFinite(rows) || rows <= products) throw new Error(`parse wrote ${rows} rows for ${products} products: wrong counts`);
  return { seconds: run.seconds, peakMb: run.peakMb, rows };
}

/**
 * The seed's documented steps in pandas (bench/seed_parse.py), once, on the same file: a
 * side-by-side figure from the same machine at the same moment. Skipped above 200,000
 * products, where it would need tens of GB.
 */
async function seedReference(rows: number): Promise<{ seconds: number; peakMb: number } | undefined> {
  if (products > 200_000 || malformed > 0 || arg('seed-reference', 'yes') === 'no') return undefined;
  const run = await timed('python3', [path.join(root, 'bench', 'seed_parse.py'), '--min-modified-date', '2000-01-01', '--input-file-path', raw, '--output-file-path', `${out}.seed.parquet`], { ...process.env, PYTHONPATH: path.join(root, 'tools', 'python') });
  const seedRows = Number(/-> (\d+) rows/.exec(run.output)?.[1] ?? NaN);
  if (seedRows !== rows) throw new Error(`the pandas reference wrote ${seedRows} rows, parse ${rows}: the two disagree`);
  return { seconds: run.seconds, peakMb: run.peakMb };
}

/** The seed script's figure users compare against: 50,000 products in 18.5 s on a machine of this kind. */
const SEED_PRODUCTS_PER_SECOND = 50_000 / 18.5;

/**
 * The seed's own parse_products.py from SEED_DIR, once, on the same file (it needs typer, which
 * tools/python lacks: `python3 -m pip install --target tools/python typer`). Its time, or the
 * last line of its error: on real-shaped data it stops where pyarrow meets a column holding
 * both "1" and 1.
 */
async function seedScript(): Promise<{ seconds: number; peakMb: number } | { error: string } | undefined> {
  const folder = process.env.SEED_DIR;
  if (!folder || products > 200_000 || malformed > 0) return undefined;
  const script = path.join(folder, 'scripts', 'parse_products.py');
  if (!existsSync(script)) return { error: `SEED_DIR=${folder} has no scripts/parse_products.py` };
  try {
    const run = await timed('python3', [script, '--min-modified-date', '2000-01-01', '--input-file-path', raw, '--output-file-path', `${out}.seed-script.parquet`], { ...process.env, PYTHONPATH: `${folder}${path.delimiter}${path.join(root, 'tools', 'python')}` });
    return { seconds: run.seconds, peakMb: run.peakMb };
  } catch (error) {
    const lines = String(error instanceof Error ? error.message : error).trim().split('\n');
    // The exception's own line, not a warning printed after it.
    const raised = lines.findLast((line) => /^\w+(Error|Exception)\b/.test(line)) ?? lines.at(-1)!;
    return { error: raised.slice(0, 300) };
  }
}

for (let i = 0; i < Number(arg('warmup', '1')); i++) await once();
const runs = [];
for (let i = 0; i < repeat; i++) runs.push(await once());
const seconds = runs.map((run) => run.seconds).sort((a, b) => a - b);
const { median } = spread(seconds);
const peak = Math.max(...runs.map((run) => run.peakMb));
const reference = await seedReference(runs[0]!.rows);
const script = await seedScript();
const productsPerSecond = products / median;
writeJsonResult({ products, writer, encoder, malformed, rows: runs[0]!.rows, workers: Number(workers), seconds: spread(seconds), productsPerSecond, peakRssMb: peak, timesSeedFigure: productsPerSecond / SEED_PRODUCTS_PER_SECOND, pandasReference: reference, seedScript: script });
process.stdout.write(
  `parse (file mode, ${encoder} row-group encoder), ${products} products (raw file by ${writer}${malformed > 0 ? `, ${(malformed * 100).toFixed(1)} % of them damaged` : ''}) → ${runs[0]!.rows} rows, ${workers} worker thread(s), ${os.availableParallelism()} CPUs, Node ${process.version}\n` +
    `  wall: median ${median.toFixed(2)} s (min ${seconds[0]!.toFixed(2)}, max ${seconds.at(-1)!.toFixed(2)}, ${repeat} runs)\n` +
    `  throughput: ${productsPerSecond.toFixed(0)} products/s, ${(productsPerSecond / SEED_PRODUCTS_PER_SECOND).toFixed(1)} × the seed's ${SEED_PRODUCTS_PER_SECOND.toFixed(0)}/s\n` +
    `  peak RSS: ${peak.toFixed(0)} MB\n` +
    (reference ? `  pandas reference (bench/seed_parse.py, same file, same rows): ${reference.seconds.toFixed(2)} s, ${(products / reference.seconds).toFixed(0)} products/s, peak RSS ${reference.peakMb.toFixed(0)} MB; parse is ${(reference.seconds / median).toFixed(1)} × faster\n` : '') +
    (script === undefined ? '' : 'error' in script ? `  seed script (SEED_DIR): failed: ${script.error}\n` : `  seed script (SEED_DIR): ${script.seconds.toFixed(2)} s, peak RSS ${script.peakMb.toFixed(0)} MB; parse is ${(script.seconds / median).toFixed(1)} × faster\n`),
);
