import { parentPort } from 'node:worker_threads';
import { encodeParquetValue } from '../runtime/parquet/parquet-writer.js';
import { flattenProduct, newNotes } from '../titelive/flatten-product.js';
import { PRODUCTS_COLUMNS } from '../titelive/product-columns.js';
import type { TiteliveProduct } from '../titelive/response-shapes.js';

/** One batch of raw products for a parse worker: JSON text, and the EAN each was fetched for (run mode). */
export interface ParseTask {
  data: string[];
  eans?: string[];
  windowStart: string;
}

/**
 * A batch's rows as columns (PRODUCTS_COLUMNS order, values encoded for the Parquet writer), in
 * input order: handing columns rather than row objects to the main thread saves it most of the
 * decoding and garbage collection.
 */
export interface ParseResult {
  /** Per input product: rows it gave, articles too old, and whether its JSON was unreadable. */
  rowCounts: number[];
  filteredOld: number[];
  unreadable: boolean[];
  columns: unknown[][];
  /** `article_gencod` of each row, for de-duplication on the main thread. */
  gencods: Array<string | null>;
  coercedToNull: Array<[string, number]>;
  extraFields: Array<[string, number]>;
}

export function parseBatch(task: ParseTask): ParseResult {
  const notes = newNotes();
  const result: ParseResult = {
    rowCounts: [],
    filteredOld: [],
    unreadable: [],
    columns: PRODUCTS_COLUMNS.map(() => []),
    gencods: [],
    coercedToNull: [],
    extraFields: [],
  };
  task.data.forEach((text, index) => {
    let product: TiteliveProduct | undefined;
    try {
      product = JSON.parse(text) as TiteliveProduct;
    } catch {
      product = undefined;
    }
    const flat = product ? flattenProduct(product, { ean: task.eans?.[index], windowStart: task.windowStart }, notes) : { rows: [], filteredOld: 0 };
    result.rowCounts.push(flat.rows.length);
    result.filteredOld.push(flat.filteredOld);
    result.unreadable.push(product === undefined);
    for (const row of flat.rows) {
      PRODUCTS_COLUMNS.forEach((column, j) => result.columns[j]!.push(encodeParquetValue(row[column.name], column)));
      result.gencods.push(typeof row.article_gencod === 'string' ? row.article_gencod : null);
    }
  });
  result.coercedToNull = [...notes.coercedToNull];
  result.extraFields = [...notes.extraFields];
  return result;
}

parentPort?.on('message', ({ id, task }: { id: number; task: ParseTask }) => {
  try {
    parentPort?.postMessage({ id, result: parseBatch(task) });
  } catch (error) {
    parentPort?.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
