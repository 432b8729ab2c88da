import { parentPort } from 'node:worker_threads';
import { flattenProduct, newNotes, type FlatRow } from '../titelive/flatten-product.js';
import type { TiteliveProduct } from '../titelive/response-shapes.js';

/** One batch of raw products for a parse worker: JSON text, and the EAN each was fetched for (run mode). */
export interface ParseTask {
  data: string[];
  eans?: string[];
  windowStart: string;
}

/** Per input product: its rows, how many articles were too old, or that its JSON was unreadable. */
export interface ParseResult {
  items: Array<{ rows: FlatRow[]; filteredOld: number; unreadable?: true }>;
  coercedToNull: Array<[string, number]>;
  extraFields: Array<[string, number]>;
}

export function parseBatch(task: ParseTask): ParseResult {
  const notes = newNotes();
  const items = task.data.map((text, index) => {
    let product: TiteliveProduct;
    try {
      product = JSON.parse(text) as TiteliveProduct;
    } catch {
      return { rows: [], filteredOld: 0, unreadable: true as const };
    }
    return flattenProduct(product, { ean: task.eans?.[index], windowStart: task.windowStart }, notes);
  });
  return { items, coercedToNull: [...notes.coercedToNull], extraFields: [...notes.extraFields] };
}

parentPort?.on('message', ({ id, task }: { id: number; task: ParseTask }) => {
  try {
    parentPort?.postMessage({ id, result: parseBatch(task) });
  } catch (error) {
    parentPort?.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
