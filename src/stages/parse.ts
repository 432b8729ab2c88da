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
import { flattenProduct, newNotes, type FlatRow, type FlattenNotes } from '../titelive/flatten-product.js';
import { PRODUCTS_COLUMNS } from '../titelive/product-columns.js';
import type { TiteliveProduct } from '../titelive/response-shapes.js';

export interface ParseRunConfig {
  mode: 'run';
  category: Category;
  runId: string;
  dataUrl: string;
  shard: Shard;
}

/** The seed's way: one raw file in (index `id`, column `data`), one flat file out. */
export interface ParseFileConfig {
  mode: 'file';
  inputFilePath: string;
  outputFilePath: string;
  minModifiedDate: string;
}

export type ParseConfig = ParseRunConfig | ParseFileConfig;

const ROW_GROUP_SIZE = 5_000;

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
  const writer = await PartWriter.open(storage, partPath(run, 'products', config.shard), PRODUCTS_COLUMNS, { stage: 'parse' }, ROW_GROUP_SIZE);
  const progress = new Progress(logger, label, total, 'raw rows');
  const counts = { rows: 0, filtered_old: 0, skipped_deleted: 0, skipped_failed: 0, article_missing: 0, duplicate: 0, unreadable: 0 };
  const notes = newNotes();
  const seen = new Set<number | string>();
  try {
    for await (const raw of readStageRows(storage, fetchManifests, { columns: ['ean', 'status', 'data'] })) {
      signal.throwIfAborted();
      const ean = String(raw.ean);
      if (!belongsToShard(ean, config.shard)) {
        progress.add('other_shards');
        continue;
      }
      const outcome = await parseRawRow(ean, raw, windowStart, notes, seen, writer);
      counts[outcome.kind] += outcome.count;
      progress.add(outcome.kind);
    }
  } catch (error) {
    await writer.discard();
    throw error;
  }
  signal.throwIfAborted();
  const output = await writer.commit();
  progress.log('done');
  itemsTotal.inc({ stage: 'parse', outcome: 'rows' }, counts.rows);
  return writeManifest(storage, {
    stage: 'products',
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

type RowOutcome = { kind: 'rows' | 'filtered_old' | 'skipped_deleted' | 'skipped_failed' | 'article_missing' | 'duplicate' | 'unreadable'; count: number };

async function parseRawRow(ean: string, raw: Record<string, unknown>, windowStart: string, notes: FlattenNotes, seen: Set<number | string>, writer: PartWriter): Promise<RowOutcome> {
  if (raw.status === 'deleted') return { kind: 'skipped_deleted', count: 1 };
  if (raw.status !== 'found') return { kind: 'skipped_failed', count: 1 };
  const key = eanKey(ean);
  if (seen.has(key)) return { kind: 'duplicate', count: 1 };
  let product: TiteliveProduct;
  try {
    product = JSON.parse(String(raw.data)) as TiteliveProduct;
  } catch {
    return { kind: 'unreadable', count: 1 };
  }
  const { rows, filteredOld } = flattenProduct(product, { ean, windowStart }, notes);
  if (filteredOld > 0) return { kind: 'filtered_old', count: 1 };
  const row = rows[0];
  if (!row) return { kind: 'article_missing', count: 1 };
  seen.add(key);
  await writer.append(row);
  return { kind: 'rows', count: 1 };
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
  try {
    for await (const raw of readStoredRows(inputStorage, input.name, { columns: ['data'] })) {
      signal.throwIfAborted();
      counts.products += 1;
      let product: TiteliveProduct;
      try {
        product = JSON.parse(String(raw.data)) as TiteliveProduct;
      } catch {
        counts.unreadable += 1;
        continue;
      }
      const { rows, filteredOld } = flattenProduct(product, { windowStart: config.minModifiedDate }, notes);
      counts.filtered_old += filteredOld;
      for (const row of rows) await writeUnique(row, seen, writer, counts);
      progress.add('products');
    }
  } catch (error) {
    await writer.discard();
    throw error;
  }
  const file = await writer.commit();
  describeNotes(notes, logger, 'parse');
  logger.info({ event: 'parse_file_done', counts, output: outputStorage.locate(file.path), bytes: file.bytes }, `parse: ${counts.products} products → ${counts.rows} rows in ${outputStorage.locate(file.path)} (${counts.filtered_old} articles before ${config.minModifiedDate}, ${counts.no_ean} without EAN, ${counts.duplicate} duplicates)`);
}

async function writeUnique(row: FlatRow, seen: Set<number | string>, writer: PartWriter, counts: { rows: number; no_ean: number; duplicate: number }): Promise<void> {
  const ean = row.article_gencod;
  if (typeof ean !== 'string' || ean.trim() === '') {
    counts.no_ean += 1;
    return;
  }
  const key = eanKey(ean);
  if (seen.has(key)) {
    counts.duplicate += 1;
    return;
  }
  seen.add(key);
  await writer.append(row);
  counts.rows += 1;
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
