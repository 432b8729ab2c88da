/**
 * Weeks of daily runs against a catalogue that changes every day, with an API outage and late
 * changes, then the copy compared with the API: the share of the copy that is right, and the
 * Titelive requests a run makes, with the cursor and lookback, with the cursor alone, and with
 * the fixed one-day window runs had before the cursor.
 *   npm run bench:continuity [-- --days 28 --products 300]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { addDays } from '../src/runtime/calendar.js';
import { startLocalFerretDb } from '../src/runtime/local-ferretdb.js';
import { runContinuity, type ContinuityOptions, type ContinuityResult } from '../test/helpers/continuity.js';
import { arg, writeJsonResult } from './bench-kit.js';

const days = Number(arg('days', '28'));
const products = Number(arg('products', '300'));
const start = '2024-03-01';
// Two consecutive runs fail in the outage, in the middle of the weeks.
const outageDays = [addDays(start, Math.floor(days / 2)), addDays(start, Math.floor(days / 2) + 1)];

interface Variant {
  name: string;
  mode: ContinuityOptions['mode'];
  lookbackDays: number;
}

const VARIANTS: Variant[] = [
  { name: 'cursor, lookback 7 days (the defaults)', mode: 'cursor', lookbackDays: 7 },
  { name: 'cursor, no lookback', mode: 'cursor', lookbackDays: 0 },
  { name: 'fixed 1-day window (no cursor, no lookback)', mode: 'fixed-window', lookbackDays: 0 },
];

export interface ContinuityRow {
  variant: string;
  expected: number;
  right: number;
  rightShare: number;
  missing: number;
  stale: number;
  deletionNotMarked: number;
  late: number;
  wrongLate: number;
  outage: number;
  wrongOutage: number;
  /** Median over the daily runs that committed, after the first load and the catch-up run. */
  steadyRequests: number;
  steadySearches: number;
  steadyEanCalls: number;
  steadyPlanned: number;
  seconds: number;
}

const mongo = await startLocalFerretDb();
if (!mongo && !process.env.MONGODB_URI) {
  process.stderr.write('bench:continuity needs MongoDB: set MONGODB_URI or run `bash scripts/install-tools.sh` for FerretDB in tools/bin\n');
  process.exit(2);
}
const mongoUri = process.env.MONGODB_URI ?? mongo!.uri;
const rows: ContinuityRow[] = [];
try {
  for (const variant of VARIANTS) {
    const dataUrl = await mkdtemp(path.join(os.tmpdir(), 'continuity-bench-'));
    const startedAt = Date.now();
    process.stdout.write(`\n${variant.name}: ${days} daily runs, ${products} products, outage ${outageDays.join(' and ')}\n`);
    const result = await runContinuity({
      products,
      start,
      days,
      outageDays,
      lookbackDays: variant.lookbackDays,
      mode: variant.mode,
      runner: 'in-process',
      mongoUri,
      database: `continuity_bench_${process.pid}_${rows.length}`,
      dataUrl,
      shards: 2,
      progress: (line) => process.stdout.write(`  ${line}\n`),
    });
    rows.push(summarise(variant, result, (Date.now() - startedAt) / 1000));
    await rm(dataUrl, { recursive: true, force: true });
  }
} finally {
  await mongo?.stop();
}

function summarise(variant: Variant, result: ContinuityResult, seconds: number): ContinuityRow {
  const { comparison } = result;
  const afterOutage = addDays(outageDays[1]!, 1);
  const steady = result.days.filter((day) => day.ok && day.day !== start && day.day !== afterOutage);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  return {
    variant: variant.name,
    expected: comparison.expected,
    right: comparison.right,
    rightShare: comparison.right / comparison.expected,
    missing: comparison.missing.length,
    stale: comparison.stale.length,
    deletionNotMarked: comparison.deletionNotMarked.length,
    late: comparison.late,
    wrongLate: comparison.wrongLate,
    outage: comparison.outage,
    wrongOutage: comparison.wrongOutage,
    steadyRequests: median(steady.map((day) => day.apiRequests)),
    steadySearches: median(steady.map((day) => day.searches)),
    steadyEanCalls: median(steady.map((day) => day.eanLookups)),
    steadyPlanned: median(steady.map((day) => day.planned)),
    seconds,
  };
}

/** The table docs/benchmarks.md shows (npm run bench puts it there). */
const markdown = [
  `${days} daily runs after a first load of ${products} products (paper, about ${rows[0]!.expected} EANs in the copy), two consecutive runs failing (${outageDays.join(', ')}: every call 503), in-process stages, FerretDB.`,
  '',
  '| runs | copy right at the end | missing | stale | deletions not marked | EANs with changes shown late: wrong | EANs changed the days before the failed runs: wrong | Titelive requests per steady run (searches, /ean calls) | EANs fetched per steady run | seconds |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((row) => `| ${row.variant} | ${(row.rightShare * 100).toFixed(1)} % (${row.right} of ${row.expected}) | ${row.missing} | ${row.stale} | ${row.deletionNotMarked} | ${row.wrongLate} of ${row.late} | ${row.wrongOutage} of ${row.outage} | ${row.steadyRequests} (${row.steadySearches}, ${row.steadyEanCalls}) | ${row.steadyPlanned} | ${row.seconds.toFixed(0)} |`),
];
process.stdout.write(`\n${markdown.join('\n')}\n`);
writeJsonResult({ days, products, outageDays, rows, markdown });
if (rows[0]!.right !== rows[0]!.expected) {
  process.stderr.write('bench:continuity: with the defaults the copy is not right; see the table\n');
  process.exit(1);
}
