import { RAW_COLUMNS } from './part-schemas.js';
import { STAGE_FOLDERS } from '../stage-table.js';
import type { FetchConfig } from '../stage-configs.js';
import { startShard } from '../stage-upstream.js';
import { WorkFailedError } from '../runtime/errors.js';
import { withinFailureBudget } from '../runtime/within-failure-budget.js';
import type { JobContext } from '../runtime/harness.js';
import { Tally } from '../runtime/accounting.js';
import { writeManifest, type ShardManifest } from '../runtime/manifest.js';
import { itemsTotal } from '../runtime/metrics.js';
import { chunk } from '../runtime/concurrency/batches.js';
import { forEachCompleted } from '../runtime/concurrency/for-each-completed.js';
import { PartWriter, readStageRows } from '../runtime/part-io.js';
import { Progress } from '../runtime/progress.js';
import { partPath } from '../runtime/run-layout.js';
import { belongsToShard } from '../runtime/sharding.js';
import { openStorage } from '../runtime/storage/open-storage.js';
import { sourceOf } from '../sources.js';
import type { FetchedItem } from '../source.js';

export type FetchStatus = 'found' | 'deleted' | 'failed';

export interface RawRow {
  ean: string;
  base: string;
  status: FetchStatus;
  /** The product JSON the source returned for this EAN, as received. */
  data: string | null;
  error: string | null;
  fetched_at: Date;
}

/**
 * Fetches this shard's EANs from the dataset's source, --batch-size a call: each is found,
 * deleted (the source no longer has it) or failed. EANs still failing after retries are written
 * as failed; within --max-failure-ratio the shard completes and the run, once committed, carries
 * them to the next runs; past it the shard exits non-zero without a manifest so that a retry
 * of this shard redoes it (an outage fails the run rather than carrying the whole day).
 */
export async function runFetch(config: FetchConfig, { logger, signal }: JobContext): Promise<ShardManifest> {
  const { startedAt, storage, run, upstream, label } = await startShard(config, 'fetch');
  const planManifests = upstream.plan!;
  const { eans, overLimit } = await shardEans(storage, planManifests, config);
  logger.info({ event: 'fetch_started', eans: eans.length }, `${label}: ${eans.length} EANs to fetch`);

  const connection = await sourceOf(config.dataset).connect(config.titelive, config.shard.index, logger);
  const writer = await PartWriter.open(storage, partPath(run, STAGE_FOLDERS.fetch, config.shard), RAW_COLUMNS, { stage: 'fetch' }, 1_000);
  const progress = new Progress(logger, label, eans.length, 'EANs');
  const firstFailures: string[] = [];
  const failures: string[] = [];
  try {
    // Completion order: a batch in backoff holds one slot, and the budget goes to the others.
    await forEachCompleted(
      chunk(eans, config.batchSize),
      config.titelive.concurrency,
      async (batch) => rawRows(config.dataset, await connection.fetchBatch(config.dataset, batch, signal)),
      async (rows) => {
        for (const row of rows) {
          await writer.append(row as unknown as Record<string, unknown>);
          progress.add(row.status);
          itemsTotal.inc({ stage: 'fetch', outcome: row.status });
          if (row.status === 'failed') {
            failures.push(row.ean);
            if (firstFailures.length < 3) firstFailures.push(`${row.ean}: ${row.error}`);
          }
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
  for (const ending of ['found', 'deleted'] as const) accounting.readAndEnd(ending, counts[ending]);
  for (const failure of failures) accounting.readAndEnd('failed', 1, failure);
  accounting.readAndEnd('over_limit', overLimit);
  const maxFailureRatio = config.maxFailureRatio ?? 0;
  if (!withinFailureBudget(counts.failed, eans.length, maxFailureRatio)) {
    throw new WorkFailedError(
      `${label}: ${counts.failed} of ${eans.length} EANs failed after retries (${firstFailures.join('; ')}), more than --max-failure-ratio ${maxFailureRatio} allows; ` +
        `their rows are in ${storage.locate(output.path)} but no manifest was written — rerun this shard`,
    );
  }
  if (counts.failed > 0) {
    logger.warn({ event: 'failures_carried', failed: counts.failed, examples: firstFailures }, `${label}: ${counts.failed} of ${eans.length} EANs failed after retries (${firstFailures.join('; ')}); within --max-failure-ratio ${maxFailureRatio}: the shard completes and the next runs plan them again`);
  }
  return writeManifest(storage, {
    stage: STAGE_FOLDERS.fetch,
    dataset: config.dataset,
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

/** A batch's items as raw rows, all stamped with the time the batch came back. */
function rawRows(dataset: string, items: FetchedItem[]): RawRow[] {
  const fetchedAt = new Date();
  return items.map((item) => ({
    ean: item.key,
    base: dataset,
    status: item.status,
    data: item.status === 'found' ? item.data : null,
    error: item.status === 'failed' ? item.error : null,
    fetched_at: fetchedAt,
  }));
}
