/**
 * plan + fetch against the sandbox with a real request budget (the sandbox answers 429 above it):
 * products/s, budget utilisation (API requests ÷ (budget × seconds); 1.0 is the limit) and 429s,
 * for several budgets and worker counts. Fetch batch sizes are chosen so each run makes about
 * `seconds` × budget requests.
 *   npm run bench:fetch [-- --rates 5,20,100 --workers 1,2,4 --repeat 3 --products 1500 --seconds 15 --json out.json]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SANDBOX_PASSWORD, SANDBOX_USERNAME, Sandbox } from '../src/sandbox/server.js';
import { arg, manifestCounts, spread, writeJsonResult } from './bench-kit.js';

const root = path.resolve(import.meta.dirname, '..');
const rates = arg('rates', '5,20,100').split(',').map(Number);
const workerCounts = arg('workers', '1,2,4').split(',').map(Number);
const repeat = Number(arg('repeat', '3'));
const products = Number(arg('products', '1500'));
const targetSeconds = Number(arg('seconds', '15'));
const runId = '2024-01-08';

function cli(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), ...args, '--log-format', 'json', '--log-level', 'warn'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args[0]} exited ${code}: ${stderr.slice(-1500)}`))));
  });
}

const results: unknown[] = [];
process.stdout.write(`plan + fetch: sandbox with ${products} products, budgets ${rates.join(', ')} requests/s, ${os.availableParallelism()} CPUs, Node ${process.version}\n`);
process.stdout.write('  budget  workers   products/s (median, spread)    utilisation   429s   busiest second\n');
for (const rate of rates) {
  for (const workers of workerCounts) {
    const throughputs: number[] = [];
    const utilisations: number[] = [];
    let status429 = 0;
    let busiest = 0;
    for (let run = 0; run < repeat; run++) {
      const sandbox = new Sandbox({ products, endDay: runId, days: 10, faults: { rateLimit: rate } });
      await sandbox.start();
      const dataUrl = await mkdtemp(path.join(os.tmpdir(), 'titelive-fetch-bench-'));
      const env = { TITELIVE_API_URL: sandbox.apiUrl, TITELIVE_LOGIN_URL: sandbox.loginUrl, TITELIVE_USERNAME: SANDBOX_USERNAME, TITELIVE_PASSWORD: SANDBOX_PASSWORD, TITELIVE_RATE_LIMIT: String(rate), PARALLELISM: String(workers), SHARD_COUNT: String(workers) };
      const common = ['--category', 'paper', '--run-id', runId, '--data-url', dataUrl];
      try {
        const started = performance.now();
        await cli(['plan', ...common, '--window-days', '10'], { ...env, PARALLELISM: '1', SHARD_COUNT: '1' });
        const planned = (await manifestCounts(dataUrl, runId, 'plan')).planned ?? 0;
        const batchSize = Math.max(1, Math.min(250, Math.floor(planned / (targetSeconds * rate))));
        await Promise.all(Array.from({ length: workers }, (_, index) => cli(['fetch', ...common, '--batch-size', String(batchSize)], { ...env, JOB_COMPLETION_INDEX: String(index) })));
        const seconds = (performance.now() - started) / 1000;
        const counts = await manifestCounts(dataUrl, runId, 'fetch');
        const fetched = (counts.found ?? 0) + (counts.deleted ?? 0);
        if (fetched !== planned || (counts.failed ?? 0) > 0) throw new Error(`wrong counts: planned ${planned}, fetched ${JSON.stringify(counts)}`);
        const stats = sandbox.getStats();
        throughputs.push(planned / seconds);
        utilisations.push(stats.apiRequests / (rate * seconds));
        status429 += stats.status429;
        busiest = Math.max(busiest, stats.maxRequestsInAnySecond);
      } finally {
        await sandbox.stop();
        await rm(dataUrl, { recursive: true, force: true });
      }
    }
    const throughput = spread(throughputs);
    const utilisation = spread(utilisations);
    results.push({ rate, workers, productsPerSecond: throughput, utilisation, status429, busiestSecond: busiest });
    process.stdout.write(`  ${String(rate).padStart(6)}  ${String(workers).padStart(7)}   ${throughput.median.toFixed(1).padStart(9)} (${throughput.min.toFixed(1)}–${throughput.max.toFixed(1)})   ${utilisation.median.toFixed(2).padStart(12)}   ${String(status429).padStart(4)}   ${String(busiest).padStart(14)}\n`);
  }
}
writeJsonResult(results);
