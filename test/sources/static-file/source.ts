import { readFile } from 'node:fs/promises';
import type { FlatValue, FlattenNotes, ProductsFacet, Source } from '../../../src/source.js';
import type { ColumnSpec } from '../../../src/runtime/parquet/parquet-schema.js';

/** One item of the file: a key, the day it last changed, and its fields. */
export interface StaticItem {
  id: string;
  modified: string;
  title: string;
  price: number;
  [field: string]: unknown;
}

const COLUMNS: ColumnSpec[] = [
  { name: 'id', type: 'STRING', required: true },
  { name: 'title', type: 'STRING' },
  { name: 'price', type: 'DOUBLE' },
  { name: 'extra_fields', type: 'STRING' },
];
const KNOWN = new Set(['id', 'modified', 'title', 'price']);

function newNotes(): FlattenNotes {
  return { coercedToNull: new Uint32Array(COLUMNS.length), textToNumber: new Uint32Array(COLUMNS.length), numberToText: new Uint32Array(COLUMNS.length), extraFields: new Map() };
}

const products: ProductsFacet = {
  columns: COLUMNS,
  keyColumn: 'id',
  newNotes,
  countsByColumn: (counts) => [...counts].flatMap((count, position) => (count > 0 ? [[COLUMNS[position]!.name, count] as [string, number]] : [])),
  addCountsByColumn: (counts, found) => {
    for (const [name, count] of found) counts[COLUMNS.findIndex((column) => column.name === name)]! += count;
  },
  flatten: (product, { key, windowStart }, notes) => {
    const item = product as StaticItem;
    if (key !== undefined && item.id !== key) return { rows: [], filteredOld: 0 };
    if (item.modified < windowStart) return { rows: [], filteredOld: 1 };
    let price: FlatValue = typeof item.price === 'number' ? item.price : null;
    if (price === null && item.price !== undefined) notes.coercedToNull[2]! += 1;
    const extras = Object.fromEntries(Object.entries(item).filter(([field]) => !KNOWN.has(field)));
    for (const field of Object.keys(extras)) notes.extraFields.set(field, (notes.extraFields.get(field) ?? 0) + 1);
    price = price === null ? null : Number(price);
    return { rows: [[item.id, item.title ?? null, price, Object.keys(extras).length > 0 ? JSON.stringify(extras) : null]], filteredOld: 0 };
  },
  imageSides: [],
  imageColumns: ['id'],
  imageSidesOf: () => [],
  document: (row, dataset) => ({ _id: String(row.id), dataset, title: row.title ?? null, price: row.price ?? null, extra_fields: typeof row.extra_fields === 'string' ? JSON.parse(row.extra_fields) : null }),
  imagesRowOf: () => undefined,
  documentSchema: { bsonType: 'object', required: ['_id', 'dataset', 'status'], properties: { _id: { bsonType: 'string' }, price: { bsonType: ['double', 'int', 'null'] } } },
  deletedStatus: 'deleted_from_file',
  documentIndexes: [{ key: { status: 1 }, name: 'status' }],
};

/**
 * A second source for the tests: a JSON file of items, read again at each call, so a test can
 * change it between stages (an item removed is deleted at fetch). It has one dataset.
 */
export function staticFileSource(options: { dataset: string; file: string }): Source {
  const read = async () => JSON.parse(await readFile(options.file, 'utf8')) as StaticItem[];
  return {
    name: `static-file:${options.dataset}`,
    datasetSpellings: { [options.dataset]: options.dataset },
    connect: async () => ({
      origin: `file://${options.file}`,
      listDay: async ({ day, windowStart }) => {
        const items = (await read()).filter((item) => item.modified === day);
        return { total: items.length, products: items.length, requests: 1, anomalies: [], items: items.map((item) => ({ key: item.id || undefined, inWindow: item.modified >= windowStart })) };
      },
      fetchBatch: async (_dataset, keys) => {
        const byId = new Map((await read()).map((item) => [item.id, item]));
        return keys.map((key) => {
          const item = byId.get(key);
          return item ? { key, status: 'found' as const, data: JSON.stringify(item) } : { key, status: 'deleted' as const };
        });
      },
      close: () => undefined,
    }),
    products: async () => products,
  };
}
