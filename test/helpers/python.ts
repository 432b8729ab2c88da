import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT, requireService } from './services.js';

const PYTHONPATH = path.join(ROOT, 'tools', 'python');

/** Runs a Python snippet with the pinned pyarrow/duckdb/pandas of tools/python; returns stdout. */
export function runPython(context: Mocha.Context, code: string, args: string[] = []): string {
  const probe = spawnSync('python3', ['-c', 'import pyarrow, duckdb, pandas'], { env: { ...process.env, PYTHONPATH }, encoding: 'utf8' });
  if (probe.status !== 0) requireService(context, 'python3 with pyarrow, duckdb and pandas (tools/python)');
  const result = spawnSync('python3', ['-c', code, ...args], { env: { ...process.env, PYTHONPATH }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`python failed: ${result.stderr}`);
  return result.stdout;
}
