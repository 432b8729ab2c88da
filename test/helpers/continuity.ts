import { MongoClient } from 'mongodb';
import { STAGE_RESOLVERS } from '../../src/config.js';
import { addDays } from '../../src/runtime/calendar.js';
import { readCursor, type CursorState } from '../../src/runtime/cursor.js';
import { exitCodeOf } from '../../src/runtime/errors.js';
import { readManifests } from '../../src/runtime/manifest.js';
import { LocalStorage } from '../../src/runtime/storage/local-storage.js';
import { SANDBOX_PASSWORD, SANDBOX_USERNAME, Sandbox } from '../../src/sandbox/server.js';
import type { TruthEntry } from '../../src/sandbox/history.js';
import { commitRunIfComplete } from '../../src/stages/commit-run.js';
import { STAGE_TABLE, type StageRow } from '../../src/stage-table.js';
import { keepArticle } from '../../src/titelive/article-filter.js';
import { runCli } from './cli.js';
import { quietContext } from './run-stages.js';

/**
 * Weeks of daily runs against a sandbox whose catalogue changes every day, then the MongoDB copy
 * compared with what the API shows: the copy's promise, judged over time.
 */
export interface ContinuityOptions {
  /** Products of the starting catalogue (paper). */
  products: number;
  /** The initial load's run date; changes start on that day. */
  start: string;
  /** Daily runs after the initial load (run ids start + 1 … start + days). */
  days: number;
  /** Run dates on which the API answers 503 to everything. */
  outageDays: readonly string[];
  /** LOOKBACK_DAYS. */
  lookbackDays: number;
  /** `cursor`: each run as the chart runs it (WINDOW_DAYS=1, the cursor); `fixed-window`: each run plans only the day before its date, as before the cursor. */
  mode: 'cursor' | 'fixed-window';
  /** EANs whose /ean calls answer 500, every time. */
  failingEans?: readonly string[];
  maxItemAttempts?: number;
  /** `process`: every shard a CLI process, as a pod runs it; `in-process`: the same resolvers and stages in this process. */
  runner: 'process' | 'in-process';
  mongoUri: string;
  database: string;
  dataUrl: string;
  /** Shards per sharded stage (default: the stage table's, as the chart's). */
  shards?: number;
  /** Only these stages, in run order (default: all). */
  stages?: readonly string[];
  /** A line per run, for the benchmark's progress. */
  progress?: (line: string) => void;
}

export interface DayResult {
  day: string;
  ok: boolean;
  /** The stage that failed, and its exit code. */
  failed?: { stage: string; code: number };
  /** Seconds each stage took, shards in parallel. */
  seconds: Record<string, number>;
  apiRequests: number;
  searches: number;
  eanLookups: number;
  /** EANs the run planned (and fetched). */
  planned: number;
}

export interface CopyComparison {
  /** EANs the copy must hold (live, with the API's values) or mark deleted. */
  expected: number;
  right: number;
  missing: string[];
  stale: string[];
  deletionNotMarked: string[];
  /** Expected EANs whose product had a change the API showed late, or made the day before a failed run… */
  late: number;
  outage: number;
  /** …and, of the wrong ones, those. */
  wrongLate: number;
  wrongOutage: number;
}

export interface ContinuityResult {
  days: DayResult[];
  comparison: CopyComparison;
  cursor: CursorState | undefined;
  truth: TruthEntry[];
}

/** The scenario's sandbox (not started): the same catalogue and history for a given scenario, to pick EANs from before running it. */
export function continuitySandbox(options: Pick<ContinuityOptions, 'products' | 'start' | 'failingEans'>): Sandbox {
  return new Sandbox({ products: options.products, seed: 7, history: { start: options.start }, faults: { retryAfterSeconds: 0.02, failingEans: [...(options.failingEans ?? [])] } });
}

export async function runContinuity(options: ContinuityOptions): Promise<ContinuityResult> {
  const sandbox = continuitySandbox(options);
  await sandbox.start();
  const initialStart = addDays(options.start, -31);
  const days: DayResult[] = [];
  try {
    const runDays = Array.from({ length: options.days + 1 }, (_, n) => addDays(options.start, n));
    for (const day of runDays) {
      await setClock(sandbox, day);
      sandbox.faults.outage = options.outageDays.includes(day);
      sandbox.resetStats();
      const initial = day === options.start;
      const window: Record<string, string> = initial || options.mode === 'fixed-window' ? { MIN_MODIFIED_DATE: initial ? initialStart : addDays(day, -1) } : { WINDOW_DAYS: '1' };
      const result = await runDay(sandbox, day, window, options);
      const stats = sandbox.getStats();
      const plan = (await readManifests(new LocalStorage(options.dataUrl), { dataset: 'paper', runId: day }, 'plan'))[0];
      days.push({ ...result, apiRequests: stats.apiRequests, searches: stats.searches, eanLookups: stats.eanLookups, planned: plan?.counts.planned ?? 0 });
      const timings = Object.entries(result.seconds).map(([stage, taken]) => `${stage} ${taken.toFixed(1)} s`).join(', ');
      options.progress?.(`${day}: ${result.ok ? 'committed' : `failed at ${result.failed?.stage} (exit ${result.failed?.code})`}, ${stats.apiRequests} API requests (${stats.searches} searches, ${stats.eanLookups} /ean), ${plan?.counts.planned ?? 0} EANs planned; ${timings}`);
    }
    sandbox.faults.outage = false;
    const truth = sandbox.history!.truth('paper');
    const comparison = await compareCopy(options, truth, initialStart, sandbox);
    const cursor = await readCursor(new LocalStorage(options.dataUrl), 'paper');
    return { days, comparison, cursor, truth };
  } finally {
    await sandbox.stop();
  }
}

export async function setClock(sandbox: Sandbox, day: string): Promise<void> {
  const response = await fetch(`${sandbox.url}/_sandbox/clock`, { method: 'POST', body: JSON.stringify({ day }) });
  if (!response.ok) throw new Error(`sandbox clock: HTTP ${response.status}`);
}

/** One run: every stage in order, each sharded one as parallel shards; stops at the first failure, as the pipeline does. `window` adds to or overrides the variables. */
export async function runDay(sandbox: Sandbox, day: string, window: Record<string, string>, options: ContinuityOptions): Promise<Pick<DayResult, 'day' | 'ok' | 'failed' | 'seconds'>> {
  const seconds: Record<string, number> = {};
  const env: Record<string, string> = {
    CATEGORY: 'paper',
    RUN_ID: day,
    DATA_URL: options.dataUrl,
    TITELIVE_API_URL: sandbox.apiUrl,
    TITELIVE_LOGIN_URL: sandbox.loginUrl,
    TITELIVE_USERNAME: SANDBOX_USERNAME,
    TITELIVE_PASSWORD: SANDBOX_PASSWORD,
    // The sandbox has no budget to share: the chart's 1 request/s would only make the test slow.
    TITELIVE_RATE_LIMIT: '200',
    LOOKBACK_DAYS: String(options.lookbackDays),
    MAX_CATCH_UP_DAYS: '62',
    MAX_FAILURE_RATIO: '0.01',
    MAX_ITEM_ATTEMPTS: String(options.maxItemAttempts ?? 5),
    MONGODB_URI: options.mongoUri,
    MONGODB_DATABASE: options.database,
    // FerretDB 1.24 never answers update commands that add up to about 100 statements at once
    // (../shared/DESIGN.md, "Test services"): 2 shards × 2 bulks in flight × 20 stay under it.
    MONGODB_BATCH_SIZE: process.env.MONGODB_URI ? '1000' : '20',
    IMAGES_URL: `${options.dataUrl}/images`,
    IMAGE_HOSTS: new URL(sandbox.url).origin,
    LOG_LEVEL: 'warn',
    ...window,
  };
  for (const stage of STAGE_TABLE as readonly StageRow[]) {
    if (options.stages && !options.stages.includes(stage.name)) continue;
    const shards = stage.sharded ? options.shards ?? stage.defaultShards : 1;
    const startedAt = Date.now();
    const codes = await Promise.all(
      Array.from({ length: shards }, async (_, index) => {
        const shardEnv = { ...env, ...(stage.sharded ? { SHARD_COUNT: String(shards), JOB_COMPLETION_INDEX: String(index), PARALLELISM: String(shards) } : {}) };
        // As the chart's Jobs do: exit 1 is retried (backoffLimitPerIndex 3, plan's backoffLimit 2), 2 and 3 are not.
        let code = 1;
        for (let attempt = 0; attempt <= (stage.sharded ? 3 : 2) && code === 1; attempt++) {
          code = options.runner === 'process' ? await runShardProcess(stage.name, shardEnv) : await runShardInProcess(stage, shardEnv, options);
        }
        return code;
      }),
    );
    seconds[stage.name] = (Date.now() - startedAt) / 1000;
    const failed = codes.find((code) => code !== 0);
    if (failed !== undefined) return { day, ok: false, failed: { stage: stage.name, code: failed }, seconds };
  }
  return { day, ok: true, seconds };
}

async function runShardProcess(stage: string, env: Record<string, string>): Promise<number> {
  const result = await runCli([stage], env);
  if (result.code !== 0 && process.env.CONTINUITY_DEBUG) process.stderr.write(result.stderr + result.stdout);
  return result.code ?? 1;
}

/** The CLI's path in this process: the stage's resolver on these variables, its work, and the commit after the last stage. */
async function runShardInProcess(stage: StageRow, env: Record<string, string>, options: ContinuityOptions): Promise<number> {
  try {
    const config = await (STAGE_RESOLVERS[stage.config] as (argv: Record<string, unknown>, env: Record<string, string>) => Promise<object>)({}, env);
    await (stage.run as (config: object, context: ReturnType<typeof quietContext>) => Promise<unknown>)(config, quietContext());
    if (stage === STAGE_TABLE[STAGE_TABLE.length - 1]) {
      await commitRunIfComplete(new LocalStorage(options.dataUrl), { dataset: 'paper', runId: env.RUN_ID! }, { maxItemAttempts: options.maxItemAttempts ?? 5 }, quietContext().logger);
    }
    return 0;
  } catch (error) {
    if (process.env.CONTINUITY_DEBUG) process.stderr.write(`${stage.name}: ${String(error)}\n`);
    return exitCodeOf(error);
  }
}

/** Every EAN the copy must have, against the API's answer at the last day. */
async function compareCopy(options: ContinuityOptions, truth: TruthEntry[], initialStart: string, sandbox: Sandbox): Promise<CopyComparison> {
  const client = await MongoClient.connect(options.mongoUri);
  try {
    const documents = new Map<string, Record<string, unknown>>();
    const cursor = client.db(options.database).collection<{ _id: string }>('products').find({}, { projection: { titre: 1, article_prix: 1, article_datemodification: 1, deletedAt: 1 } });
    for await (const document of cursor) documents.set(String(document._id), document as Record<string, unknown>);
    const comparison: CopyComparison = { expected: 0, right: 0, missing: [], stale: [], deletionNotMarked: [], late: 0, outage: 0, wrongLate: 0, wrongOutage: 0 };
    for (const entry of truth) {
      if (!keepArticle({ datemodification: entry.datemodification ?? undefined }, initialStart)) continue;
      comparison.expected += 1;
      const document = documents.get(entry.ean);
      let wrong: string[] | undefined;
      if (entry.deleted) {
        if (document && !document.deletedAt) wrong = comparison.deletionNotMarked;
      } else if (!document || document.deletedAt) wrong = comparison.missing;
      else if (document.titre !== entry.titre || numberOrNull(document.article_prix) !== entry.prix || (document.article_datemodification ?? null) !== entry.datemodification) wrong = comparison.stale;
      const changes = sandbox.history!.changes('paper', sandbox.catalog.locate('paper', entry.ean)!.index);
      const late = changes.some((change) => change.visibleOn > addDays(change.day, 1));
      const outage = changes.some((change) => options.outageDays.includes(addDays(change.day, 1)));
      comparison.late += late ? 1 : 0;
      comparison.outage += outage ? 1 : 0;
      if (!wrong) {
        comparison.right += 1;
        continue;
      }
      wrong.push(entry.ean);
      comparison.wrongLate += late ? 1 : 0;
      comparison.wrongOutage += outage ? 1 : 0;
    }
    return comparison;
  } finally {
    await client.close();
  }
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
