import { PLAN_COLUMNS } from './part-schemas.js';
import { STAGE_FOLDERS } from '../stage-table.js';
import type { PlanConfig } from '../stage-configs.js';
import { addDays, daysBetween } from '../runtime/calendar.js';
import { WorkFailedError } from '../runtime/errors.js';
import type { JobContext } from '../runtime/harness.js';
import { Tally } from '../runtime/accounting.js';
import { writeManifest, type ShardManifest } from '../runtime/manifest.js';
import { itemsTotal, planAnomaliesTotal, planDayOverCapProducts } from '../runtime/metrics.js';
import { forEachCompleted } from '../runtime/concurrency/for-each-completed.js';
import { PartWriter } from '../runtime/part-io.js';
import { partPath, type RunRef } from '../runtime/run-layout.js';
import { openStorage } from '../runtime/storage/open-storage.js';
import { keepArticle } from '../titelive/article-filter.js';
import { SEARCH_RESULT_CAP, SearchCapError, lastSearchPage } from '../titelive/client.js';
import { articlesOf, eanOf, type TiteliveProduct } from '../titelive/response-shapes.js';
import { connectTitelive } from './titelive-connection.js';

const PER_PAGE = 120;

interface DayResult {
  day: string;
  total: number;
  products: TiteliveProduct[];
  /** Pages read. */
  pages: number;
  /** The first page the API refused as past its cap, if any. */
  capRefusedAt?: number;
}

/**
 * Searches the window one day at a time (dateminm = D, datemaxm = D+1) and writes the list of
 * EANs to fetch, each once, with the first day it was seen on. A day with more results than the
 * API pages through is an anomaly that fails the plan unless --allow-partial; a day with none is
 * recorded and logged.
 */
export async function runPlan(config: PlanConfig, { logger, signal }: JobContext): Promise<ShardManifest> {
  const startedAt = new Date();
  const storage = openStorage(config.dataUrl);
  const run: RunRef = { dataset: config.category, runId: config.runId };
  const connection = connectTitelive(config.titelive, 0, logger);
  const planned = new Map<string, string>();
  const counts = { planned: 0, duplicate: 0, filtered_old: 0, no_ean: 0, over_limit: 0, products: 0, search_requests: 0 };
  // Every article of every product the search returned, and why it is planned or not.
  const articles = new Tally('articles', ['planned', 'duplicate', 'filtered_old', 'no_ean', 'over_limit']);
  const anomalies: Array<Record<string, unknown>> = [];
  const days = daysBetween(config.window.start, config.window.end);
  logger.info({ event: 'plan_started', window: config.window, days: days.length }, `plan: searching ${config.category} from ${config.window.start} to ${config.window.end} (${days.length} days)`);
  try {
    for (const day of days) {
      if (config.limit !== undefined && planned.size >= config.limit) break;
      signal.throwIfAborted();
      const result = await searchDay(config, connection.client, day, signal, () => (counts.search_requests += 1));
      counts.products += result.products.length;
      if (result.total === 0) {
        anomalies.push({ type: 'zero_result_day', day });
        logger.warn({ event: 'anomaly', anomaly: 'zero_result_day', day }, `plan: no ${config.category} product modified on ${day} — check the API if that is unexpected`);
      }
      if (result.total > SEARCH_RESULT_CAP || result.capRefusedAt !== undefined) {
        const missed = result.total - result.products.length;
        anomalies.push({ type: 'day_over_cap', day, total: result.total, cap: SEARCH_RESULT_CAP, kept: result.products.length, missed, pages: result.pages, ...(result.capRefusedAt === undefined ? {} : { refusedPage: result.capRefusedAt }) });
        planDayOverCapProducts.set({ day, count: 'total' }, result.total);
        planDayOverCapProducts.set({ day, count: 'kept' }, result.products.length);
        logger.error(
          { event: 'anomaly', anomaly: 'day_over_cap', day, total: result.total, cap: SEARCH_RESULT_CAP, kept: result.products.length, missed, pages: result.pages },
          `plan: ${day} has ${result.total} ${config.category} results but the API pages through ${SEARCH_RESULT_CAP} only (${result.pages} pages of ${PER_PAGE}): ${missed} products of that day are not in this plan`,
        );
      }
      for (const product of result.products) {
        for (const article of articlesOf(product)) {
          const ean = eanOf(article);
          const ending = ean === undefined ? 'no_ean' : !keepArticle(article, config.window.start) ? 'filtered_old' : planned.has(ean) ? 'duplicate' : config.limit !== undefined && planned.size >= config.limit ? 'over_limit' : 'planned';
          if (ending === 'planned') planned.set(ean!, day);
          else counts[ending] += 1;
          articles.readAndEnd(ending);
        }
      }
      logger.info({ event: 'plan_day', day, total: result.total, planned: planned.size }, `plan: ${day}: ${result.total} products, ${planned.size} EANs planned so far`);
    }
  } finally {
    connection.close();
  }

  signal.throwIfAborted();

  const writer = await PartWriter.open(storage, partPath(run, STAGE_FOLDERS.plan, { index: 0, count: 1 }), PLAN_COLUMNS, { stage: 'plan' });
  try {
    for (const ean of [...planned.keys()].sort()) await writer.append({ ean, base: config.category, day: planned.get(ean) });
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
    dataset: config.category,
    runId: config.runId,
    shardIndex: 0,
    shardCount: 1,
    inputs: [`${config.titelive.apiUrl}/search`],
    outputs: [output],
    counts,
    accounting: articles.toJSON(),
    anomalies,
    details: { window: config.window, days: days.length, limit: config.limit ?? null, allowPartial: config.allowPartial },
    startedAt,
  });
}

/**
 * The pages of one day's search up to the last one the API serves, in page order; requests
 * overlap up to the concurrency, in completion order. A 400 naming the cap ends the paging
 * there (with --allow-partial; it fails the plan otherwise).
 */
async function searchDay(
  config: PlanConfig,
  client: ReturnType<typeof connectTitelive>['client'],
  day: string,
  signal: AbortSignal,
  onRequest: () => void,
): Promise<DayResult> {
  const nextDay = addDays(day, 1);
  const search = (page: number) => {
    onRequest();
    return client.search({ category: config.category, day, nextDay, page, perPage: PER_PAGE, signal });
  };
  const overCap = (total: number, refusedPage?: number) =>
    new WorkFailedError(
      `plan: ${day} has ${total} ${config.category} results but ` +
        (refusedPage === undefined ? `the API pages through ${SEARCH_RESULT_CAP} only` : `the API refused page ${refusedPage} as past its result cap`) +
        '; the plan would miss products — rerun with --allow-partial to accept that (the day is recorded as an anomaly), and refresh that day another way',
    );
  const first = await search(1);
  // Fail at once: the rest of the window would be spent for a plan that cannot be used.
  if (first.total > SEARCH_RESULT_CAP && !config.allowPartial) throw overCap(first.total);
  const last = lastSearchPage(first.total, PER_PAGE);
  const rest = Array.from({ length: Math.max(0, last - 1) }, (_, i) => i + 2);
  const pages = new Map<number, TiteliveProduct[]>([[1, first.products]]);
  // Past an empty page or a refused one, later pages are not asked for.
  let endOfPaging = first.products.length === 0 ? 1 : Infinity;
  let capRefusedAt: number | undefined;
  await forEachCompleted(
    rest,
    config.titelive.concurrency,
    async (page) => {
      if (page > endOfPaging) return [];
      try {
        return (await search(page)).products;
      } catch (error) {
        if (!(error instanceof SearchCapError)) throw error;
        // Pages end in completion order: the failure (below) names the first page refused, whichever ended first.
        capRefusedAt = Math.min(capRefusedAt ?? Infinity, page);
        endOfPaging = Math.min(endOfPaging, page - 1);
        return [];
      }
    },
    (products, page) => {
      if (products.length === 0) endOfPaging = Math.min(endOfPaging, page);
      pages.set(page, products);
    },
    signal,
  );
  if (capRefusedAt !== undefined && !config.allowPartial) throw overCap(first.total, capRefusedAt);
  const products = [...pages.entries()].filter(([page]) => page <= endOfPaging).sort((a, b) => a[0] - b[0]).flatMap(([, list]) => list);
  const servedPages = Math.min(last, endOfPaging);
  return { day, total: first.total, products, pages: servedPages, ...(capRefusedAt === undefined ? {} : { capRefusedAt }) };
}
