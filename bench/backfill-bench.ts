/**
 * A backfill from a list of EANs, the two figures that decide whether it fits a day:
 * 1. `titelive-etl plan --eans-from` over a list of 2,000,000 EANs (text, then Parquet): wall
 *    time and peak RSS of the CLI process (VmHWM, sampled every 20 ms).
 * 2. A whole run of a list (plan → load, shards in parallel, FerretDB) against a sandbox with
 *    faults on (latency, 2 % of API calls answered 503, a poison EAN), then a larger list with
 *    and without faults: Titelive requests per EAN, logins included, and searches (none).
 *    The later stages make no Titelive request, so the larger list runs plan and fetch only.
 *   npm run bench:backfill [-- --eans 2000000 --products 3000 --large-products 100000]
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { startLocalFerretDb } from '../src/runtime/local-ferretdb.js';
import { ParquetFileWriter } from '../src/runtime/parquet/parquet-writer.js';
import { ean13CheckDigit } from '../src/titelive/ean13.js';
import { continuitySandbox, runDay, setClock } from '../test/helpers/continuity.js';
import { arg, manifestCounts, peakRssKb, writeJsonResult } from './bench-kit.js';

const eanCount = Number(arg('eans', '2000000'));
const products = Number(arg('products', '3000'));
const largeProducts = Number(arg('large-products', '100000'));
const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const folder = await mkdtemp(path.join(os.tmpdir(), 'backfill-bench-'));

/** The i-th EAN of the list: 978 + 9 digits + check digit, spread over the range. */
function eanAt(i: number): string {
  const first12 = `978${String((i * 7_919) % 1_000_000_000).padStart(9, '0')}`;
  return first12 + ean13CheckDigit(first12);
}

/** Every 100th line repeats an earlier EAN, every 1,000th is not an EAN. */
function* listLines(): Generator<string> {
  for (let i = 0; i < eanCount; i++) {
    yield eanAt(i);
    if (i % 100 === 99) yield eanAt(i - 50);
    if (i % 1_000 === 999) yield `${eanAt(i).slice(0, 12)}x`;
  }
}

async function writeText(file: string): Promise<void> {
  const out = createWriteStream(file);
  let chunk: string[] = [];
  for (const line of listLines()) {
    chunk.push(line);
    if (chunk.length === 10_000) {
      if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
      chunk = [];
    }
  }
  out.end(`${chunk.join('\n')}\n`);
  await once(out, 'finish');
}

async function writeParquet(file: string): Promise<void> {
  const writer = new ParquetFileWriter(file, [{ name: 'article_gencod', type: 'STRING' }]);
  for (const line of listLines()) await writer.append({ article_gencod: line });
  await writer.close();
}

interface PlanFigure {
  format: string;
  listBytes: number;
  seconds: number;
  peakRssMb: number;
  planned: number;
  duplicate: number;
  bad: number;
}

async function timePlan(format: string, list: string): Promise<PlanFigure> {
  const dataUrl = path.join(folder, `data-${format}`);
  const startedAt = Date.now();
  const child = spawn(process.execPath, [cli, 'plan', '--category', 'paper', '--eans-from', list, '--run-id', 'backfill', '--data-url', dataUrl, '--log-format', 'json'], {
    env: { ...process.env, TITELIVE_USERNAME: 'unused', TITELIVE_PASSWORD: 'unused' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4_000)));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, peakRssKb(child.pid!))), 20);
  const [code] = (await once(child, 'exit')) as [number];
  clearInterval(sampler);
  if (code !== 0) throw new Error(`plan --eans-from ${list} exited ${code}: ${log}`);
  const seconds = (Date.now() - startedAt) / 1000;
  const counts = await manifestCounts(dataUrl, 'backfill', 'plan');
  return { format, listBytes: (await stat(list)).size, seconds, peakRssMb: peak / 1024, planned: counts.planned!, duplicate: counts.duplicate!, bad: counts.bad! };
}

interface RunFigure {
  stages: string;
  faults: boolean;
  eans: number;
  apiRequests: number;
  logins: number;
  searches: number;
  eanCalls: number;
  requestsPerEan: number;
  status5xx: number;
  found: number;
  failed: number;
  seconds: number;
}

/**
 * A run of a list of every EAN of a sandbox catalogue, with faults on: all stages, or only plan
 * and fetch (the stages that call Titelive) for a larger list.
 */
async function timeRun(catalogueProducts: number, stages: readonly string[] | undefined, faults: boolean): Promise<RunFigure> {
  const mongo = stages && !stages.includes('load') ? undefined : await startLocalFerretDb();
  if (!mongo && !process.env.MONGODB_URI && !(stages && !stages.includes('load'))) throw new Error('bench:backfill needs MongoDB: set MONGODB_URI or run `bash scripts/install-tools.sh` for FerretDB in tools/bin');
  const start = '2024-03-01';
  const probe = continuitySandbox({ products: catalogueProducts, start });
  const truth = probe.history!.truth('paper');
  const poison = truth.find((entry) => !entry.deleted)!.ean;
  const sandbox = continuitySandbox({ products: catalogueProducts, start, failingEans: faults ? [poison] : [] });
  if (faults) {
    sandbox.faults.latencyMs = 20;
    sandbox.faults.errorRate = 0.02;
  }
  await sandbox.start();
  try {
    await setClock(sandbox, start);
    const list = path.join(folder, `catalogue-${catalogueProducts}.txt`);
    const out = createWriteStream(list);
    out.end(`${truth.map((entry) => entry.ean).join('\n')}\n`);
    await once(out, 'finish');
    const dataUrl = path.join(folder, `run-${catalogueProducts}`);
    sandbox.resetStats();
    const startedAt = Date.now();
    const result = await runDay(sandbox, 'backfill', { EANS_FROM: list }, {
      products: catalogueProducts, start, days: 0, outageDays: [], lookbackDays: 7, mode: 'cursor', runner: 'in-process',
      mongoUri: process.env.MONGODB_URI ?? mongo?.uri ?? 'mongodb://unused', database: `backfill_bench_${process.pid}`, dataUrl,
      ...(stages ? { stages } : {}),
    });
    if (!result.ok) throw new Error(`the backfill run failed at ${result.failed?.stage} (exit ${result.failed?.code})`);
    const stats = sandbox.getStats();
    const fetched = await manifestCounts(dataUrl, 'backfill', 'fetch');
    const eans = truth.length;
    return { stages: stages?.join(', ') ?? 'all', faults, eans, apiRequests: stats.apiRequests, logins: stats.logins, searches: stats.searches, eanCalls: stats.eanLookups, requestsPerEan: stats.apiRequests / eans, status5xx: stats.status5xx, found: fetched.found ?? 0, failed: fetched.failed ?? 0, seconds: (Date.now() - startedAt) / 1000 };
  } finally {
    await sandbox.stop();
    await mongo?.stop();
  }
}

try {
  const text = path.join(folder, 'eans.txt');
  const parquet = path.join(folder, 'eans.parquet');
  process.stdout.write(`writing a list of ${eanCount} EANs (1 % repeated, 0.1 % bad) as text and as Parquet…\n`);
  await writeText(text);
  await writeParquet(parquet);
  const plans: PlanFigure[] = [];
  for (const [format, file] of [['text', text], ['parquet', parquet]] as const) {
    const figure = await timePlan(format, file);
    plans.push(figure);
    process.stdout.write(`plan --eans-from (${format}, ${(figure.listBytes / 2 ** 20).toFixed(0)} MiB): ${figure.seconds.toFixed(1)} s, peak RSS ${figure.peakRssMb.toFixed(0)} MB; ${figure.planned} planned, ${figure.duplicate} repeats, ${figure.bad} bad\n`);
  }
  const runs = [await timeRun(products, undefined, true), await timeRun(largeProducts, ['plan', 'fetch'], true), await timeRun(largeProducts, ['plan', 'fetch'], false)];
  for (const run of runs) {
    process.stdout.write(
      `a run (${run.stages}) of a list of ${run.eans} EANs, ${run.faults ? 'faults on (20 ms latency, 2 % of calls 503, one poison EAN)' : 'no fault'}: ${run.apiRequests} Titelive requests ` +
        `(${run.logins} logins, ${run.searches} searches, ${run.eanCalls} /ean calls, ${run.status5xx} answered 5xx) = 1/${(1 / run.requestsPerEan).toFixed(0)} per EAN; ` +
        `${run.found} found, ${run.failed} failed; ${run.seconds.toFixed(0)} s\n`,
    );
  }
  const markdown = [
    `Targets: plan under 60 s and 300 MB for 2,000,000 EANs; a run's Titelive requests about one per 250 EANs (the API's batch size).`,
    '',
    '| list | file | plan time | peak RSS | planned | repeats | bad lines |',
    '|---|---|---|---|---|---|---|',
    ...plans.map((plan) => `| ${plan.format} | ${(plan.listBytes / 2 ** 20).toFixed(0)} MiB | ${plan.seconds.toFixed(1)} s | ${plan.peakRssMb.toFixed(0)} MB | ${plan.planned} | ${plan.duplicate} | ${plan.bad} |`),
    '',
    '| run of a list | faults | EANs | Titelive requests | logins | searches | /ean calls | answered 5xx | requests per EAN |',
    '|---|---|---|---|---|---|---|---|---|',
    ...runs.map((run) => `| ${run.stages === 'all' ? 'every stage' : run.stages} | ${run.faults ? '20 ms, 2 % 503, 1 poison EAN' : 'none'} | ${run.eans} | ${run.apiRequests} | ${run.logins} | ${run.searches} | ${run.eanCalls} | ${run.status5xx} | 1/${(1 / run.requestsPerEan).toFixed(0)} |`),
  ];
  writeJsonResult({ eanCount, plans, runs, markdown });
} finally {
  await rm(folder, { recursive: true, force: true });
}
