import { PLAN_COLUMNS } from './part-schemas.js';
import { STAGE_FOLDERS } from '../stage-table.js';
import type { PlanConfig } from '../stage-configs.js';
import { EARLIEST_DAY, daysBetween } from '../runtime/calendar.js';
import type { JobContext } from '../runtime/harness.js';
import { itemsTotal, planAnomaliesTotal, planDayOverCapProducts } from '../runtime/metrics.js';
import { sourceOf } from '../sources.js';
import { NAMES_PER_ENDING, Tally, type Accounting } from '../runtime/accounting.js';
import { writeManifest, type ShardManifest } from '../runtime/manifest.js';
import { PartWriter } from '../runtime/part-io.js';
import { partPath, type RunRef } from '../runtime/run-layout.js';
import { openStorage } from '../runtime/storage/open-storage.js';
import { chooseWindow, type DayWindow } from '../runtime/choose-window.js';
import { readCursor, type CursorState } from '../runtime/cursor.js';
import { ConfigError } from '../runtime/errors.js';
import type { Storage } from '../runtime/storage/storage.js';
import { readListedKeys } from './plan-listed.js';
import { readFailedKeys } from './plan-retry.js';

/** What plan found to fetch, however it found it, and what its manifest says of it. */
interface PlanListing {
  /** Keys to fetch, sorted, each with the day it is planned for. */
  rows: Iterable<{ ean: string; day: string }>;
  counts: Record<string, number>;
  accounting: Accounting;
  anomalies: Array<Record<string, unknown>>;
  /** Must hold `window` (parse keeps articles from its start; commit moves the cursor to its end) and `movesCursor`. */
  details: Record<string, unknown> & { window: DayWindow; movesCursor: boolean };
  inputs: string[];
}

/**
 * Writes the list of keys (EANs) a run fetches, each once, with the day it is planned for. By
 * default it searches the dataset's source day by day over a window chosen from the cursor;
 * with --eans-from it reads them from a list (no search), with --retry-failed-from from the
 * failures of an earlier run. Either way the rest of the run is the same.
 */
export async function runPlan(config: PlanConfig, context: JobContext): Promise<ShardManifest> {
  const startedAt = new Date();
  const storage = openStorage(config.dataUrl);
  const run: RunRef = { dataset: config.dataset, runId: config.runId };
  const selection = config.selection ?? { kind: 'window' };
  const listing =
    selection.kind === 'list' ? await planList(config, selection, context) : selection.kind === 'retry' ? await planRetry(config, selection, storage) : await planSearch(config, storage, context);
  context.signal.throwIfAborted();

  const writer = await PartWriter.open(storage, partPath(run, STAGE_FOLDERS.plan, { index: 0, count: 1 }), PLAN_COLUMNS, { stage: 'plan' });
  try {
    for (const { ean, day } of listing.rows) await writer.append({ ean, base: config.dataset, day });
  } catch (error) {
    await writer.discard();
    throw error;
  }
  const output = await writer.commit();
  for (const [outcome, count] of Object.entries(listing.counts)) itemsTotal.inc({ stage: 'plan', outcome }, count);
  for (const anomaly of listing.anomalies) planAnomaliesTotal.inc({ kind: String(anomaly.type) });
  context.signal.throwIfAborted();
  return writeManifest(storage, {
    stage: STAGE_FOLDERS.plan,
    dataset: config.dataset,
    runId: config.runId,
    shardIndex: 0,
    shardCount: 1,
    inputs: listing.inputs,
    outputs: [output],
    counts: listing.counts,
    accounting: listing.accounting,
    anomalies: listing.anomalies,
    details: { ...listing.details, limit: config.limit ?? null },
    startedAt,
  });
}

/**
 * The window, one day at a time, from the dataset's source, then the keys the cursor carries
 * from earlier runs. A day with none is recorded and logged; what else a day may hold
 * (Titelive: more results than its API pages through) is the source's to report.
 */
async function planSearch(config: PlanConfig, storage: Storage, { logger, signal }: JobContext): Promise<PlanListing> {
  const cursor = await readCursor(storage, config.dataset);
  const choice = planWindow(config, cursor);
  const window = choice.window;
  logger.info({ event: 'window_chosen', window, basis: choice.basis, cursor: cursor?.end ?? null, carried: Object.keys(cursor?.carried ?? {}).length }, `plan: ${choice.reason}`);
  const connection = await sourceOf(config.dataset).connect(config.titelive, 0, logger);
  const planned = new Map<string, string>();
  const counts = { planned: 0, duplicate: 0, filtered_old: 0, no_ean: 0, over_limit: 0, carried: 0, products: 0, search_requests: 0 };
  // Every article of every product the search returned, and why it is planned or not.
  const articles = new Tally('articles', ['planned', 'duplicate', 'filtered_old', 'no_ean', 'over_limit', 'carried']);
  const anomalies: Array<Record<string, unknown>> = [];
  const days = daysBetween(window.start, window.end);
  logger.info({ event: 'plan_started', window, days: days.length }, `plan: searching ${config.dataset} from ${window.start} to ${window.end} (${days.length} days)`);
  try {
    for (const day of days) {
      if (config.limit !== undefined && planned.size >= config.limit) break;
      signal.throwIfAborted();
      const result = await connection.listDay({ dataset: config.dataset, day, windowStart: window.start, allowPartial: config.allowPartial, concurrency: config.titelive.concurrency, signal, logger });
      counts.search_requests += result.requests;
      counts.products += result.products;
      anomalies.push(...result.anomalies);
      if (result.capped) {
        planDayOverCapProducts.set({ day, count: 'total' }, result.capped.total);
        planDayOverCapProducts.set({ day, count: 'kept' }, result.capped.kept);
      }
      if (result.total === 0) {
        anomalies.push({ type: 'zero_result_day', day });
        logger.warn({ event: 'anomaly', anomaly: 'zero_result_day', day }, `plan: no ${config.dataset} product modified on ${day} — check the API if that is unexpected`);
      }
      for (const { key, inWindow } of result.items) {
        const ending = key === undefined ? 'no_ean' : !inWindow ? 'filtered_old' : planned.has(key) ? 'duplicate' : config.limit !== undefined && planned.size >= config.limit ? 'over_limit' : 'planned';
        if (ending === 'planned') planned.set(key!, day);
        else counts[ending] += 1;
        articles.readAndEnd(ending);
      }
      logger.info({ event: 'plan_day', day, total: result.total, planned: planned.size }, `plan: ${day}: ${result.total} products, ${planned.size} EANs planned so far`);
    }
  } finally {
    connection.close();
  }
  // EANs that failed in earlier committed runs: planned again, once, unless the search listed them.
  for (const [ean, item] of Object.entries(cursor?.carried ?? {})) {
    const ending = planned.has(ean) ? 'duplicate' : config.limit !== undefined && planned.size >= config.limit ? 'over_limit' : 'carried';
    if (ending === 'carried') planned.set(ean, item.day);
    counts[ending] += 1;
    articles.readAndEnd(ending);
  }

  counts.planned = planned.size;
  const rows = [...planned.keys()].sort().map((ean) => ({ ean, day: planned.get(ean)! }));
  return {
    rows,
    counts,
    accounting: articles.toJSON(),
    anomalies,
    details: { window, windowBasis: choice.basis, windowReason: choice.reason, movesCursor: true, cursor: cursor?.end ?? null, carried: counts.carried, days: days.length, allowPartial: config.allowPartial },
    inputs: [connection.origin],
  };
}

/** The keys of a list (--eans-from): no search; the cursor moves only with --move-cursor. */
async function planList(config: PlanConfig, selection: { url: string; moveCursor: boolean }, { logger, signal }: JobContext): Promise<PlanListing> {
  const source = sourceOf(config.dataset);
  const window: DayWindow = { start: EARLIEST_DAY, end: config.window.end };
  logger.info({ event: 'window_chosen', basis: 'list', eansFrom: selection.url, moveCursor: selection.moveCursor }, `plan: the EANs listed in ${selection.url}, no search; ${selection.moveCursor ? `the cursor moves to ${window.end} when the run commits` : 'the cursor stays where it is'}`);
  const listed = await readListedKeys(selection.url, source, logger, signal);
  const distinct = listed.keys.size;
  const planned = Math.min(distinct, config.limit ?? distinct);
  listed.lines.end('duplicate', listed.keys.duplicates);
  listed.lines.end('planned', planned);
  listed.lines.end('over_limit', distinct - planned);
  const accounting = listed.lines.toJSON();
  if (listed.bad > 0) logger.warn({ event: 'anomaly', anomaly: 'bad_list_lines', bad: listed.bad, first: accounting.names.bad?.slice(0, 3) }, `plan: ${listed.bad} line(s) of ${selection.url} are not EANs and are not planned, e.g. ${(accounting.names.bad ?? []).slice(0, 3).join('; ')} (the first ${NAMES_PER_ENDING} are in the manifest)`);
  logger.info({ event: 'list_read', lines: accounting.in, planned, duplicate: listed.keys.duplicates, bad: listed.bad, blank: listed.blank }, `plan: ${accounting.in} lines → ${planned} EANs planned (${listed.keys.duplicates} repeats, ${listed.bad} bad, ${listed.blank} blank)`);
  const day = window.end;
  function* rows(): Generator<{ ean: string; day: string }> {
    let count = 0;
    for (const ean of listed.keys.sorted()) {
      if (count++ >= planned) return;
      yield { ean, day };
    }
  }
  return {
    rows: rows(),
    counts: { planned, duplicate: listed.keys.duplicates, bad: listed.bad, blank: listed.blank, over_limit: distinct - planned, search_requests: 0 },
    accounting,
    anomalies: listed.bad > 0 ? [{ type: 'bad_list_lines', count: listed.bad, first: accounting.names.bad ?? [] }] : [],
    details: { window, windowBasis: 'list', windowReason: `the EANs listed in ${selection.url}`, eansFrom: selection.url, movesCursor: selection.moveCursor, badLines: accounting.names.bad ?? [] },
    inputs: [selection.url],
  };
}

/** The keys that failed in an earlier run (--retry-failed-from), with that run's window; the cursor stays. */
async function planRetry(config: PlanConfig, selection: { runId: string; includeUnavailable: boolean }, storage: Storage): Promise<PlanListing> {
  const facet = await sourceOf(config.dataset).products();
  const from: RunRef = { dataset: config.dataset, runId: selection.runId };
  const failed = await readFailedKeys(storage, from, selection.includeUnavailable, facet.imageSides);
  const planned = Math.min(failed.keys.length, config.limit ?? failed.keys.length);
  const keys = new Tally('EANs', ['planned', 'over_limit']);
  keys.readAndEnd('planned', planned);
  keys.readAndEnd('over_limit', failed.keys.length - planned);
  return {
    rows: failed.keys.slice(0, planned).map((ean) => ({ ean, day: failed.window.start })),
    counts: { planned, fetch_failed: failed.fetchFailed, covers_failed: failed.coversFailed, over_limit: failed.keys.length - planned, search_requests: 0 },
    accounting: keys.toJSON(),
    anomalies: [],
    details: { window: failed.window, windowBasis: 'retry', windowReason: `the EANs that failed in ${selection.runId}${selection.includeUnavailable ? ' (fetch or covers)' : ''}`, retryFailedFrom: selection.runId, includeUnavailable: selection.includeUnavailable, movesCursor: false },
    inputs: [storage.locate(`${from.dataset}/${from.runId}`)],
  };
}

/** The window from the cursor (chooseWindow); a cursor too far behind is a configuration error naming the backfill that covers the gap. */
function planWindow(config: PlanConfig, cursor: CursorState | undefined): { window: DayWindow; basis: string; reason: string } {
  const choice = chooseWindow({
    runDate: config.window.end,
    cursor: cursor?.end,
    windowDays: config.window.days ?? 1,
    lookbackDays: config.window.lookbackDays ?? 0,
    maxCatchUpDays: config.window.maxCatchUpDays ?? Number.POSITIVE_INFINITY,
    explicitStart: config.window.start,
  });
  if (choice.kind === 'window') return choice;
  throw new ConfigError(
    `plan ${config.dataset}/${config.runId}: ${choice.reason} (--max-catch-up-days / MAX_CATCH_UP_DAYS). ` +
      `Cover the gap with a run of explicit dates (a backfill; it moves the cursor when it commits): ` +
      `titelive-etl plan --category ${config.dataset} --run-id backfill-${choice.gap.start} --min-modified-date ${choice.gap.start} --max-modified-date ${choice.gap.end} …, ` +
      `then fetch, parse, images and load with that run id (split a gap over 366 days into several runs), ` +
      `or a run of the list of EANs you hold (plan --eans-from FILE --move-cursor); ` +
      `or skip the gap knowingly with \`titelive-etl cursor --category ${config.dataset} --set ${choice.gap.end}\``,
  );
}
