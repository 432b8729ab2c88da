import { ConfigError, StoppedError, messageOf } from '../runtime/errors.js';
import { HttpRequestError } from '../runtime/http/http-client.js';
import type { FetchedItem } from '../source.js';
import type { TiteliveClient } from './client.js';
import { parseCategory } from './categories.js';
import { articlesOf, eanOf } from './response-shapes.js';

/**
 * One /ean call's worth of EANs → one item per EAN, in the batch's order. EANs missing from an
 * answer are deleted in Titelive; a 404 for a batch is split in halves until each survivor is
 * found, and so is a batch answered 500 after retries (one EAN's content can cause it); an EAN
 * whose call failed after retries is failed.
 */
export async function fetchBatch(client: TiteliveClient, dataset: string, eans: string[], signal?: AbortSignal): Promise<FetchedItem[]> {
  const category = parseCategory(dataset)!;
  const found = await findProducts(client, category, eans, signal);
  return eans.map((ean): FetchedItem => {
    const outcome = found.get(ean);
    if (outcome === undefined) return { key: ean, status: 'deleted' };
    if (outcome.error !== undefined) return { key: ean, status: 'failed', error: outcome.error };
    return { key: ean, status: 'found', data: outcome.data };
  });
}

type Outcome = { data: string; error?: undefined } | { error: string; data?: undefined };

/**
 * Attempts for each half of a batch answered 500 after all its retries: the whole batch has
 * shown the 500 is not passing, so halving it down to the EAN behind it retries each half less.
 */
const SPLIT_500_ATTEMPTS = 2;

async function findProducts(client: TiteliveClient, category: Parameters<TiteliveClient['lookupEans']>[0], eans: string[], signal?: AbortSignal, maxAttempts?: number): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  let lookup;
  try {
    lookup = await client.lookupEans(category, eans, signal, maxAttempts);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StoppedError || signal?.aborted) throw signal?.reason ?? error;
    // A 500 that outlived the retries may come from one EAN's content: halves isolate it, so it fails alone.
    if (eans.length > 1 && error instanceof HttpRequestError && error.statusCode === 500) return splitLookup(client, category, eans, signal, SPLIT_500_ATTEMPTS);
    for (const ean of eans) outcomes.set(ean, { error: messageOf(error) });
    return outcomes;
  }
  if (lookup.status === 'not_found') {
    if (eans.length === 1) return outcomes;
    // A 404 may hide survivors (some servers answer 404 when any EAN is unknown): split to find them.
    return splitLookup(client, category, eans, signal, maxAttempts);
  }
  const wanted = new Set(eans);
  for (const product of lookup.products) {
    const data = JSON.stringify(product);
    for (const article of articlesOf(product)) {
      const ean = eanOf(article);
      if (ean !== undefined && wanted.has(ean) && !outcomes.has(ean)) outcomes.set(ean, { data });
    }
  }
  return outcomes;
}

async function splitLookup(client: TiteliveClient, category: Parameters<TiteliveClient['lookupEans']>[0], eans: string[], signal?: AbortSignal, maxAttempts?: number): Promise<Map<string, Outcome>> {
  const middle = Math.ceil(eans.length / 2);
  const halves = await Promise.all([findProducts(client, category, eans.slice(0, middle), signal, maxAttempts), findProducts(client, category, eans.slice(middle), signal, maxAttempts)]);
  return new Map([...halves[0], ...halves[1]]);
}
