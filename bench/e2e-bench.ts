/**
 * End to end: `run-local` on a sandbox of N products (a 7-day window), wall time by stage, for
 * several shard counts; loads into FerretDB from tools/bin (or MONGODB_URI).
 *   npm run bench:e2e [-- --products 100000 --shards 1,2,4 --repeat 1 --json out.json]
 */
import { FERRETDB_BINARY, startLocalFerretDb } from '../src/runtime/local-ferretdb.js';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { STAGES } from '../src/stage-table.js';
import { arg, spread, writeJsonResult } from './bench-kit.js';

const root = path.resolve(import.meta.dirname, '..');
const products = Number(arg('products', '100000'));
const shardCounts = arg('shards', '1,2,4').split(',').map(Number);
const repeat = Number(arg('repeat', '1'));

async function mongo(): Promise<{ uri: string; stop: () => Promise<void> }> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, stop: async () => undefined };
  const server = await startLocalFerretDb();
  if (!server) throw new Error(`${FERRETDB_BINARY} is missing: run npm run tools first, or set MONGODB_URI`);
  return server;
}

/** One run-local; returns the seconds of each stage (from its summary) and of the whole command. */
function runLocal(shards: number, dataUrl: string, uri: string, database: string): Promise<{ stages: Record<string, number>; rows: Record<string, number>; total: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), 'run-local', '--products', String(products), '--shards', String(shards), '--data-url', dataUrl, '--run-id', '2024-01-08', '--window-days', '7', '--log-format', 'json', '--log-level', 'warn'], { env: { ...process.env, MONGODB_URI: uri, MONGODB_DATABASE: database }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`run-local exited ${code}: ${stderr.slice(-1500)}`));
      const stages: Record<string, number> = {};
      const rows: Record<string, number> = {};
      for (const match of stdout.matchAll(/^\s+(\w+)\s+\d+ worker\(s\)\s+([\d.]+) s\s+(\d+) rows/gm)) {
        stages[match[1]!] = Number(match[2]);
        rows[match[1]!] = Number(match[3]);
      }
      if (STAGES.some((stage) => stages[stage] === undefined)) return reject(new Error(`run-local did not report every stage:\n${stdout}`));
      resolve({ stages, rows, total: (performance.now() - started) / 1000 });
    });
  });
}

const server = await mongo();
const results: unknown[] = [];
process.stdout.write(`run-local end to end: ${products} products, 7-day window, ${os.availableParallelism()} CPUs, Node ${process.version}\n`);
process.stdout.write(`  shards  ${STAGES.map((stage) => stage.padStart(7)).join('')}    total (s, medians)\n`);
try {
  for (const shards of shardCounts) {
    const byStage: Record<string, number[]> = Object.fromEntries(STAGES.map((stage) => [stage, []]));
    const totals: number[] = [];
    let rows: Record<string, number> = {};
    for (let run = 0; run < repeat; run++) {
      const dataUrl = await mkdtemp(path.join(os.tmpdir(), 'titelive-e2e-'));
      try {
        // A fresh database per run: every run is a first load.
        const result = await runLocal(shards, dataUrl, server.uri, `titelive_e2e_${Date.now()}`);
        for (const stage of STAGES) byStage[stage]!.push(result.stages[stage]!);
        totals.push(result.total);
        if (run > 0 && JSON.stringify(result.rows) !== JSON.stringify(rows)) throw new Error(`row counts differ between runs: ${JSON.stringify(rows)} then ${JSON.stringify(result.rows)}`);
        rows = result.rows;
      } finally {
        await rm(dataUrl, { recursive: true, force: true });
      }
    }
    const stages = Object.fromEntries(STAGES.map((stage) => [stage, spread(byStage[stage]!)]));
    results.push({ shards, stages, total: spread(totals), rows });
    process.stdout.write(`  ${String(shards).padStart(6)}  ${STAGES.map((stage) => stages[stage]!.median.toFixed(1).padStart(7)).join('')}    ${spread(totals).median.toFixed(1)}\n`);
  }
} finally {
  await server.stop();
}
writeJsonResult({ products, results });
