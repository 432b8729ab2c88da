import { RAW_COLUMNS } from './part-schemas.js';
import { STAGE_FOLDERS } from '../stage-table.js';
import type { FetchConfig } from '../stage-configs.js';
import { requireUpstream } from '../stage-upstream.js';
import { ConfigError, StoppedError, WorkFailedError, messageOf } from '../runtime/errors.js';
import type { JobContext } from '../runtime/harness.js';
import { Tally } from '../runtime/accounting.js';
import { writeManifest, type ShardManifest } from '../runtime/manifest.js';
import { itemsTotal } from '../runtime/metrics.js';
import { chunk } from '../runtime/concurrency/batches.js';
import { forEachCompleted } from '../runtime/concurrency/for-each-completed.js';
import { PartWriter, readStageRows } from '../runtime/part-io.js';
import { Progress } from '../runtime/progress.js';
import { partPath, type RunRef } from '../runtime/run-layout.js';
import { belongsToShard } from '../runtime/sharding.js';
import { openStorage } from '../runtime/storage/open-storage.js';
import type { Category } from '../titelive/categories.js';
import type { TiteliveClient } from '../titelive/client.js';
import { articlesOf, eanOf } from '../titelive/response-shapes.js';
import { connectTitelive } from './titelive-connection.js';

export type FetchStatus = 'found' | 'deleted' | 'failed';

export interface RawRow {
  ean: string;
  base: Category;
  status: FetchStatus;
  /** The product JSON Titelive returned for this EAN, as received. */
  data: string | null;
  error: string | null;
  fetched_at: Date;
}

/**
 * Fetches this shard's EANs from /ean, at most 250 a call. EANs missing from an answer are
 * deleted in Titelive; a 404 for a batch is split in halves until each survivor is found.
 * EANs still failing after retries are written as failed, and the shard exits non-zero without
 * a manifest so that a retry of this shard redoes it.
 */
export async function runFetch(config: FetchConfig, { logger, signal }: JobContext): Promise<ShardManifest> {
  const startedAt = new Date();
  const storage = openStorage(config.dataUrl);
  const run: RunRef = { dataset: config.category, runId: config.runId };
  const planManifests = (await requireUpstream(storage, run, 'fetch')).plan!;
  const { eans, overLimit } = await shardEans(storage, planManifests, config);
  const label = `fetch ${config.category} shard ${config.shard.index + 1}/${config.shard.count}`;
  logger.info({ event: 'fetch_started', eans: eans.length }, `${label}: ${eans.length} EANs to fetch`);

  const connection = connectTitelive(config.titelive, config.shard.index, logger);
  const writer = await PartWriter.open(storage, partPath(run, STAGE_FOLDERS.fetch, config.shard), RAW_COLUMNS, { stage: 'fetch' }, 1_000);
  const progress = new Progress(logger, label, eans.length, 'EANs');
  const firstFailures: string[] = [];
  try {
    // Completion order: a batch in backoff holds one slot, and the budget goes to the others.
    await forEachCompleted(
      chunk(eans, config.batchSize),
      config.titelive.concurrency,
      (batch) => fetchBatch(connection.client, config.category, batch, signal),
      async (rows) => {
        for (const row of rows) {
          await writer.append(row as unknown as Record<string, unknown>);
          progress.add(row.status);
          itemsTotal.inc({ stage: 'fetch', outcome: row.status });
          if (row.status === 'failed' && firstFailures.length < 3) firstFailures.push(`${row.ean}: ${row.error}`);
        }
      },
      signal,
    );
  } catch (error) {
    await writer.discard();
    throw error;
  } finally {
    connection.close();
  }
  signal.throwIfAborted();
  const output = await writer.commit();
  progress.log('done');
  const counts = { found: 0, deleted: 0, failed: 0, ...progress.countsByOutcome() };
  // The shard's EANs in the plan: each fetched once (found, deleted or failed) or past --limit.
  const accounting = new Tally('EANs', ['found', 'deleted', 'failed', 'over_limit']);
  for (const ending of ['found', 'deleted', 'failed'] as const) accounting.readAndEnd(ending, counts[ending]);
  accounting.readAndEnd('over_limit', overLimit);
  if (counts.failed > 0) {
    throw new WorkFailedError(
      `${label}: ${counts.failed} of ${eans.length} EANs failed after retries (${firstFailures.join('; ')}); ` +
        `their rows are in ${storage.locate(output.path)} but no manifest was written — rerun this shard`,
    );
  }
  return writeManifest(storage, {
    stage: STAGE_FOLDERS.fetch,
    dataset: config.category,
    runId: config.runId,
    shardIndex: config.shard.index,
    shardCount: config.shard.count,
    inputs: planManifests.flatMap((manifest) => manifest.outputs.map((file) => file.path)),
    outputs: [output],
    counts,
    accounting: accounting.toJSON(),
    anomalies: [],
    details: { limit: config.limit ?? null, eans: eans.length, batchSize: config.batchSize },
    startedAt,
  });
}

/** This shard's EANs from the plan, by the shard assignment function, sorted and capped by --limit. */
async function shardEans(storage: ReturnType<typeof openStorage>, planManifests: ShardManifest[], config: FetchConfig): Promise<{ eans: string[]; overLimit: number }> {
  const mine = new Set<string>();
  for await (const row of readStageRows(storage, planManifests, { columns: ['ean'] })) {
    const ean = String(row.ean);
    if (belongsToShard(ean, config.shard)) mine.add(ean);
  }
  const sorted = [...mine].sort();
  const eans = config.limit === undefined ? sorted : sorted.slice(0, config.limit);
  return { eans, overLimit: sorted.length - eans.length };
}

/** One /ean call's worth of EANs → one row per EAN, in the batch's order. */
export async function fetchBatch(client: TiteliveClient, category: Category, eans: string[], signal?: AbortSignal): Promise<RawRow[]> {
  const found = await findProducts(client, category, eans, signal);
  const fetchedAt = new Date();
  return eans.map((ean) => {
    const outcome = found.get(ean);
    if (outcome === undefined) return { ean, base: category, status: 'deleted', data: null, error: null, fetched_at: fetchedAt };
    if (outcome.error !== undefined) return { ean, base: category, status: 'failed', data: null, error: outcome.error, fetched_at: fetchedAt };
    return { ean, base: category, status: 'found', data: outcome.data, error: null, fetched_at: fetchedAt };
  });
}

type Outcome = { data: string; error?: undefined } | { error: string; data?: undefined };

async function findProducts(client: TiteliveClient, category: Category, eans: string[], signal?: AbortSignal): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  let lookup;
  try {
    lookup = await client.lookupEans(category, eans, signal);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StoppedError || signal?.aborted) throw signal?.reason ?? error;
    for (const ean of eans) outcomes.set(ean, { error: messageOf(error) });
    return outcomes;
  }
  if (lookup.status === 'not_found') {
    if (eans.length === 1) return outcomes;
    // A 404 may hide survivors (some servers answer 404 when any EAN is unknown): split to find them.
    const middle = Math.ceil(eans.length / 2);
    const halves = await Promise.all([
      findProducts(client, category, eans.slice(0, middle), signal),
      findProducts(client, category, eans.slice(middle), signal),
    ]);
    return new Map([...halves[0], ...halves[1]]);
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
