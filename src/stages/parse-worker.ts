import { parentPort } from 'node:worker_threads';
import { readParquetRange, type RowRange } from '../runtime/parquet/parquet-reader.js';
import { belongsToShard, type Shard } from '../runtime/sharding.js';
import { encodeRowGroup, type EncodedRowGroup } from '../runtime/parquet/parquet-writer.js';
import { isPlainText } from '../runtime/parquet/parquet-schema.js';
import { Utf8Arena } from '../runtime/parquet/utf8-values.js';
import { flattenProductCells, newNotes } from '../titelive/flatten-product.js';
import { PRODUCTS_COLUMNS } from '../titelive/product-columns.js';
import type { TiteliveProduct } from '../titelive/response-shapes.js';

/**
 * One batch of parse work, done on a worker thread: read a row range of a raw file, parse and
 * flatten its products, and encode the rows as one compressed Parquet row group, handed to the
 * main thread without a copy. The main thread decides, in input order, which EANs were already
 * written by earlier batches; in the rare case a batch has some, it is done again without them.
 */
export interface ParseTask {
  /** Where the raw rows are: the worker reads them itself, so they are never copied between threads. */
  range: RowRange;
  windowStart: string;
  /**
   * Run mode (fetch parts: ean, status, data): only this shard's `found` rows, each giving the
   * article it was fetched for. Without it, file mode (the seed's format): every article.
   */
  shard?: Shard;
  /** EANs written by earlier batches: their rows are left out. */
  dropEans?: string[];
}

/** What became of one parsed product. */
export type ProductOutcome = 'rows' | 'filtered_old' | 'article_missing' | 'unreadable';

export interface FlattenSummary {
  /** Raw rows read from the range. */
  inputRows: number;
  /** Run mode: rows not parsed, by reason (other_shards, skipped_deleted, skipped_failed, duplicate). */
  skipped: Record<string, number>;
  /** Per parsed product, in order. */
  outcomes: ProductOutcome[];
  /** Run mode: the EAN each parsed product was fetched for (unique within the batch). */
  fetchedEans: string[];
  /** Articles left out for being modified before the window. */
  filteredOld: number;
  /** `article_gencod` of each row kept, in order (unique within the batch). */
  gencods: string[];
  /** File mode: rows without an EAN (not written), and rows whose EAN an earlier row of the batch had. */
  noEan: number;
  duplicates: number;
  coercedToNull: Array<[string, number]>;
  extraFields: Array<[string, number]>;
}

export interface ParseReply {
  summary: FlattenSummary;
  /** The batch's rows, or null when it has none. */
  group: EncodedRowGroup | null;
}

const EMPTY_ROW = {};
const GENCOD = PRODUCTS_COLUMNS.findIndex((column) => column.name === 'article_gencod');
/**
 * Columns written plain: their text is encoded to UTF-8 as each row is kept, so a batch holds
 * small views instead of the strings while it fills up (fewer bytes for each young-generation
 * collection to copy: scavenges took 265–267 ms per worker on 50,000 products instead of
 * 292–299 ms, --trace-gc).
 */
const PLAIN_TEXT = PRODUCTS_COLUMNS.map(isPlainText);
/** Arenas free for the next batch: one per batch in progress (batches run one at a time in a worker). */
const freeArenas: Utf8Arena[] = [];

/** Does one batch (see ParseTask); runs in a worker thread, or inline when there are none. */
export async function parseBatch(task: ParseTask): Promise<ParseReply> {
  const text = freeArenas.pop() ?? new Utf8Arena();
  text.reset();
  try {
    return await parseInto(task, text);
  } finally {
    freeArenas.push(text);
  }
}

async function parseInto(task: ParseTask, text: Utf8Arena): Promise<ParseReply> {
  const notes = newNotes();
  const summary: FlattenSummary = { inputRows: 0, skipped: {}, outcomes: [], fetchedEans: [], filteredOld: 0, gencods: [], noEan: 0, duplicates: 0, coercedToNull: [], extraFields: [] };
  const columns: unknown[][] = PRODUCTS_COLUMNS.map(() => []);
  const inBatch = new Set<string>();
  // A product's articles share its text cells: each is encoded once.
  const lastText: unknown[] = PRODUCTS_COLUMNS.map(() => undefined);
  const lastBytes: unknown[] = PRODUCTS_COLUMNS.map(() => undefined);
  const skip = (reason: string) => (summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1);
  const rows = await readParquetRange(task.range, task.shard ? ['ean', 'status', 'data'] : ['data']);
  summary.inputRows = rows.length;
  for (let index = 0; index < rows.length; index++) {
    const raw = rows[index]!;
    // Dropped as soon as read: the batch's raw JSON is then garbage for the next young-generation
    // collection instead of being copied by each collection until the batch ends.
    rows[index] = EMPTY_ROW;
    let ean: string | undefined;
    if (task.shard) {
      ean = String(raw.ean);
      const reason = !belongsToShard(ean, task.shard) ? 'other_shards' : raw.status === 'deleted' ? 'skipped_deleted' : raw.status !== 'found' ? 'skipped_failed' : inBatch.has(ean) ? 'duplicate' : undefined;
      if (reason) {
        skip(reason);
        continue;
      }
      inBatch.add(ean);
      summary.fetchedEans.push(ean);
    }
    let product: TiteliveProduct | undefined;
    try {
      product = JSON.parse(String(raw.data)) as TiteliveProduct;
    } catch {
      product = undefined;
    }
    const flat = product ? flattenProductCells(product, { ean, windowStart: task.windowStart }, notes) : { rows: [], filteredOld: 0 };
    summary.outcomes.push(product === undefined ? 'unreadable' : flat.filteredOld > 0 && flat.rows.length === 0 ? 'filtered_old' : flat.rows.length === 0 ? 'article_missing' : 'rows');
    summary.filteredOld += flat.filteredOld;
    for (const cells of flat.rows) {
      const gencod = cells[GENCOD];
      if (typeof gencod !== 'string' || gencod.trim() === '') {
        summary.noEan += 1;
        continue;
      }
      if (!task.shard && inBatch.has(gencod)) {
        summary.duplicates += 1;
        continue;
      }
      if (!task.shard) inBatch.add(gencod);
      summary.gencods.push(gencod);
      // Cells already have the writer's types (see FlatValue).
      for (let j = 0; j < cells.length; j++) {
        const cell = cells[j];
        if (!PLAIN_TEXT[j] || typeof cell !== 'string') {
          columns[j]!.push(cell);
          continue;
        }
        if (cell !== lastText[j]) {
          lastText[j] = cell;
          lastBytes[j] = text.encode(cell);
        }
        columns[j]!.push(lastBytes[j]);
      }
    }
  }
  summary.coercedToNull = [...notes.coercedToNull];
  summary.extraFields = [...notes.extraFields];
  return { summary, group: encodeBatch(columns, summary.gencods, task.dropEans ?? []) };
}

function encodeBatch(columns: unknown[][], gencods: string[], dropEans: string[]): EncodedRowGroup | null {
  if (dropEans.length > 0) {
    const drop = new Set(dropEans);
    const keep = gencods.map((gencod) => !drop.has(gencod));
    columns = columns.map((values) => values.filter((_, index) => keep[index]));
  }
  const rowCount = columns[GENCOD]!.length;
  return rowCount === 0 ? null : encodeRowGroup(PRODUCTS_COLUMNS, columns, rowCount);
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
