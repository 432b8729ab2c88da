import { addDays } from '../runtime/calendar.js';
import { forEachCompleted } from '../runtime/concurrency/for-each-completed.js';
import { WorkFailedError } from '../runtime/errors.js';
import type { DayListing, DayRequest } from '../source.js';
import { keepArticle } from './article-filter.js';
import { parseCategory } from './categories.js';
import { SEARCH_RESULT_CAP, SearchCapError, lastSearchPage, type TiteliveClient } from './client.js';
import { articlesOf, eanOf, type TiteliveProduct } from './response-shapes.js';

const PER_PAGE = 120;

interface DayResult {
  total: number;
  products: TiteliveProduct[];
  /** Pages read. */
  pages: number;
  /** The first page the API refused as past its cap, if any. */
  capRefusedAt?: number;
  requests: number;
}

/**
 * One day of plan: Titelive's search for the products modified that day (dateminm = D,
 * datemaxm = D+1), each article with its EAN and whether it is in the window. A day with more
 * results than the API pages through fails unless allowPartial, which keeps what it serves and
 * records the day as an anomaly.
 */
export async function listDay(client: TiteliveClient, request: DayRequest): Promise<DayListing> {
  const result = await searchDay(client, request);
  const { day, dataset, logger } = request;
  const anomalies: Array<Record<string, unknown>> = [];
  if (result.total > SEARCH_RESULT_CAP || result.capRefusedAt !== undefined) {
    const missed = result.total - result.products.length;
    anomalies.push({ type: 'day_over_cap', day, total: result.total, cap: SEARCH_RESULT_CAP, kept: result.products.length, missed, pages: result.pages, ...(result.capRefusedAt === undefined ? {} : { refusedPage: result.capRefusedAt }) });
    logger.error(
      { event: 'anomaly', anomaly: 'day_over_cap', day, total: result.total, cap: SEARCH_RESULT_CAP, kept: result.products.length, missed, pages: result.pages },
      `plan: ${day} has ${result.total} ${dataset} results but the API pages through ${SEARCH_RESULT_CAP} only (${result.pages} pages of ${PER_PAGE}): ${missed} products of that day are not in this plan`,
    );
  }
  const capped = result.total > SEARCH_RESULT_CAP || result.capRefusedAt !== undefined ? { total: result.total, kept: result.products.length } : undefined;
  const items = result.products.flatMap((product) => articlesOf(product).map((article) => ({ key: eanOf(article), inWindow: keepArticle(article, request.windowStart) })));
  return { total: result.total, products: result.products.length, items, requests: result.requests, anomalies, ...(capped ? { capped } : {}) };
}

/**
 * The pages of one day's search up to the last one the API serves, in page order; requests
 * overlap up to the concurrency, in completion order. A 400 naming the cap ends the paging
 * there (with allowPartial; it fails the plan otherwise).
 */
async function searchDay(client: TiteliveClient, { dataset, day, allowPartial, concurrency, signal }: DayRequest): Promise<DayResult> {
  const category = parseCategory(dataset)!;
  const nextDay = addDays(day, 1);
  let requests = 0;
  const search = (page: number) => {
    requests += 1;
    return client.search({ category, day, nextDay, page, perPage: PER_PAGE, signal });
  };
  const overCap = (total: number, refusedPage?: number) =>
    new WorkFailedError(
      `plan: ${day} has ${total} ${dataset} results but ` +
        (refusedPage === undefined ? `the API pages through ${SEARCH_RESULT_CAP} only` : `the API refused page ${refusedPage} as past its result cap`) +
        '; the plan would miss products — rerun with --allow-partial to accept that (the day is recorded as an anomaly), and refresh that day another way',
    );
  const first = await search(1);
  // Fail at once: the rest of the window would be spent for a plan that cannot be used.
  if (first.total > SEARCH_RESULT_CAP && !allowPartial) throw overCap(first.total);
  const last = lastSearchPage(first.total, PER_PAGE);
  const rest = Array.from({ length: Math.max(0, last - 1) }, (_, i) => i + 2);
  const pages = new Map<number, TiteliveProduct[]>([[1, first.products]]);
  // Past an empty page or a refused one, later pages are not asked for.
  let endOfPaging = first.products.length === 0 ? 1 : Infinity;
  let capRefusedAt: number | undefined;
  await forEachCompleted(
    rest,
    concurrency,
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
  if (capRefusedAt !== undefined && !allowPartial) throw overCap(first.total, capRefusedAt);
  const products = [...pages.entries()].filter(([page]) => page <= endOfPaging).sort((a, b) => a[0] - b[0]).flatMap(([, list]) => list);
  const servedPages = Math.min(last, endOfPaging);
  return { total: first.total, products, pages: servedPages, requests, ...(capRefusedAt === undefined ? {} : { capRefusedAt }) };
}
