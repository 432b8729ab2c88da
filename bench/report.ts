/**
 * Every benchmark, then docs/benchmarks.md and its plots (docs/benchmarks/*.png, rendered with
 * Vega-Lite to SVG and resvg to PNG: no browser). Exits non-zero as soon as a benchmark fails,
 * which includes any stage producing wrong counts while timed.
 *   npm run bench [-- --quick]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { machine, type Spread } from './bench-kit.js';
import { STAGES } from '../src/stage-table.js';

const root = path.resolve(import.meta.dirname, '..');
const quick = process.argv.includes('--quick');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'titelive-bench-'));
const plots = path.join(root, 'docs', 'benchmarks');
mkdirSync(plots, { recursive: true });

interface Measured<T> {
  command: string;
  result: T;
}

/** Runs one benchmark script with --json and returns its result; stops everything on failure. */
function bench<T>(script: string, args: string[]): Measured<T> {
  const json = path.join(scratch, `${script}-${Date.now()}.json`);
  const display = `npm run bench:${script.replace('-bench', '')} -- ${args.join(' ')}`;
  process.stdout.write(`\n$ ${display}\n`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', `${script}.ts`), ...args, '--json', json], { stdio: ['ignore', 'inherit', 'inherit'], cwd: root });
  if (run.status !== 0) {
    process.stderr.write(`bench: ${display} failed (exit ${run.status}); no report written\n`);
    process.exit(1);
  }
  return { command: display, result: (JSON.parse(readFileSync(json, 'utf8')) as { result: T }).result };
}

async function plot(name: string, spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  writeFileSync(path.join(plots, `${name}.png`), new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, background: 'white' }).render().asPng());
  return `![${name}](benchmarks/${name}.png)`;
}

const range = (value: Spread, digits = 1) => `${value.median.toFixed(digits)} (${value.min.toFixed(digits)}–${value.max.toFixed(digits)}, ${value.runs} runs)`;

const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

/**
 * The sections of the current report that this script does not write (figures measured by other
 * commands, such as the real-pod test's stage times), kept as they are after the new ones.
 */
function sectionsNotMeasuredHere(previous: string, written: readonly string[]): string[] {
  const titles = new Set(written.filter((line) => line.startsWith('## ')));
  const kept: string[] = [];
  let keeping = false;
  for (const line of previous.split('\n')) {
    if (line.startsWith('## ')) keeping = !titles.has(line);
    if (keeping) kept.push(line);
  }
  while (kept.at(-1) === '') kept.pop();
  return kept.length > 0 ? ['', ...kept] : [];
}

/** What the backfill tables mean, kept beside the report so that a rerun keeps it. */
const BACKFILL_NOTES = [
  'The list repeats every 100th EAN and has a bad line every 1,000; plan reads it as a stream and',
  'keeps each EAN as a number in a sorted array (8 bytes), so memory follows the distinct EANs, not',
  'the file. Parse, images and load make no Titelive request, so the larger list runs plan and',
  'fetch only. Each fetch shard makes one login and one /ean call per 250 of its EANs, the last one',
  'partial; with faults on, each 503 costs a retry, and the poison EAN\'s batch (tried 6 times) is',
  'halved down to it, each half tried twice. Plan of a list makes no request at all.',
];

/** What the continuity table means, kept beside the report so that a rerun keeps it. */
const CONTINUITY_NOTES = [
  'The sandbox\'s catalogue changes every day (4 % of the products modified, some on most days in a',
  'row, 1 % created, 0.3 % losing an article) and shows 5 % of the changes 1 to 5 days after their',
  '`datemodification`; the copy is compared with what the API shows after the last run (title,',
  'price, `datemodification`, deleted or not). "Steady" runs are the daily runs after the first load',
  'and after the catch-up run. Without the cursor each run plans only the day before its date, as',
  'runs did before it: the days of the outage are never searched again and late changes are never',
  'seen. The cursor alone catches the outage up (every missed day is planned by the next run that',
  'commits); the lookback finds the late changes, for 8 searches a run instead of 1 and the',
  "re-listed products' /ean calls. At production volumes (a day of paper changes is tens of search",
  'pages) the lookback multiplies the search pages by lookback + 1 and re-fetches each changed EAN',
  'on up to that many runs: load writes only those whose content changed. Requests include the',
  'logins (one per plan pod and one per fetch shard, 2 shards here).',
];

type FetchRow = { rate: number; workers: number; productsPerSecond: Spread; utilisation: Spread; status429: number; busiestSecond: number };
/** Article rows in the file the seed script's figure was measured on (50,000 products, 18.5 s). */
const SEED_ROWS = 80_265;
type ParseRow = { products: number; writer: string; rows: number; workers: number; seconds: Spread; productsPerSecond: number; peakRssMb: number; timesSeedFigure: number; pandasReference?: { seconds: number; peakMb: number } };
type ImagesRow = { cap: number; latencyMs: number; images: number; imagesPerSecond: Spread; limit: number; socketsSeen: number; peakRssMb: number; imageBytesBound: number; peakImageBytes: number };
type LoadRow = { articles: number; batchSize: number; server: string; firstLoad: Spread; rerun: Spread; insertManySeconds: number; scanSeconds: number };
type E2eRow = { products: number; results: Array<{ shards: number; stages: Record<string, Spread>; total: Spread; rows: Record<string, number> }> };

const fetch = bench<FetchRow[]>('fetch-bench', quick ? ['--rates', '20', '--workers', '1,2', '--repeat', '1', '--seconds', '4'] : ['--rates', '5,20,100', '--workers', '1,2,4', '--repeat', '3', '--seconds', '6']);
const parses = (quick ? [10_000] : [50_000, 200_000, 1_000_000]).map((products) => bench<ParseRow>('parse-bench', ['--products', String(products), '--repeat', products >= 1_000_000 ? '2' : '3']));
const images = (quick ? [100] : [20, 100]).map((latency) => bench<ImagesRow[]>('images-bench', ['--caps', quick ? '8,32' : '8,32,128', '--latency-ms', String(latency), '--seconds', quick ? '2' : '4', '--repeat', quick ? '1' : '3']));
const load = bench<LoadRow>('load-bench', ['--articles', quick ? '10000' : '100000', '--repeat', quick ? '1' : '2']);
type FaultsRun = { clean: Spread; withFaults: Spread; ratio: number; images: number; faultCounts: Record<string, number> };
type FetchFaults = { rate: number; workers: number; clean: { utilisation: Spread; status429: number; status5xx: number }; withFaults: { utilisation: Spread; status429: number; status5xx: number } };
const faults = bench<{ images: FaultsRun; fetch: FetchFaults }>('faults-bench', quick ? ['--images', '4000', '--seconds', '8'] : ['--images', '20000', '--repeat', '2']);
const e2e = bench<E2eRow>('e2e-bench', ['--products', quick ? '5000' : '100000', '--shards', quick ? '1,2' : '1,2,4', '--repeat', '1']);

const fetchPlot = await plot('plan-fetch', {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 420, height: 220, title: 'plan + fetch: budget utilisation (1.0 = the budget)',
  data: { values: fetch.result.map((row) => ({ budget: `${row.rate} req/s`, workers: `${row.workers} worker(s)`, utilisation: row.utilisation.median })) },
  mark: 'bar', encoding: { x: { field: 'budget', type: 'nominal', sort: null }, xOffset: { field: 'workers' }, y: { field: 'utilisation', type: 'quantitative', scale: { domain: [0, 1] } }, color: { field: 'workers', type: 'nominal' } },
});
const parsePlot = await plot('parse', {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title: 'parse: throughput and peak RSS by input size',
  data: { values: parses.flatMap(({ result }) => [{ products: result.products, measure: 'products/s', value: result.productsPerSecond }, { products: result.products, measure: 'peak RSS (MB)', value: result.peakRssMb }]) },
  facet: { column: { field: 'measure', type: 'nominal', title: null } }, resolve: { scale: { y: 'independent' } },
  spec: { width: 260, height: 200, mark: { type: 'line', point: true }, encoding: { x: { field: 'products', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'value', type: 'quantitative', scale: { zero: true } } } },
} as TopLevelSpec);
const imagesPlot = await plot('images', {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title: 'images: measured images/s and the pool limit (cap ÷ latency)',
  data: { values: images.flatMap(({ result }) => result.flatMap((row) => [{ cap: row.cap, latency: `${row.latencyMs} ms`, series: 'measured', value: row.imagesPerSecond.median }, { cap: row.cap, latency: `${row.latencyMs} ms`, series: 'limit', value: row.limit }])) },
  facet: { column: { field: 'latency', type: 'nominal', title: 'upstream latency' } }, resolve: { scale: { y: 'independent' } },
  spec: { width: 240, height: 200, mark: { type: 'line', point: true }, encoding: { x: { field: 'cap', type: 'quantitative', scale: { type: 'log', base: 2 } }, y: { field: 'value', type: 'quantitative', title: 'images/s' }, color: { field: 'series', type: 'nominal' } } },
} as TopLevelSpec);
const loadPlot = await plot('load', {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 360, height: 200, title: `load: docs/s (${load.result.articles} articles, ${load.result.server})`,
  data: { values: [
    { what: 'first load', rate: load.result.articles / load.result.firstLoad.median },
    { what: 'raw insertMany', rate: load.result.articles / load.result.insertManySeconds },
    { what: 'no-change rerun', rate: load.result.articles / load.result.rerun.median },
    { what: 'raw scan', rate: load.result.articles / load.result.scanSeconds },
  ] },
  mark: 'bar', encoding: { x: { field: 'what', type: 'nominal', sort: null, title: null }, y: { field: 'rate', type: 'quantitative', title: 'docs/s' } },
});
const e2ePlot = await plot('end-to-end', {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 360, height: 220, title: `run-local, ${e2e.result.products} products: seconds by stage`,
  data: { values: e2e.result.results.flatMap((row) => Object.entries(row.stages).map(([stage, value]) => ({ shards: `${row.shards} shard(s)`, stage, seconds: value.median }))) },
  mark: 'bar', encoding: { x: { field: 'shards', type: 'nominal', sort: null, title: null }, y: { field: 'seconds', type: 'quantitative', stack: 'zero' }, color: { field: 'stage', type: 'nominal', sort: [...STAGES] } },
});

const continuity = bench<{ markdown: string[]; rows: Array<{ steadySearches: number; steadyEanCalls: number }> }>('continuity-bench', quick ? ['--days', '14'] : []);

const backfill = bench<{ markdown: string[] }>('backfill-bench', quick ? ['--eans', '500000', '--large-products', '20000'] : []);

const m = machine();
const lines = [
  '# Benchmarks',
  '',
  `Measured by \`npm run bench\`${quick ? ' (--quick)' : ''} on ${m.date}: ${m.cpus} CPUs, ${m.memoryGiB} GiB, Node ${m.node}. Every figure is`,
  'the median of the runs shown, with the spread; a benchmark that sees wrong counts fails the whole',
  'report. The sandbox, fake-gcs-server and FerretDB run on the same machine as the measured',
  'command and share its cores: where a figure is below a limit, the text says which.',
  '',
  '## plan + fetch under a request budget',
  '',
  `\`${fetch.command}\``,
  '',
  'Budget utilisation is the figure that matters: API requests the sandbox saw ÷ (budget ×',
  'seconds), where 1.0 is the budget (the sandbox answers 429 above it). To make every run send',
  'about the same number of requests per second of budget, the fetch batch size shrinks as the',
  'budget grows, so the measured EANs/s mostly reflects that choice; the last column derives what',
  'the same utilisation gives at the production batch size of 250 EANs per `/ean` call.',
  '',
  '| budget (req/s) | workers | utilisation | 429s | busiest second | EANs/s measured | EANs/s at 250 per call (derived) |',
  '|---|---|---|---|---|---|---|',
  ...fetch.result.map((row) => `| ${row.rate} | ${row.workers} | ${range(row.utilisation, 2)} | ${row.status429} | ${row.busiestSecond} | ${range(row.productsPerSecond)} | ${(row.utilisation.median * row.rate * 250).toFixed(0)} |`),
  '',
  fetchPlot,
  '',
  'Each run includes process start-up and the plan, which pages through /search at the same',
  'budget; the slotted rate limiter leaves 10 % of headroom by design, and more workers share the',
  'budget instead of adding to it. Utilisation drops a little with more worker processes: their',
  'start-up is inside the timed window and 4 processes share 2 cores. A 429 there means a request',
  'left its slot late because its process waited for a core; it is retried after Retry-After.',
  '',
  '## parse',
  '',
  'The raw file is written by pandas, as the seed\'s extract writes it (row groups of 100,000, dictionary',
  'pages falling back to plain, Snappy). "× seed" compares with the published figure for the seed',
  'script: 50,000 products in 18.5 s (2,703 products/s) and 1.16 GB on a machine of this kind. The',
  'pandas reference is bench/seed_parse.py, the seed\'s documented steps, run once on the same file',
  'at the same moment (it must write the same number of rows; skipped above 200,000 products).',
  '',
  '| products | rows | workers | seconds | products/s | × seed | peak RSS | pandas reference | command |',
  '|---|---|---|---|---|---|---|---|---|',
  ...parses.map(({ result, command }) => `| ${result.products.toLocaleString('en')} | ${result.rows.toLocaleString('en')} | ${result.workers} | ${range(result.seconds, 2)} | ${result.productsPerSecond.toFixed(0)} | ${result.timesSeedFigure.toFixed(1)} | ${result.peakRssMb.toFixed(0)} MB | ${result.pandasReference ? `${result.pandasReference.seconds.toFixed(1)} s, ${result.pandasReference.peakMb.toFixed(0)} MB` : 'not run'} | \`${command}\` |`),
  '',
  parsePlot,
  '',
  ...parses.filter(({ result }) => result.products === 50_000).map(({ result }) => `The seed's figure counts ${SEED_ROWS.toLocaleString('en')} article rows for its 50,000 products; the sandbox's have ${result.rows.toLocaleString('en')}. Per article row, parse wrote ${(result.rows / result.seconds.median).toFixed(0)} rows/s against the seed's ${(SEED_ROWS / 18.5).toFixed(0)}: ${(result.rows / result.seconds.median / (SEED_ROWS / 18.5)).toFixed(1)} ×.`),
  '',
  'Both cores are busy (worker threads read, parse, flatten and encode; the main thread only',
  'de-duplicates and places row groups). Memory holds a few page ranges per worker; what grows',
  'with the output is the EAN set (11 to 13 bytes per EAN) and the footer (about 11 KB per row',
  'group of about 1,100 rows).',
  '',
  '## images',
  '',
  '| latency | cap | images | images/s | limit (cap ÷ latency) | of the limit | image-host sockets | peak image bytes held (bound) | peak RSS | command |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...images.flatMap(({ result, command }) => result.map((row) => `| ${row.latencyMs} ms | ${row.cap} | ${row.images} | ${range(row.imagesPerSecond, 0)} | ${row.limit.toFixed(0)} | ${((row.imagesPerSecond.median / row.limit) * 100).toFixed(0)} % | ${row.socketsSeen} | ${(row.peakImageBytes / 1024).toFixed(0)} KiB (${(row.imageBytesBound / 2 ** 20).toFixed(0)} MiB) | ${row.peakRssMb.toFixed(0)} MB | \`${command}\` |`)),
  '',
  imagesPlot,
  '',
  'Sockets are what the image host accepted: with keep-alive, the cap, not the image count.',
  'Image bytes held are downloaded covers not yet stored, at their peak; they are bounded by',
  'cap × `--max-image-bytes` (in brackets). The sandbox covers are small, hence the low peaks. Where the measured rate falls below the limit at large caps',
  'and low latency, the 2 cores are the limit: this command, the sandbox serving the images and',
  'fake-gcs-server storing them share them.',
  '',
  '## With faults on',
  '',
  `\`${faults.command}\`: the same work clean and with the sandbox's faults, in one run.`,
  '',
  '| stage | setting | clean | with faults | ratio |',
  '|---|---|---|---|---|',
  `| images | ${faults.result.images.images} covers, 32 sockets, +50 ms; 5 % of covers misbehave (1 % each: 404, HTML answered 200, 0.5 s slow, cut half-way, 20 MiB) | ${range(faults.result.images.clean, 0)} images/s | ${range(faults.result.images.withFaults, 0)} images/s (${Object.entries(faults.result.images.faultCounts).map(([kind, count]) => `${count} ${kind}`).join(', ')}) | ${faults.result.images.ratio.toFixed(2)} |`,
  `| fetch | budget ${faults.result.fetch.rate} requests/s over ${faults.result.fetch.workers} pods, +50 ms; 3 % of API calls answered 5xx | utilisation ${range(faults.result.fetch.clean.utilisation, 2)}, ${faults.result.fetch.clean.status429} × 429 | utilisation ${range(faults.result.fetch.withFaults.utilisation, 2)} (${faults.result.fetch.withFaults.status5xx} answered 5xx, retried), ${faults.result.fetch.withFaults.status429} × 429 | ${(faults.result.fetch.withFaults.utilisation.median / faults.result.fetch.clean.utilisation.median).toFixed(2)} |`,
  '',
  "Utilisation is API requests ÷ (budget × the fetch commands' wall time, start-up included); the",
  "limiter's 10 % guard caps it at 0.91. Every stage runs its items in completion order, so a slow",
  'or retrying item holds one slot, never the others. What is left with faults is their own socket',
  'time (a 0.5 s cover holds its socket eleven times as long as a clean one; a cover cut half-way is',
  'tried five times, each attempt on a socket, the waits between them on none), which bounds the',
  'images ratio near 0.86 when the sockets are the limit, and the tail: the run ends when the last',
  'retried cover gives up, 2–4 s of backoff, which weighs more on a short catalogue.',
  '',
  '## load',
  '',
  `\`${load.command}\``,
  '',
  '| | seconds | docs/s |',
  '|---|---|---|',
  `| first load | ${range(load.result.firstLoad, 2)} | ${(load.result.articles / load.result.firstLoad.median).toFixed(0)} (${((load.result.insertManySeconds / load.result.firstLoad.median) * 100).toFixed(0)} % of raw insertMany) |`,
  `| no-change rerun | ${range(load.result.rerun, 2)} | ${(load.result.articles / load.result.rerun.median).toFixed(0)} (${((load.result.scanSeconds / load.result.rerun.median) * 100).toFixed(0)} % of a raw scan) |`,
  `| raw insertMany, same documents | ${load.result.insertManySeconds.toFixed(2)} | ${(load.result.articles / load.result.insertManySeconds).toFixed(0)} |`,
  `| raw scan, load's projection | ${load.result.scanSeconds.toFixed(2)} | ${(load.result.articles / load.result.scanSeconds).toFixed(0)} |`,
  '',
  loadPlot,
  '',
  `Server: ${load.result.server}. A rerun writes nothing but reads every stored hash; on this`,
  'server reads are slower than writes, so the raw scan is the rerun\'s bound.',
  '',
  '## End to end',
  '',
  `\`${e2e.command}\``,
  '',
  `| shards | ${[...STAGES].join(' | ')} | total (s) |`,
  '|---|---|---|---|---|---|---|',
  ...e2e.result.results.map((row) => `| ${row.shards} | ${[...STAGES].map((stage) => row.stages[stage]!.median.toFixed(1)).join(' | ')} | ${row.total.median.toFixed(1)} |`),
  '',
  e2ePlot,
  '',
  `Rows per stage: ${Object.entries(e2e.result.results[0]!.rows).map(([stage, rows]) => `${stage} ${rows}`).join(', ')}. On 2 cores, more`,
  'shards than cores only add process start-up and contention: plan and fetch are bound by the',
  'request budget (20 req/s in run-local), parse and load by the cores and FerretDB, images by the',
  'cores shared with the sandbox. Shards pay off across pods, each with its own cores.',
  '',
  '## Continuity: weeks of daily runs',
  '',
  `\`${continuity.command}\``,
  '',
  ...continuity.result.markdown,
  '',
  ...CONTINUITY_NOTES,
  '',
  '## Backfill from a list of EANs',
  '',
  `\`${backfill.command}\``,
  '',
  ...backfill.result.markdown,
  '',
  ...BACKFILL_NOTES,
  '',
];
const reportFile = path.join(root, 'docs', 'benchmarks.md');
writeFileSync(reportFile, `${[...lines, ...sectionsNotMeasuredHere(readFileSync(reportFile, 'utf8'), lines)].join('\n')}\n`);
process.stdout.write('\nbench: wrote docs/benchmarks.md and docs/benchmarks/*.png\n');
