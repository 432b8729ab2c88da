/**
 * The same work with and without faults, in one run:
 * - images: one catalogue mirrored twice into fake-gcs-server (32 sockets, 50 ms added latency),
 *   clean, then with 5 % of covers misbehaving (404, HTML answered 200, 0.5 s slow, cut half-way,
 *   20 MiB): images/s and its ratio to the clean rate;
 * - fetch: one plan fetched twice under a request budget, clean, then with 3 % of API calls
 *   answered 5xx: budget utilisation (API requests ÷ (budget × the fetch commands' wall time))
 *   and 429s.
 *   npm run bench:faults [-- --images 20000 --rate 20 --workers 2 --seconds 20 --repeat 1 --only images|fetch --json out.json]
 * Needs fake-gcs-server (npm run tools, or STORAGE_EMULATOR_HOST).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ParquetFileWriter } from '../src/runtime/parquet/parquet-writer.js';
import { createGcsClient } from '../src/runtime/storage/gcs-storage.js';
import type { ImageFault } from '../src/sandbox/faults.js';
import { SANDBOX_PASSWORD, SANDBOX_USERNAME, Sandbox } from '../src/sandbox/server.js';
import { articlesOf, eanOf } from '../src/titelive/response-shapes.js';
import { arg, manifestCounts, spread, writeJsonResult } from './bench-kit.js';
import { startFakeGcs } from './fake-gcs.js';

const root = path.resolve(import.meta.dirname, '..');
const imageCount = Number(arg('images', '20000'));
const sockets = Number(arg('sockets', '32'));
const latencyMs = Number(arg('latency-ms', '50'));
const rate = Number(arg('rate', '20'));
const workers = Number(arg('workers', '2'));
const targetSeconds = Number(arg('seconds', '20'));
const repeat = Number(arg('repeat', '1'));
const coverFaultShare = Number(arg('cover-faults', '0.05'));
const apiErrorRate = Number(arg('api-errors', '0.03'));
const runId = '2024-01-08';
const COVER_FAULTS: ImageFault[] = ['not-found', 'html', 'slow', 'truncated', 'huge'];

interface Finished {
  code: number | null;
  stderr: string;
  seconds: number;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Finished> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), ...args, '--log-format', 'json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr, seconds: (performance.now() - started) / 1000 }));
  });
}

function logRecords(stderr: string): Array<Record<string, unknown>> {
  return stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function imagesRun(input: string, bucket: string, label: string, imageHosts: string): Promise<{ perSecond: number; counts: Record<string, number>; code: number | null }> {
  // Transient failures (covers cut half-way) stay in the part; the bench measures speed, so the ratio is not what stops it.
  const finished = await cli(['images', '--input-parquet-path', input, '--gcs-thumb-base-path', `gs://${bucket}/${label}-${Date.now()}`, '--output-parquet-path', `${input}.${label}.out.parquet`, '--max-sockets', String(sockets), '--max-failure-ratio', '0.5', '--image-hosts', imageHosts]);
  const done = logRecords(finished.stderr).find((record) => record.event === 'done');
  if (!done) throw new Error(`images (${label}) exited ${finished.code} without a done line: ${finished.stderr.slice(-1500)}`);
  return { perSecond: Number(done.perSecond), counts: done.counts as Record<string, number>, code: finished.code };
}

async function benchImages(): Promise<Record<string, unknown>> {
  const gcs = await startFakeGcs();
  process.env.STORAGE_EMULATOR_HOST = `http://${gcs.host}`;
  const bucket = 'bench-faults';
  await (await createGcsClient()).createBucket(bucket).catch(() => undefined);
  const sandbox = new Sandbox({ products: Math.ceil(imageCount / 4) + 100, endDay: runId, days: 10, faults: { latencyMs, imageSlowMs: 500, imageHugeBytes: 20 * 1024 * 1024 } });
  await sandbox.start();
  const folder = await mkdtemp(path.join(os.tmpdir(), 'titelive-faults-bench-'));
  try {
    const input = path.join(folder, 'products.parquet');
    const writer = new ParquetFileWriter(input, [
      { name: 'article_gencod', type: 'STRING', required: true },
      { name: 'article_imagesUrl', type: 'STRING' },
      { name: 'article_image', type: 'INT64' },
      { name: 'article_image_4', type: 'INT64' },
    ]);
    const keys: string[] = [];
    for (let index = 0; keys.length < imageCount; index++) {
      for (const article of articlesOf(sandbox.catalog.product('paper', index))) {
        const ean = eanOf(article)!;
        const [recto, verso] = [sandbox.catalog.imageUrl('paper', ean, 'recto'), sandbox.catalog.imageUrl('paper', ean, 'verso')];
        await writer.append({ article_gencod: ean, article_imagesUrl: JSON.stringify({ recto, verso }), article_image: 1, article_image_4: 1 });
        keys.push(`${ean}-recto`, `${ean}-verso`);
      }
    }
    await writer.close();
    // Every 20th cover misbehaves, the five faults in turn: 1 % each.
    const every = Math.round(1 / coverFaultShare);
    const faulty = Object.fromEntries(keys.filter((_, i) => i % every === every - 1).map((key, i) => [key, COVER_FAULTS[i % COVER_FAULTS.length]!]));
    const clean: number[] = [];
    const withFaults: number[] = [];
    let faultCounts: Record<string, number> = {};
    for (let run = 0; run < repeat; run++) {
      sandbox.faults = { ...sandbox.faults, imageFaults: {} };
      clean.push((await imagesRun(input, bucket, `clean-${run}`, new URL(sandbox.url).origin)).perSecond);
      sandbox.faults = { ...sandbox.faults, imageFaults: faulty };
      const faulted = await imagesRun(input, bucket, `faults-${run}`, new URL(sandbox.url).origin);
      withFaults.push(faulted.perSecond);
      faultCounts = faulted.counts;
    }
    const result = { images: keys.length, sockets, latencyMs, faultyCovers: Object.keys(faulty).length, clean: spread(clean), withFaults: spread(withFaults), ratio: spread(withFaults).median / spread(clean).median, faultCounts };
    process.stdout.write(
      `images: ${keys.length} covers, ${sockets} sockets, +${latencyMs} ms, ${Object.keys(faulty).length} misbehaving (${COVER_FAULTS.join(', ')})\n` +
        `  clean        ${result.clean.median.toFixed(0).padStart(6)} images/s (${result.clean.min.toFixed(0)}–${result.clean.max.toFixed(0)}, ${result.clean.runs} runs)\n` +
        `  with faults  ${result.withFaults.median.toFixed(0).padStart(6)} images/s (${result.withFaults.min.toFixed(0)}–${result.withFaults.max.toFixed(0)}, ${result.withFaults.runs} runs): ${result.ratio.toFixed(2)} of the clean rate; ${JSON.stringify(faultCounts)}\n`,
    );
    return result;
  } finally {
    await sandbox.stop();
    gcs.stop();
    await rm(folder, { recursive: true, force: true });
  }
}

async function fetchRun(errorRate: number): Promise<{ utilisation: number; status429: number; status5xx: number; requests: number; seconds: number }> {
  const sandbox = new Sandbox({ products: 3_000, endDay: runId, days: 10, faults: { rateLimit: rate, latencyMs, retryAfterSeconds: 1 } });
  await sandbox.start();
  const dataUrl = await mkdtemp(path.join(os.tmpdir(), 'titelive-faults-fetch-'));
  const env = { TITELIVE_API_URL: sandbox.apiUrl, TITELIVE_LOGIN_URL: sandbox.loginUrl, TITELIVE_USERNAME: SANDBOX_USERNAME, TITELIVE_PASSWORD: SANDBOX_PASSWORD, TITELIVE_RATE_LIMIT: String(rate), PARALLELISM: String(workers), SHARD_COUNT: String(workers) };
  const common = ['--category', 'paper', '--run-id', runId, '--data-url', dataUrl, '--log-level', 'warn'];
  try {
    const plan = await cli(['plan', ...common, '--window-days', '10'], { ...env, PARALLELISM: '1', SHARD_COUNT: '1' });
    if (plan.code !== 0) throw new Error(`plan exited ${plan.code}: ${plan.stderr.slice(-1500)}`);
    const planned = (await manifestCounts(dataUrl, runId, 'plan')).planned ?? 0;
    const batchSize = Math.max(1, Math.min(250, Math.floor(planned / (targetSeconds * rate))));
    sandbox.resetStats();
    sandbox.faults = { ...sandbox.faults, errorRate };
    const started = performance.now();
    const shards = await Promise.all(Array.from({ length: workers }, (_, index) => cli(['fetch', ...common, '--batch-size', String(batchSize)], { ...env, JOB_COMPLETION_INDEX: String(index) })));
    const seconds = (performance.now() - started) / 1000;
    const broken = shards.find((shard) => shard.code !== 0);
    if (broken) throw new Error(`fetch exited ${broken.code}: ${broken.stderr.slice(-1500)}`);
    const counts = await manifestCounts(dataUrl, runId, 'fetch');
    if ((counts.found ?? 0) + (counts.deleted ?? 0) !== planned) throw new Error(`wrong counts: planned ${planned}, fetched ${JSON.stringify(counts)}`);
    const stats = sandbox.getStats();
    return { utilisation: stats.apiRequests / (rate * seconds), status429: stats.status429, status5xx: stats.status5xx, requests: stats.apiRequests, seconds };
  } finally {
    await sandbox.stop();
    await rm(dataUrl, { recursive: true, force: true });
  }
}

async function benchFetch(): Promise<Record<string, unknown>> {
  type Run = Awaited<ReturnType<typeof fetchRun>>;
  const clean: Run[] = [];
  const faulted: Run[] = [];
  for (let run = 0; run < repeat; run++) {
    clean.push(await fetchRun(0));
    faulted.push(await fetchRun(apiErrorRate));
  }
  const describe = (runs: Run[]) => ({ utilisation: spread(runs.map((r) => r.utilisation)), status429: runs.reduce((sum, r) => sum + r.status429, 0), status5xx: runs.reduce((sum, r) => sum + r.status5xx, 0), requests: runs[0]!.requests, seconds: spread(runs.map((r) => r.seconds)) });
  const result = { rate, workers, latencyMs, apiErrorRate, clean: describe(clean), withFaults: describe(faulted) };
  const line = (name: string, figures: ReturnType<typeof describe>) =>
    `  ${name.padEnd(11)}  utilisation ${figures.utilisation.median.toFixed(2)} (${figures.utilisation.min.toFixed(2)}–${figures.utilisation.max.toFixed(2)}, ${figures.utilisation.runs} runs), ${figures.requests} requests in ${figures.seconds.median.toFixed(1)} s, ${figures.status5xx} answered 5xx, ${figures.status429} 429s\n`;
  process.stdout.write(`fetch: budget ${rate} requests/s over ${workers} pods, +${latencyMs} ms, ${(apiErrorRate * 100).toFixed(0)} % of API calls 5xx with faults\n${line('clean', result.clean)}${line('with faults', result.withFaults)}`);
  return result;
}

process.stdout.write(`faults: ${os.availableParallelism()} CPUs, Node ${process.version}\n`);
const only = arg('only', 'all');
const images = only === 'fetch' ? undefined : await benchImages();
const fetchFigures = only === 'images' ? undefined : await benchFetch();
writeJsonResult({ images, fetch: fetchFigures });
