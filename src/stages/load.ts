import type { LoadConfig } from '../stage-configs.js';
import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import { startShard } from '../stage-upstream.js';
import { WorkFailedError } from '../runtime/errors.js';
import type { JobContext } from '../runtime/harness.js';
import { Tally } from '../runtime/accounting.js';
import { manifestRows, writeManifest, type ShardManifest } from '../runtime/manifest.js';
import { itemsTotal, mongodbWritesTotal } from '../runtime/metrics.js';
import { KeySet } from '../runtime/key-set.js';
import { MongoConnection } from '../runtime/mongo.js';
import { batches } from '../runtime/concurrency/batches.js';
import { forEachCompleted } from '../runtime/concurrency/for-each-completed.js';
import { readStageRows } from '../runtime/part-io.js';
import { Progress } from '../runtime/progress.js';
import { belongsToShard } from '../runtime/sharding.js';
import { contentHash } from '../runtime/content-hash.js';
import { sourceOf } from '../sources.js';
import { imagesColumns } from './part-schemas.js';
import { bulkWrite, prepareCollection, type StoredDocument, type WriteOutcome } from './load-collection.js';
import { StoredStates } from './stored-states.js';
import { STAGE_FOLDERS } from '../stage-table.js';


export type { LoadConfig } from '../stage-configs.js';

/** Bulk writes in flight per shard. */
const WRITES_IN_FLIGHT = 2;


type Counts = Record<WriteOutcome, number>;

/**
 * Upserts this shard's articles (by EAN, the assignment function) into MongoDB: one document
 * per EAN, written only when its content hash changed; EANs fetch found deleted are marked
 * deleted, not removed. A rerun of the same run writes nothing.
 */
export async function runLoad(config: LoadConfig, { logger, signal }: JobContext): Promise<ShardManifest> {
  const { startedAt, storage, upstream, label } = await startShard(config, 'load');
  const fetchManifests = upstream.fetch!;
  const productManifests = upstream.parse!;
  const imageManifests = upstream.images!;
  const mine = (ean: unknown) => belongsToShard(String(ean), config.shard);

  const images = new Map<string, Record<string, unknown>>();
  const facet = await sourceOf(config.dataset).products();
  const key = facet.keyColumn;
  for await (const row of readStageRows(storage, imageManifests, { columns: imagesColumns(facet.imageSides).map((column) => column.name) })) if (mine(row.ean)) images.set(String(row.ean), row);
  const deleted: string[] = [];
  for await (const row of readStageRows(storage, fetchManifests, { columns: ['ean', 'status'] })) if (row.status === 'deleted' && mine(row.ean)) deleted.push(String(row.ean));
  const total = productManifests.reduce((sum, manifest) => sum + manifestRows(manifest), 0);

  // Every round trip bounded (a bulk write, a lookup, each batch of a scan): a server that stops answering is a transient failure, not a pod held for hours.
  const connection = await MongoConnection.connect(config.mongodbUri, config.timeoutMs === undefined ? {} : { socketTimeoutMS: config.timeoutMs });
  let states: StoredStates;
  const counts: Counts = { inserted: 0, updated: 0, unchanged: 0, deleted: 0, rejected: 0 };
  const rejections: Array<{ ean: string; reason: string }> = [];
  // The shard's products rows and deleted EANs, each ending in one write outcome; rejected ones named.
  const documents = new Tally('documents', ['inserted', 'updated', 'unchanged', 'deleted', 'rejected']);
  const progress = new Progress(logger, label, total + deleted.length, 'documents');
  try {
    const collection = await prepareCollection(connection.client.db(config.database), config.collection, { schema: facet.documentSchema, indexes: facet.documentIndexes }, logger, label);
    const wanted = new KeySet();
    for (const ean of deleted) wanted.add(ean);
    for await (const row of readStageRows(storage, productManifests, { columns: [key] })) if (mine(row[key])) wanted.add(String(row[key]));
    states = await StoredStates.open(collection, wanted);
    logger.info({ event: 'stored_state', mode: states.mode, documents: wanted.size }, `${label}: ${wanted.size} documents to compare, stored state read by ${states.mode === 'scan' ? 'one scan of the collection' : '_id lookups per batch'}`);
    async function* myRows() {
      for await (const row of readStageRows(storage, productManifests, { columns: facet.columns.map((column) => column.name) })) {
        if (mine(row[key])) {
          documents.add();
          yield row;
        } else progress.add('other_shards');
      }
    }
    const outcome = (kind: keyof Counts, ean?: string, reason?: string) => {
      counts[kind] += 1;
      documents.end(kind, 1, kind === 'rejected' ? ean : undefined);
      progress.add(kind);
      itemsTotal.inc({ stage: 'load', outcome: kind });
      if (kind !== 'unchanged') mongodbWritesTotal.inc({ outcome: kind });
      if (kind === 'rejected' && ean) {
        if (rejections.length < 20) rejections.push({ ean, reason: reason ?? 'rejected' });
        logger.warn({ event: 'document_rejected', ean, reason }, `${label}: the server rejected ${ean}: ${reason}`);
      }
    };
    // Two batches at once: the next one is read, built and hashed while the server writes one.
    // Shards and batches hold distinct EANs, so the order of writes does not matter.
    await forEachCompleted(
      batches(myRows(), config.batchSize),
      WRITES_IN_FLIGHT,
      (batch) => upsertBatch(collection, batch, config, outcome),
      () => undefined,
      signal,
    );
    documents.add(deleted.length);
    for (let i = 0; i < deleted.length; i += config.batchSize) {
      signal.throwIfAborted();
      await markDeleted(collection, deleted.slice(i, i + config.batchSize), config, outcome);
    }
  } catch (error) {
    // Driver messages can quote the connection string: never let one through unredacted.
    if (signal.aborted) throw signal.reason;
    throw connection.redact(error);
  } finally {
    await connection.close();
  }
  progress.log('done');
  // Over the shard's documents, written or not: a rerun that writes only what was rejected is judged as the first run.
  const shardDocuments = counts.inserted + counts.updated + counts.unchanged + counts.deleted + counts.rejected;
  if (shardDocuments > 0 && counts.rejected / shardDocuments > config.maxFailureRatio) {
    throw new WorkFailedError(
      `${label}: the server rejected ${counts.rejected} of the shard's ${shardDocuments} documents (> --max-failure-ratio ${config.maxFailureRatio}), e.g. ` +
        `${rejections.slice(0, 3).map((rejection) => `${rejection.ean}: ${rejection.reason}`).join('; ')}; no manifest was written — fix and rerun this shard`,
    );
  }
  return writeManifest(storage, {
    stage: STAGE_FOLDERS.load,
    dataset: config.dataset,
    runId: config.runId,
    shardIndex: config.shard.index,
    shardCount: config.shard.count,
    inputs: [...productManifests, ...imageManifests, ...fetchManifests].flatMap((manifest) => manifest.outputs.map((file) => file.path)),
    outputs: [],
    counts,
    accounting: documents.toJSON(),
    anomalies: rejections.map((rejection) => ({ type: 'rejected', ...rejection })),
    details: { database: config.database, collection: config.collection, batchSize: config.batchSize },
    startedAt,
  });

  /** One batch of products: compare hashes with what is stored, then insert or replace what changed. */
  async function upsertBatch(collection: Collection<StoredDocument>, rows: Array<Record<string, unknown>>, settings: LoadConfig, outcome: (kind: keyof Counts, ean?: string, reason?: string) => void): Promise<void> {
    const contents = rows.map((row) => facet.document(row, settings.dataset, images.get(String(row[key]))));
    const stored = await states.get(contents.map((content) => content._id));
    const now = new Date();
    const operations: AnyBulkWriteOperation<StoredDocument>[] = [];
    const kinds: Array<'inserted' | 'updated'> = [];
    const eans: string[] = [];
    for (const content of contents) {
      const hash = contentHash(content);
      const previous = stored.get(content._id);
      if (previous && previous.contentHash === hash && !previous.deletedAt) {
        outcome('unchanged');
        continue;
      }
      const document = { ...content, status: 'active', deletedAt: null, contentHash: hash, firstSeenRunId: previous?.firstSeenRunId ?? settings.runId, lastChangedRunId: settings.runId, updatedAt: now };
      operations.push(previous ? { replaceOne: { filter: { _id: content._id }, replacement: document } } : { insertOne: { document } });
      kinds.push(previous ? 'updated' : 'inserted');
      eans.push(content._id);
    }
    await bulkWrite(collection, operations, kinds, eans, outcome);
  }

  /** EANs the source reports deleted: marked (once), never removed. */
  async function markDeleted(collection: Collection<StoredDocument>, eans: string[], settings: LoadConfig, outcome: (kind: keyof Counts, ean?: string, reason?: string) => void): Promise<void> {
    const stored = await states.get(eans);
    const now = new Date();
    const operations: AnyBulkWriteOperation<StoredDocument>[] = [];
    const targets: string[] = [];
    for (const ean of eans) {
      const previous = stored.get(ean);
      if (!previous || previous.deletedAt) {
        outcome('unchanged');
        continue;
      }
      operations.push({ updateOne: { filter: { _id: ean }, update: { $set: { status: facet.deletedStatus, deletedAt: now, lastChangedRunId: settings.runId, updatedAt: now } } } });
      targets.push(ean);
    }
    await bulkWrite(collection, operations, targets.map(() => 'deleted'), targets, outcome);
  }
}
