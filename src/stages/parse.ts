import type { ParseConfig, ParseFileConfig, ParseRunConfig } from '../stage-configs.js';
import path from 'node:path';
import type { Logger } from 'pino';
import { startShard } from '../stage-upstream.js';
import { ConfigError } from '../runtime/errors.js';
import type { JobContext } from '../runtime/harness.js';
import { Tally } from '../runtime/accounting.js';
import { writeManifest, type ShardManifest } from '../runtime/manifest.js';
import { itemsTotal } from '../runtime/metrics.js';
import { PartWriter, localCopyOf } from '../runtime/part-io.js';
import { checkParquetInput } from '../runtime/parquet/input-file-check.js';
import { parquetRowRanges, type RowRange } from '../runtime/parquet/parquet-reader.js';
import type { Storage } from '../runtime/storage/storage.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Progress } from '../runtime/progress.js';
import { partPath } from '../runtime/run-layout.js';
import type { Shard } from '../runtime/sharding.js';
import { openStorage, splitLocation } from '../runtime/storage/open-storage.js';
import { seedFileSource, sourceOf } from '../sources.js';
import type { FlattenNotes, ProductsFacet, Source } from '../source.js';
import { batches } from '../runtime/concurrency/batches.js';
import { forEachInOrder } from '../runtime/concurrency/for-each-in-order.js';
import { KeySet } from '../runtime/key-set.js';
import { NAMED_OUTCOMES, parseBatch, type FlattenSummary, type ParseReply, type ParseTask } from './parse-worker.js';
import { startParseWorkers, type ParseWorkers } from './parse-pool.js';
import { STAGE_FOLDERS } from '../stage-table.js';

/** The run folder parse writes to (and the next stages read from). */

export type { ParseConfig, ParseFileConfig, ParseRunConfig } from '../stage-configs.js';

/**
 * Raw rows a worker reads at once, at most: a range ends on a page boundary of the raw `data`
 * column (a pandas file's 1 MB pages hold about 550 products), so a worker's raw data stays small.
 */
const RANGE_ROWS = 1_000;

/**
 * Ranges per batch: a batch's rows become one row group, about two rows per product in file
 * mode. More ranges make fewer, larger row groups, and more of each worker's memory held by
 * the cells waiting to be encoded (docs/benchmarks.md).
 */
const RANGES_PER_BATCH = 1;

/** Article EANs per product expected in a seed-format file (1.6 in the seed's, 2 in the sandbox's). */
const ARTICLES_PER_PRODUCT = 2;

/**
 * Parses, flattens and encodes raw rows on worker threads (inline with none), a few row ranges
 * per batch, and appends the row groups to `writer` in input order. `takeBatch` sees each
 * batch's summary in order and returns the EANs to leave out (already written); a batch with
 * any is done again without them.
 */
async function parseStream(
  ranges: AsyncIterable<RowRange>,
  options: { source: Source; facet: ProductsFacet; windowStart: string; workers: ParseWorkers | undefined; shard?: Shard; idColumn?: string; notes: FlattenNotes; signal: AbortSignal },
  writer: PartWriter,
  takeBatch: (summary: FlattenSummary) => string[],
): Promise<void> {
  const { workers, facet } = options;
  const run = (task: ParseTask): Promise<ParseReply> => (workers ? workers.run(task) : parseBatch(task));
  // Two batches per worker: one running, one queued, so no worker waits for the main thread; one
  // more per worker may be ready ahead of the oldest, so a slow batch does not idle the others.
  const concurrency = Math.max(1, (workers?.size ?? 0) * 2);
  await forEachInOrder(
    batches(ranges, RANGES_PER_BATCH),
    { concurrency, window: concurrency + (workers?.size ?? 0) },
    (batch) => {
      const task: ParseTask = { source: options.source.name, ranges: batch, windowStart: options.windowStart, ...(options.shard ? { shard: options.shard } : {}), ...(options.idColumn ? { idColumn: options.idColumn } : {}) };
      return run(task).then((reply) => ({ task, reply }));
    },
    async ({ task, reply }) => {
      const { summary } = reply;
      facet.addCountsByColumn(options.notes.coercedToNull, summary.coercedToNull);
      facet.addCountsByColumn(options.notes.textToNumber, summary.textToNumber);
      facet.addCountsByColumn(options.notes.numberToText, summary.numberToText);
      for (const [field, count] of summary.extraFields) options.notes.extraFields.set(field, (options.notes.extraFields.get(field) ?? 0) + count);
      const dropEans = takeBatch(summary);
      const group = dropEans.length > 0 ? (await run({ ...task, dropEans })).group : reply.group;
      if (group) await writer.appendRowGroup(group);
    },
    options.signal,
  );
  // Their memory is given back before the main thread builds the file's footer.
  await workers?.close();
}

/**
 * The row ranges of stored Parquet files, each file copied to `scratch` first when it is not
 * local (workers read local files).
 */
async function* storedRowRanges(storage: Storage, files: readonly string[], scratch: string): AsyncGenerator<RowRange> {
  for (const [index, file] of files.entries()) {
    // Numbered: parts of different stages' folders may share a name.
    yield* await parquetRowRanges(await localCopyOf(storage, file, scratch, `input-${index}.parquet`), RANGE_ROWS, 'data');
  }
}

/**
 * Runs parse with `workers`: worker threads already started by the caller (see parse-pool.ts),
 * or started here. They are stopped when parse ends, whatever the outcome.
 */
export async function runParse(config: ParseConfig, context: JobContext, workers = startParseWorkers(config.workers)): Promise<ShardManifest | void> {
  try {
    return config.mode === 'run' ? await parseRun(config, context, workers) : await parseFile(config, context, workers);
  } finally {
    await workers?.close();
  }
}

/**
 * Run mode: this shard's EANs (by the assignment function) from every fetch part; each `found`
 * row gives the article it was fetched for, once, if it is in the window.
 */
async function parseRun(config: ParseRunConfig, { logger, signal }: JobContext, workers: ParseWorkers | undefined): Promise<ShardManifest> {
  const { startedAt, storage, run, upstream, label } = await startShard(config, 'parse');
  const planManifests = upstream.plan!;
  const fetchManifests = upstream.fetch!;
  const windowStart = (planManifests[0]?.details.window as { start?: string } | undefined)?.start;
  if (!windowStart) throw new ConfigError(`parse: the plan manifest of ${run.dataset}/${run.runId} has no window; rerun plan`);
  const total = fetchManifests.reduce((sum, manifest) => sum + Object.values(manifest.counts).reduce((a, b) => a + b, 0), 0);
  const source = sourceOf(config.dataset);
  const facet = await source.products();
  const writer = await PartWriter.open(storage, partPath(run, STAGE_FOLDERS.parse, config.shard), facet.columns, { stage: 'parse' });
  const progress = new Progress(logger, label, total, 'raw rows');
  const counts = { rows: 0, filtered_old: 0, skipped_deleted: 0, skipped_failed: 0, article_missing: 0, duplicate: 0, unreadable: 0, no_data: 0 };
  // The shard's raw rows, each ending one way: `written` is a products row; names are EANs.
  const accounting = new Tally('raw rows', ['written', 'filtered_old', 'skipped_deleted', 'skipped_failed', 'article_missing', 'duplicate', 'unreadable', 'no_data']);
  const notes = facet.newNotes();
  // This shard's share of the fetched rows: about one EAN each.
  const seen = new KeySet(Math.ceil(total / config.shard.count));
  const scratch = await mkdtemp(path.join(tmpdir(), 'titelive-etl-parse-'));
  const inputs = fetchManifests.flatMap((manifest) => manifest.outputs.map((file) => file.path));
  try {
    await parseStream(storedRowRanges(storage, inputs, scratch), { source, facet, windowStart, workers, shard: config.shard, notes, signal }, writer, (summary) => {
      for (const [reason, count] of Object.entries(summary.skipped)) {
        if (reason !== 'other_shards') {
          counts[reason as keyof typeof counts] += count;
          accounting.readAndEnd(reason, count);
        }
        progress.add(reason, count);
      }
      // First occurrence wins: a product fetched for an EAN an earlier batch had is left out.
      const drop: string[] = [];
      summary.outcomes.forEach((outcome, i) => {
        const ean = summary.fetchedEans[i]!;
        if (seen.add(ean)) {
          counts[outcome] += 1;
          progress.add(outcome);
          accounting.readAndEnd(outcome === 'rows' ? 'written' : outcome, 1, NAMED_OUTCOMES.includes(outcome) ? ean : undefined);
        } else {
          counts.duplicate += 1;
          progress.add('duplicate');
          accounting.readAndEnd('duplicate');
          if (outcome === 'rows') drop.push(ean);
        }
      });
      return drop;
    });
  } catch (error) {
    await writer.discard();
    throw error;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  signal.throwIfAborted();
  const output = await writer.commit();
  progress.log('done');
  for (const [outcome, count] of Object.entries(counts)) itemsTotal.inc({ stage: 'parse', outcome }, count);
  const described = describeNotes(facet, notes, logger, label);
  return writeManifest(storage, {
    stage: STAGE_FOLDERS.parse,
    dataset: config.dataset,
    runId: config.runId,
    shardIndex: config.shard.index,
    shardCount: config.shard.count,
    inputs,
    outputs: [output],
    counts,
    accounting: accounting.toJSON(),
    anomalies: described.anomalies,
    details: { windowStart, columns: facet.columns.length, coercions: described.coercions },
    startedAt,
  });
}

/**
 * File mode, as the seed's parse_products.py: every article of every product, filtered by date,
 * each article EAN once (the seed drops exact duplicates only), rows without an EAN counted
 * and left out. Every product is accounted for in the last log line, and those without rows
 * named (by `id`, or row number).
 */
async function parseFile(config: ParseFileConfig, { logger, signal }: JobContext, workers: ParseWorkers | undefined): Promise<void> {
  const input = splitLocation(config.inputFilePath);
  const output = splitLocation(config.outputFilePath);
  const inputStorage = openStorage(input.folder, '--input-file-path');
  if (!(await inputStorage.exists(input.name))) throw new ConfigError(`--input-file-path: ${config.inputFilePath} does not exist`);
  const outputStorage = openStorage(output.folder, '--output-file-path');
  const scratch = await mkdtemp(path.join(tmpdir(), 'titelive-etl-parse-'));
  try {
    const local = await localCopyOf(inputStorage, input.name, scratch);
    const info = await checkParquetInput(local, `--input-file-path ${inputStorage.locate(input.name)}`, ['data'], 'the seed extract format: a Parquet file with a "data" column of product JSON (index "id")');
    const idColumn = info.columns.includes('id') ? 'id' : undefined;
    const label = `parse ${path.basename(config.inputFilePath)}`;
    const source = seedFileSource();
    const facet = await source.products();
    const writer = await PartWriter.open(outputStorage, output.name, facet.columns, { stage: 'parse' });
    const counts = { products: 0, rows: 0, filtered_old: 0, no_ean: 0, duplicate: 0, unreadable: 0, no_data: 0, article_missing: 0 };
    const products = new Tally('products', ['flattened', 'filtered_old', 'article_missing', 'unreadable', 'no_data']);
    const notes = facet.newNotes();
    const progress = new Progress(logger, label, info.rows, 'products');
    const seen = new KeySet(info.rows * ARTICLES_PER_PRODUCT);
    const ranges = async function* () {
      yield* await parquetRowRanges(local, RANGE_ROWS, 'data');
    };
    try {
      await parseStream(ranges(), { source, facet, windowStart: config.minModifiedDate, workers, notes, signal, ...(idColumn ? { idColumn } : {}) }, writer, (summary) => {
        counts.products += summary.inputRows;
        progress.add('products', summary.inputRows);
        for (const outcome of summary.outcomes) products.readAndEnd(outcome === 'rows' ? 'flattened' : outcome);
        for (const [outcome, name] of summary.named) products.name(outcome, name);
        counts.filtered_old += summary.filteredOld;
        counts.no_ean += summary.noEan;
        // The seed keeps one of each exact duplicate; here, each article EAN once, first one wins.
        const drop = summary.keys.filter((key) => !seen.add(key));
        counts.duplicate += summary.duplicates + drop.length;
        counts.rows += summary.keys.length - drop.length;
        return drop;
      });
    } catch (error) {
      await writer.discard();
      throw error;
    }
    const file = await writer.commit();
    describeNotes(facet, notes, logger, 'parse');
    const accounting = products.toJSON();
    for (const outcome of ['unreadable', 'no_data', 'article_missing'] as const) counts[outcome] = accounting.ended[outcome] ?? 0;
    const endings = Object.entries(accounting.ended)
      .filter(([, count]) => count > 0)
      .map(([ending, count]) => `${count} ${ending}${accounting.names[ending]?.length ? ` (${accounting.names[ending]!.slice(0, NAMES_IN_A_LINE).join(', ')}${count > NAMES_IN_A_LINE ? ', …' : ''})` : ''}`);
    const where = outputStorage.locate(file.path);
    logger.info(
      { event: 'parse_file_done', counts, accounting, output: where, bytes: file.bytes },
      `parse: ${accounting.in} products (${endings.join(', ') || 'none'}) → ${counts.rows} rows in ${where} (${counts.filtered_old} articles before ${config.minModifiedDate}, ${counts.no_ean} without EAN, ${counts.duplicate} duplicates)`,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** How many names a log line lists before saying how many more there are. */
const NAMES_IN_A_LINE = 12;

function listed(entries: ReadonlyArray<[string, number]>, unit: string): string {
  const shown = entries.slice(0, NAMES_IN_A_LINE).map(([name, count]) => `${name} (${count} ${unit})`);
  return entries.length > NAMES_IN_A_LINE ? `${shown.join(', ')} and ${entries.length - NAMES_IN_A_LINE} more` : shown.join(', ');
}

/**
 * What the catalogue's rules did in a shard (or a file), logged once: values stored as null
 * and fields outside the catalogue are warnings, kept as anomalies in the manifest; values
 * converted between text and numbers are counted in `coercions`.
 */
function describeNotes(facet: ProductsFacet, notes: FlattenNotes, logger: Logger, label: string): { anomalies: Array<Record<string, unknown>>; coercions: Record<string, Record<string, number>> } {
  const anomalies: Array<Record<string, unknown>> = [];
  const nulls = facet.countsByColumn(notes.coercedToNull);
  for (const [column, count] of nulls) anomalies.push({ type: 'coerced_to_null', column, count });
  if (nulls.length > 0) logger.warn({ event: 'anomaly', anomaly: 'coerced_to_null', columns: Object.fromEntries(nulls) }, `${label}: values that are not numbers were stored as null in ${listed(nulls, 'values')}`);
  const extras = [...notes.extraFields].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  for (const [field, count] of extras) anomalies.push({ type: 'extra_field', field, count });
  if (extras.length > 0) logger.warn({ event: 'anomaly', anomaly: 'extra_field', fields: Object.fromEntries(extras) }, `${label}: ${extras.length} field(s) outside the catalogue kept in extra_fields: ${listed(extras, 'rows')}`);
  const coercions: Record<string, Record<string, number>> = {};
  for (const [kind, counts] of [['text_to_number', notes.textToNumber], ['number_to_text', notes.numberToText]] as const) {
    for (const [column, count] of facet.countsByColumn(counts)) (coercions[column] ??= {})[kind] = count;
  }
  const converted = Object.keys(coercions).length;
  if (converted > 0) logger.info({ event: 'coercions', coercions }, `${label}: values converted by the catalogue's rules in ${converted} column(s) (text to number, or number to text); counts in the manifest`);
  return { anomalies, coercions };
}
