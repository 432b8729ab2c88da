import { parentPort } from 'node:worker_threads';
import { NAMES_PER_ENDING } from '../runtime/accounting.js';
import { readParquetRange, type RowRange } from '../runtime/parquet/parquet-reader.js';
import type { Row } from '../runtime/parquet/parquet-writer.js';
import { belongsToShard, type Shard } from '../runtime/sharding.js';
import { encodeRowGroup, type ColumnCells, type EncodedRowGroup } from '../runtime/parquet/parquet-writer.js';
import { columnBuffer, type ColumnBuffer } from '../runtime/parquet/column-buffer.js';
import { sourceNamed } from '../sources.js';
import type { FlatValue, FlattenNotes, FlattenOptions, ProductsFacet } from '../source.js';

/**
 * One batch of parse work, done on a worker thread: read consecutive row ranges of raw files one
 * at a time, parse and flatten their products, and encode the rows of them all as one compressed
 * Parquet row group, handed to the main thread without a copy. The main thread decides, in input
 * order, which EANs were already written by earlier batches; in the rare case a batch has some,
 * it is done again without them.
 */
export interface ParseTask {
  /** The source whose products these are (its name in src/sources.ts). */
  source: string;
  /** Where the raw rows are: the worker reads them itself, so they are never copied between threads. */
  ranges: RowRange[];
  windowStart: string;
  /**
   * Run mode (fetch parts: ean, status, data): only this shard's `found` rows, each giving the
   * article it was fetched for. Without it, file mode (the seed's format): every article.
   */
  shard?: Shard;
  /** EANs written by earlier batches: their rows are left out. */
  dropEans?: string[];
  /** File mode: the column that names a product (the seed's index `id`), when the file has one. */
  idColumn?: string;
}

/**
 * What became of one parsed product: rows written, all its articles before the window, no
 * article (run mode: not the one fetched for), `data` not a JSON object, or no `data` at all.
 */
export type ProductOutcome = 'rows' | 'filtered_old' | 'article_missing' | 'unreadable' | 'no_data';

/** Outcomes whose products are named (file mode: by id or row number), as many per batch as the manifest keeps. */
export const NAMED_OUTCOMES: readonly ProductOutcome[] = ['unreadable', 'no_data', 'article_missing'];

export interface FlattenSummary {
  /** Raw rows read from the range. */
  inputRows: number;
  /** Run mode: rows not parsed, by reason (other_shards, skipped_deleted, skipped_failed, duplicate). */
  skipped: Record<string, number>;
  /** Per parsed product, in order. */
  outcomes: ProductOutcome[];
  /** File mode: the id (or `row N`) of the first products of each NAMED_OUTCOMES outcome. */
  named: Array<[ProductOutcome, string]>;
  /** Run mode: the EAN each parsed product was fetched for (unique within the batch). */
  fetchedEans: string[];
  /** Articles left out for being modified before the window. */
  filteredOld: number;
  /** The key (Titelive: `article_gencod`) of each row kept, in order (unique within the batch). */
  keys: string[];
  /** File mode: rows without an EAN (not written), and rows whose EAN an earlier row of the batch had. */
  noEan: number;
  duplicates: number;
  /** By column name, what the catalogue's rules did (see FlattenNotes). */
  coercedToNull: Array<[string, number]>;
  textToNumber: Array<[string, number]>;
  numberToText: Array<[string, number]>;
  extraFields: Array<[string, number]>;
}

export interface ParseReply {
  summary: FlattenSummary;
  /** The batch's rows, or null when it has none. */
  group: EncodedRowGroup | null;
}

const EMPTY_ROW = {};

/** A source's products rules, with where its key column is. */
interface Products {
  facet: ProductsFacet;
  keyIndex: number;
  /**
   * Column buffers free for the next batch: one set per batch in progress (batches run one at a
   * time in a worker). A batch's cells wait in them, outside the heap, until it is encoded.
   */
  freeColumns: ColumnBuffer[][];
}

const productsBySource = new Map<string, Products>();

async function productsOf(source: string): Promise<Products> {
  let products = productsBySource.get(source);
  if (!products) {
    const facet = await sourceNamed(source).products();
    products = { facet, keyIndex: facet.columns.findIndex((column) => column.name === facet.keyColumn), freeColumns: [] };
    productsBySource.set(source, products);
  }
  return products;
}

/** Does one batch (see ParseTask); runs in a worker thread, or inline when there are none. */
export async function parseBatch(task: ParseTask): Promise<ParseReply> {
  const products = await productsOf(task.source);
  const columns = products.freeColumns.pop() ?? products.facet.columns.map(columnBuffer);
  for (const column of columns) column.clear();
  try {
    return await parseInto(task, columns, products);
  } finally {
    products.freeColumns.push(columns);
  }
}

async function parseInto(task: ParseTask, columns: ColumnBuffer[], products: Products): Promise<ParseReply> {
  const { facet } = products;
  const batch = newBatch(facet);
  for (const range of task.ranges) {
    // Text comes as UTF-8 bytes and each product is read from them directly, so a range never
    // holds its JSON as strings; one range's raw rows at a time.
    const rows = await readParquetRange(range, task.shard ? ['ean', 'status', 'data'] : task.idColumn ? ['data', task.idColumn] : ['data'], { textAsBytes: true });
    parseRows(rows, range.rowStart, task, columns, batch, products);
  }
  const { summary, notes } = batch;
  summary.coercedToNull = facet.countsByColumn(notes.coercedToNull);
  summary.textToNumber = facet.countsByColumn(notes.textToNumber);
  summary.numberToText = facet.countsByColumn(notes.numberToText);
  summary.extraFields = [...notes.extraFields];
  return { summary, group: encodeBatch(columns, summary.keys, task.dropEans ?? [], products) };
}

/** What a batch gathers over its ranges. */
interface BatchState {
  summary: FlattenSummary;
  notes: FlattenNotes;
  /** Run mode: the EANs parsed; file mode: the article EANs written. */
  inBatch: Set<string>;
  /** File mode: products named so far, by outcome. */
  namedSoFar: Partial<Record<ProductOutcome, number>>;
}

function newBatch(facet: ProductsFacet): BatchState {
  return {
    summary: { inputRows: 0, skipped: {}, outcomes: [], named: [], fetchedEans: [], filteredOld: 0, keys: [], noEan: 0, duplicates: 0, coercedToNull: [], textToNumber: [], numberToText: [], extraFields: [] },
    notes: facet.newNotes(),
    inBatch: new Set<string>(),
    namedSoFar: {},
  };
}

/** A range's products into `columns`, row by row; a plain function, which V8 optimizes once. */
function parseRows(rows: Row[], firstRow: number, task: ParseTask, columns: ColumnBuffer[], { summary, notes, inBatch, namedSoFar }: BatchState, { facet, keyIndex }: Products): void {
  summary.inputRows += rows.length;
  const record = (outcome: ProductOutcome, raw: Row, index: number) => {
    summary.outcomes.push(outcome);
    if (task.shard || !NAMED_OUTCOMES.includes(outcome) || (namedSoFar[outcome] ?? 0) >= NAMES_PER_ENDING) return;
    namedSoFar[outcome] = (namedSoFar[outcome] ?? 0) + 1;
    const id = task.idColumn ? raw[task.idColumn] : undefined;
    summary.named.push([outcome, id === undefined || id === null ? `row ${firstRow + index}` : `${task.idColumn} ${textOf(id)}`]);
  };
  /** Is a row with this key written? Rows without one, and file mode's repeats, are not. */
  const keepRow = (key: FlatValue): boolean => {
    if (typeof key !== 'string' || key.trim() === '') {
      summary.noEan += 1;
      return false;
    }
    if (!task.shard && inBatch.has(key)) {
      summary.duplicates += 1;
      return false;
    }
    if (!task.shard) inBatch.add(key);
    summary.keys.push(key);
    return true;
  };
  // File mode: every item of each product, with the same options; run mode: the one fetched for.
  const options: FlattenOptions | undefined = task.shard ? undefined : { windowStart: task.windowStart };
  for (let index = 0; index < rows.length; index++) {
    const raw = rows[index]!;
    // Dropped as soon as read: the batch's raw bytes are then garbage for the next young-generation
    // collection instead of being copied by each collection until the batch ends.
    rows[index] = EMPTY_ROW;
    let ean: string | undefined;
    if (task.shard) {
      ean = textOf(raw.ean);
      const reason = skipReason(ean, textOf(raw.status), task.shard, inBatch);
      if (reason) {
        summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1;
        continue;
      }
      inBatch.add(ean);
      summary.fetchedEans.push(ean);
    }
    if (raw.data instanceof Uint8Array && facet.flattenBytes) {
      const fast = facet.flattenBytes(raw.data, options ?? { key: ean!, windowStart: task.windowStart }, notes, columns, keepRow);
      if (fast) {
        record(outcomeOf(fast.rows, fast.filteredOld), raw, index);
        summary.filteredOld += fast.filteredOld;
        continue;
      }
    }
    const product = parseProduct(raw.data);
    if (typeof product === 'string') {
      record(product, raw, index);
      continue;
    }
    const flat = facet.flatten(product, options ?? { key: ean!, windowStart: task.windowStart }, notes);
    record(outcomeOf(flat.rows.length, flat.filteredOld), raw, index);
    summary.filteredOld += flat.filteredOld;
    for (const cells of flat.rows) {
      // Cells already have the writer's types (see FlatValue).
      if (keepRow(cells[keyIndex]!)) for (let j = 0; j < cells.length; j++) columns[j]!.push(cells[j]);
    }
  }
}

function outcomeOf(rows: number, filteredOld: number): ProductOutcome {
  return filteredOld > 0 && rows === 0 ? 'filtered_old' : rows === 0 ? 'article_missing' : 'rows';
}

/** Run mode: why a fetched row is not parsed by this shard, if it is not. */
function skipReason(ean: string, status: string, shard: Shard, inBatch: ReadonlySet<string>): string | undefined {
  if (!belongsToShard(ean, shard)) return 'other_shards';
  if (status === 'deleted') return 'skipped_deleted';
  if (status !== 'found') return 'skipped_failed';
  return inBatch.has(ean) ? 'duplicate' : undefined;
}

/** The product in a raw `data` cell, or why there is none. */
function parseProduct(data: unknown): Record<string, unknown> | 'no_data' | 'unreadable' {
  if (data === null || data === undefined) return 'no_data';
  let value: unknown;
  try {
    value = JSON.parse(textOf(data));
  } catch {
    return 'unreadable';
  }
  if (value === null) return 'no_data';
  return typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : 'unreadable';
}

const utf8 = new TextDecoder();

/** A raw cell as text: raw text columns are read as UTF-8 bytes (see readParquetRange). */
function textOf(value: unknown): string {
  return value instanceof Uint8Array ? utf8.decode(value) : String(value);
}

function encodeBatch(columns: ColumnBuffer[], keys: string[], dropEans: string[], { facet, keyIndex }: Products): EncodedRowGroup | null {
  let cells: ColumnCells[] = columns;
  if (dropEans.length > 0) {
    const drop = new Set(dropEans);
    const keep = keys.map((key) => !drop.has(key));
    cells = columns.map((column) => column.values().filter((_, index) => keep[index]));
  }
  const rowCount = cells[keyIndex]!.length;
  return rowCount === 0 ? null : encodeRowGroup(facet.columns, cells, rowCount);
}

if (parentPort) {
  const port = parentPort;
  // One batch at a time: a queued task waits here instead of reading its rows while the
  // current one is still being encoded, so a worker holds one batch's data, not two.
  let previous: Promise<void> = Promise.resolve();
  port.on('message', ({ id, task }: { id: number; task: ParseTask }) => {
    previous = previous.then(async () => {
      try {
        const result = await parseBatch(task);
        // Row-group bytes move to the main thread instead of being copied.
        port.postMessage({ id, result }, result.group ? [result.group.bytes.buffer as ArrayBuffer] : []);
      } catch (error) {
        port.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
      }
    });
  });
}
