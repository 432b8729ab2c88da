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

/**
 * Lists the window one day at a time from the dataset's source and writes the list of keys
 * (EANs) to fetch, each once, with the first day it was seen on. A day with none is recorded
 * and logged; what else a day may hold (Titelive: more results than its API pages through) is
 * the source's to report.
 */
export async function runPlan(config: PlanConfig, { logger, signal }: JobContext): Promise<ShardManifest> {
  const startedAt = new Date();
  const storage = openStorage(config.dataUrl);
  const run: RunRef = { dataset: config.dataset, runId: config.runId };
  const connection = await sourceOf(config.dataset).connect(config.titelive, 0, logger);
  const planned = new Map<string, string>();
  const counts = { planned: 0, duplicate: 0, filtered_old: 0, no_ean: 0, over_limit: 0, products: 0, search_requests: 0 };
  // Every article of every product the search returned, and why it is planned or not.
  const articles = new Tally('articles', ['planned', 'duplicate', 'filtered_old', 'no_ean', 'over_limit']);
  const anomalies: Array<Record<string, unknown>> = [];
  const days = daysBetween(config.window.start, config.window.end);
  logger.info({ event: 'plan_started', window: config.window, days: days.length }, `plan: searching ${config.dataset} from ${config.window.start} to ${config.window.end} (${days.length} days)`);
  try {
    for (const day of days) {
      if (config.limit !== undefined && planned.size >= config.limit) break;
      signal.throwIfAborted();
      const result = await connection.listDay({ dataset: config.dataset, day, windowStart: config.window.start, allowPartial: config.allowPartial, concurrency: config.titelive.concurrency, signal, logger });
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
    details: { window: config.window, days: days.length, limit: config.limit ?? null, allowPartial: config.allowPartial },
    startedAt,
  });
}
