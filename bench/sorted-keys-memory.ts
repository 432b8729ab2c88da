/**
 * Why plan keeps a list's EANs as numbers: 2,000,000 EANs collected and sorted, in a child
 * process each way (peak RSS from VmHWM), as SortedKeys does it and with a Set of strings.
 *   npm run bench:keys [-- --eans 2000000]
 */
import { spawnSync } from 'node:child_process';
import { arg, writeJsonResult } from './bench-kit.js';

const eans = Number(arg('eans', '2000000'));

/** One way of collecting, run alone in a fresh process; prints its peak RSS in kB. */
const CHILD = `
const n = Number(process.argv[2]);
const ean = (i) => String(9780000000000 + ((i * 7919) % 1000000000));
let kept;
if (process.argv[1] === 'set') {
  const set = new Set();
  for (let i = 0; i < n; i++) set.add(ean(i));
  kept = [...set].sort().length;
} else {
  const { SortedKeys } = await import(${JSON.stringify(new URL('../src/runtime/key-lists/sorted-keys.ts', import.meta.url).href)});
  const keys = new SortedKeys();
  for (let i = 0; i < n; i++) keys.add(ean(i));
  kept = 0;
  for (const _ of keys.sorted()) kept++;
}
const { readFileSync } = await import('node:fs');
console.log(JSON.stringify({ kept, peakKb: Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) }));
`;

const results: Record<string, { kept: number; peakMb: number }> = {};
for (const way of ['sorted-keys', 'set']) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD, way, String(eans)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${way}: ${run.stderr}`);
  const { kept, peakKb } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { kept: number; peakKb: number };
  results[way] = { kept, peakMb: peakKb / 1024 };
  process.stdout.write(`${way}: ${kept} distinct EANs, peak RSS ${(peakKb / 1024).toFixed(0)} MB\n`);
}
writeJsonResult({ eans, results });
