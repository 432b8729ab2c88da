import { PLAN_COLUMNS } from './part-schemas.js';
import { STAGE_FOLDERS } from '../stage-table.js';
import type { PlanConfig } from '../stage-configs.js';
import { daysBetween } from '../runtime/calendar.js';
import type { JobContext } from '../runtime/harness.js';
import { itemsTotal, planAnomaliesTotal, planDayOverCapProducts } from '../runtime/metrics.js';
import { sourceOf } from '../sources.js';
import { Tally } from '../runtime/accounting.js';
import { writeManifest, type ShardManifest } from '../runtime/manifest.js';
import { PartWriter } from '../runtime/part-io.js';
import { partPath, type RunRef } from '../runtime/run-layout.js';
import { openStorage } from '../runtime/storage/open-storage.js';
import { chooseWindow, type DayWindow } from '../runtime/choose-window.js';
import { readCursor, type CursorState } from '../runtime/cursor.js';
import { ConfigError } from '../runtime/errors.js';

/**
 * Lists the window one day at a time from the dataset's source and writes the list of keys
 * (EANs) to fetch, each once, with the first day it was seen on, then the keys the cursor
 * carries from earlier runs. The window comes from the dataset's cursor (chooseWindow) unless
 * the dates are explicit. A day with none is recorded and logged; what else a day may hold
 * (Titelive: more results than its API pages through) is the source's to report.
 */
export async function runPlan(config: PlanConfig, { logger, signal }: JobContext): Promise<ShardManifest> {
  const startedAt = new Date();
  const storage = openStorage(config.dataUrl);
  const run: RunRef = { dataset: config.dataset, runId: config.runId };
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

  signal.throwIfAborted();

  const writer = await PartWriter.open(storage, partPath(run, STAGE_FOLDERS.plan, { index: 0, count: 1 }), PLAN_COLUMNS, { stage: 'plan' });
  try {
    for (const ean of [...planned.keys()].sort()) await writer.append({ ean, base: config.dataset, day: planned.get(ean) });
  } catch (error) {
    await writer.discard();
    throw error;
  }
  const output = await writer.commit();
  counts.planned = planned.size;
  for (const [outcome, count] of Object.entries(counts)) itemsTotal.inc({ stage: 'plan', outcome }, count);
  for (const anomaly of anomalies) planAnomaliesTotal.inc({ kind: String(anomaly.type) });
  signal.throwIfAborted();
  return writeManifest(storage, {
    stage: STAGE_FOLDERS.plan,
    dataset: config.dataset,
    runId: config.runId,
    shardIndex: 0,
    shardCount: 1,
    inputs: [connection.origin],
    outputs: [output],
    counts,
    accounting: articles.toJSON(),
    anomalies,
    details: { window, windowBasis: choice.basis, windowReason: choice.reason, cursor: cursor?.end ?? null, carried: counts.carried, days: days.length, limit: config.limit ?? null, allowPartial: config.allowPartial },
    startedAt,
  });
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
      `then fetch, parse, images and load with that run id (split a gap over 366 days into several runs); ` +
      `or skip the gap knowingly with \`titelive-etl cursor --category ${config.dataset} --set ${choice.gap.end}\``,
  );
}
