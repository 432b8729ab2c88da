/** What every benchmark shares: arguments, repetition statistics and a JSON result file. */
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';

export function arg(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, runs: sorted.length };
}

export function machine(): { cpus: number; memoryGiB: number; node: string; date: string } {
  return { cpus: os.availableParallelism(), memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString().slice(0, 10) };
}

/** With `--json FILE`, the results also go to FILE for `npm run bench` to collect. */
export function writeJsonResult(result: unknown): void {
  const file = arg('json', '');
  if (file) writeFileSync(file, JSON.stringify({ machine: machine(), command: `npm run ${process.env.npm_lifecycle_event ?? 'bench'} -- ${process.argv.slice(2).filter((value, index, all) => value !== '--json' && all[index - 1] !== '--json').join(' ')}`.trim(), result }, null, 2));
}

/** Peak resident memory of a process so far (VmHWM), in kB. */
export function peakRssKb(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** A stage's counts summed over the shard manifests of a local run folder. */
export async function manifestCounts(dataUrl: string, runId: string, stage: string, dataset = 'paper'): Promise<Record<string, number>> {
  const folder = path.join(dataUrl, dataset, runId, stage, '_shards');
  const totals: Record<string, number> = {};
  for (const name of await readdir(folder)) {
    const manifest = JSON.parse(await readFile(path.join(folder, name), 'utf8')) as { counts: Record<string, number> };
    for (const [key, value] of Object.entries(manifest.counts)) totals[key] = (totals[key] ?? 0) + value;
  }
  return totals;
}
