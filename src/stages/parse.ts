import path from 'node:path';
import type { Logger } from 'pino';
import { requireStageComplete } from '../runtime/completion.js';
import { ConfigError } from '../runtime/errors.js';
import type { JobContext } from '../runtime/harness.js';
import { writeManifest, type ShardManifest } from '../runtime/manifest.js';
import { itemsTotal } from '../runtime/metrics.js';
import { PartWriter, readStageRows, readStoredRows } from '../runtime/part-io.js';
import { Progress } from '../runtime/progress.js';
import { partPath, type RunRef } from '../runtime/run-layout.js';
import { belongsToShard, type Shard } from '../runtime/sharding.js';
import { openStorage } from '../runtime/storage/open-storage.js';
import type { Category } from '../titelive/categories.js';
import { newNotes, type FlattenNotes } from '../titelive/flatten-product.js';
import { PRODUCTS_COLUMNS } from '../titelive/product-columns.js';
import { batches, forEachOrdered } from '../runtime/ordered-pool.js';
import { WorkerPool, siblingModule } from '../runtime/worker-pool.js';
import { parseBatch, type ParseResult, type ParseTask } from './parse-worker.js';

export interface ParseRunConfig {
  mode: 'run';
  /** Worker threads that parse and flatten JSON while the main thread reads and writes; 0 = none. */
  workers: number;
  category: Category;
  runId: string;
  dataUrl: string;
  shard: Shard;
}

/** The seed's way: one raw file in (index `id`, column `data`), one flat file out. */
export interface ParseFileConfig {
  mode: 'file';
  workers: number;
  inputFilePath: string;
  outputFilePath: string;
  minModifiedDate: string;
}

export type ParseConfig = ParseRunConfig | ParseFileConfig;

/** The run folder parse writes to (and the next stages read from). */
export const PRODUCTS_FOLDER = 'products';

const ROW_GROUP_SIZE = 5_000;
/** Products per message to a worker: large enough to amortise the hand-over, small enough for flat memory. */
const BATCH_SIZE = 500;

interface RawItem {
  data: string;
  ean?: string;
}

/**
 * Parses and flattens a stream of raw products on the worker threads (or inline with none),
 * handing each item's result to `consume` in input order.
 */
async function flattenStream(
  items: AsyncIterable<RawItem>,
  windowStart: string,
  workers: number,
  notes: FlattenNotes,
  signal: AbortSignal,
  consume: (batch: RawItem[], result: ParseResult) => Promise<void>,
): Promise<void> {
  const pool = workers > 0 ? new WorkerPool<ParseTask, ParseResult>(siblingModule(import.meta.url, 'parse-worker'), workers) : undefined;
  try {
    await forEachOrdered(
      batches(items, BATCH_SIZE),
      Math.max(2, workers * 8),
      (batch) => {
        const task: ParseTask = { data: batch.map((item) => item.data), windowStart, ...(batch[0]?.ean !== undefined ? { eans: batch.map((item) => item.ean ?? '') } : {}) };
        return pool ? pool.run(task) : Promise.resolve(parseBatch(task));
      },
      async (result, batch) => {
        for (const [column, count] of result.coercedToNull) notes.coercedToNull.set(column, (notes.coercedToNull.get(column) ?? 0) + count);
        for (const [field, count] of result.extraFields) notes.extraFields.set(field, (notes.extraFields.get(field) ?? 0) + count);
        await consume(batch, result);
      },
      signal,
    );
  } finally {
    await pool?.close();
  }
}

export async function runParse(config: ParseConfig, context: JobContext): Promise<ShardManifest | void> {
  return config.mode === 'run' ? parseRun(config, context) : parseFile(config, context);
}

/**
 * Run mode: this shard's EANs (by the assignment function) from every fetch part; each `found`
 * row gives the article it was fetched for, once, if it is in the window.
 */
async function parseRun(config: ParseRunConfig, { logger, signal }: JobContext): Promise<ShardManifest> {
  const startedAt = new Date();
  const storage = openStorage(config.dataUrl);
  const run: RunRef = { dataset: config.category, runId: config.runId };
  const planManifests = await requireStageComplete(storage, run, 'plan', 'parse');
  const fetchManifests = await requireStageComplete(storage, run, 'fetch', 'parse');
  const windowStart = (planManifests[0]?.details.window as { start?: string } | undefined)?.start;
  if (!windowStart) throw new ConfigError(`parse: the plan manifest of ${run.dataset}/${run.runId} has no window; rerun plan`);
  const total = fetchManifests.reduce((sum, manifest) => sum + Object.values(manifest.counts).reduce((a, b) => a + b, 0), 0);
  const label = `parse ${config.category} shard ${config.shard.index + 1}/${config.shard.count}`;
  const writer = await PartWriter.open(storage, partPath(run, PRODUCTS_FOLDER, config.shard), PRODUCTS_COLUMNS, { stage: 'parse' }, ROW_GROUP_SIZE);
  const progress = new Progress(logger, label, total, 'raw rows');
  const counts = { rows: 0, filtered_old: 0, skipped_deleted: 0, skipped_failed: 0, article_missing: 0, duplicate: 0, unreadable: 0 };
  const notes = newNotes();
  const seen = new Set<number | string>();
  // Raw rows of this shard that need parsing; the others are counted here and not sent on.
  async function* foundRows(): AsyncGenerator<RawItem> {
    for await (const raw of readStageRows(storage, fetchManifests, { columns: ['ean', 'status', 'data'] })) {
      const ean = String(raw.ean);
      if (!belongsToShard(ean, config.shard)) {
        progress.add('other_shards');
      } else if (raw.status === 'deleted') {
        count('skipped_deleted');
      } else if (raw.status !== 'found') {
        count('skipped_failed');
      } else {
        const key = eanKey(ean);
        if (seen.has(key)) {
          count('duplicate');
        } else {
          seen.add(key);
          yield { data: String(raw.data), ean };
        }
      }
    }
  }
  const count = (kind: keyof typeof counts) => {
    counts[kind] += 1;
    progress.add(kind);
  };
  try {
    await flattenStream(foundRows(), windowStart, config.workers, notes, signal, async (batch, result) => {
      // Rows were de-duplicated by EAN before parsing, so every row the workers made is written.
      await writer.appendColumns(result.columns, result.gencods.length);
      for (let i = 0; i < batch.length; i++) {
        if (result.unreadable[i]) count('unreadable');
        else if (result.filteredOld[i]! > 0) count('filtered_old');
        else if (result.rowCounts[i] === 0) count('article_missing');
        else count('rows');
      }
    });
  } catch (error) {
    await writer.discard();
    throw error;
  }
  signal.throwIfAborted();
  const output = await writer.commit();
  progress.log('done');
  itemsTotal.inc({ stage: 'parse', outcome: 'rows' }, counts.rows);
  return writeManifest(storage, {
    stage: PRODUCTS_FOLDER,
    dataset: config.category,
    runId: config.runId,
    shardIndex: config.shard.index,
    shardCount: config.shard.count,
    inputs: fetchManifests.flatMap((manifest) => manifest.outputs.map((file) => file.path)),
    outputs: [output],
    counts,
    anomalies: describeNotes(notes, logger, label),
    details: { windowStart, columns: PRODUCTS_COLUMNS.length },
    startedAt,
  });
}

/**
 * File mode, as the seed's parse_products.py: every article of every product, filtered by date,
 * each article EAN once (the seed drops exact duplicates only), rows without an EAN counted
 * and left out.
 */
async function parseFile(config: ParseFileConfig, { logger, signal }: JobContext): Promise<void> {
  const input = splitLocation(config.inputFilePath);
  const output = splitLocation(config.outputFilePath);
  const inputStorage = openStorage(input.folder, '--input-file-path');
  if (!(await inputStorage.exists(input.name))) throw new ConfigError(`--input-file-path: ${config.inputFilePath} does not exist`);
  const outputStorage = openStorage(output.folder, '--output-file-path');
  const writer = await PartWriter.open(outputStorage, output.name, PRODUCTS_COLUMNS, { stage: 'parse' }, ROW_GROUP_SIZE);
  const progress = new Progress(logger, `parse ${path.basename(config.inputFilePath)}`, 0, 'products');
  const counts = { products: 0, rows: 0, filtered_old: 0, no_ean: 0, duplicate: 0, unreadable: 0 };
  const notes = newNotes();
  const seen = new Set<number | string>();
  async function* products(): AsyncGenerator<RawItem> {
    for await (const raw of readStoredRows(inputStorage, input.name, { columns: ['data'] })) yield { data: String(raw.data) };
  }
  try {
    await flattenStream(products(), config.minModifiedDate, config.workers, notes, signal, async (batch, result) => {
      counts.products += batch.length;
      progress.add('products', batch.length);
      counts.unreadable += result.unreadable.filter(Boolean).length;
      counts.filtered_old += result.filteredOld.reduce((sum, value) => sum + value, 0);
      await writeUnique(result, seen, writer, counts);
    });
  } catch (error) {
    await writer.discard();
    throw error;
  }
  const file = await writer.commit();
  describeNotes(notes, logger, 'parse');
  logger.info({ event: 'parse_file_done', counts, output: outputStorage.locate(file.path), bytes: file.bytes }, `parse: ${counts.products} products → ${counts.rows} rows in ${outputStorage.locate(file.path)} (${counts.filtered_old} articles before ${config.minModifiedDate}, ${counts.no_ean} without EAN, ${counts.duplicate} duplicates)`);
}

/** Writes a batch's rows, leaving out rows without an EAN and EANs already written. */
async function writeUnique(result: ParseResult, seen: Set<number | string>, writer: PartWriter, counts: { rows: number; no_ean: number; duplicate: number }): Promise<void> {
  const keep = result.gencods.map((ean) => {
    if (ean === null || ean.trim() === '') {
      counts.no_ean += 1;
      return false;
    }
    const key = eanKey(ean);
    if (seen.has(key)) {
      counts.duplicate += 1;
      return false;
    }
    seen.add(key);
    return true;
  });
  const kept = keep.filter(Boolean).length;
  counts.rows += kept;
  const columns = kept === keep.length ? result.columns : result.columns.map((values) => values.filter((_, index) => keep[index]));
  await writer.appendColumns(columns, kept);
}

/** EANs as numbers in the seen-set: a 13-digit number takes far less memory than its string. */
function eanKey(ean: string): number | string {
  return /^\d{1,15}$/.test(ean) ? Number(ean) : ean;
}

function splitLocation(location: string): { folder: string; name: string } {
  if (location.startsWith('gs://')) {
    const cut = location.lastIndexOf('/');
    return { folder: location.slice(0, cut), name: location.slice(cut + 1) };
  }
  const absolute = path.resolve(location);
  return { folder: path.dirname(absolute), name: path.basename(absolute) };
}

/** Coercions and unknown fields, logged once and kept as anomalies in the manifest. */
function describeNotes(notes: FlattenNotes, logger: Logger, label: string): Array<Record<string, unknown>> {
  const anomalies: Array<Record<string, unknown>> = [];
  for (const [column, count] of notes.coercedToNull) {
    anomalies.push({ type: 'coerced_to_null', column, count });
    logger.warn({ event: 'anomaly', anomaly: 'coerced_to_null', column, count }, `${label}: ${count} value(s) of ${column} were not numbers and are stored as null`);
  }
  for (const [field, count] of notes.extraFields) {
    anomalies.push({ type: 'extra_field', field, count });
    logger.warn({ event: 'anomaly', anomaly: 'extra_field', field, count }, `${label}: field ${field} (${count} rows) is not a known column; it is kept in extra_fields`);
  }
  return anomalies;
}
