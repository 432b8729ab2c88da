import type { ColumnSpec } from '../runtime/parquet/parquet-schema.js';
import { keepArticle } from './article-filter.js';
import { EXTRA_FIELDS_COLUMN, PRODUCTS_COLUMNS } from './product-columns.js';
import { articlesOf, eanOf, type TiteliveArticle, type TiteliveProduct } from './response-shapes.js';

/** The seed's spellings of "no value" in text fields. */
const NULL_STRINGS = new Set(['None', 'nan', 'NaN']);
const COLUMNS = new Map(PRODUCTS_COLUMNS.map((column) => [column.name, column]));

export type FlatRow = Record<string, string | number | bigint | null>;

/** What flattening one product found, beyond its rows. */
export interface FlattenNotes {
  /** Values that could not be read as their column's number type (column → count); stored as null. */
  coercedToNull: Map<string, number>;
  /** Fields outside the known columns (name → count), kept in `extra_fields`. */
  extraFields: Map<string, number>;
}

export function newNotes(): FlattenNotes {
  return { coercedToNull: new Map(), extraFields: new Map() };
}

/**
 * One article of a product as one flat row: product fields as columns, article fields as
 * `article_<name>`, nested values as JSON text, "None"/"nan"/"NaN" as null, numbers coerced per
 * column (see product-columns.ts).
 */
export function flattenArticle(product: TiteliveProduct, article: TiteliveArticle, notes: FlattenNotes): FlatRow {
  // Every column, in schema order, before any value: readers and writers see one shape.
  const row: FlatRow = {};
  for (const column of PRODUCTS_COLUMNS) row[column.name] = null;
  const extra: Record<string, unknown> = {};
  const put = (name: string, value: unknown) => {
    const column = COLUMNS.get(name);
    if (!column || column === EXTRA_FIELDS_COLUMN) {
      extra[name] = value;
      notes.extraFields.set(name, (notes.extraFields.get(name) ?? 0) + 1);
      return;
    }
    row[name] = coerce(value, column, notes);
  };
  for (const [key, value] of Object.entries(product)) if (key !== 'article') put(key, value);
  for (const [key, value] of Object.entries(article)) put(`article_${key}`, value);
  row[EXTRA_FIELDS_COLUMN.name] = Object.keys(extra).length > 0 ? JSON.stringify(extra) : null;
  return row;
}

/**
 * The rows a raw product gives. With `ean` (run mode), only the article fetched for that EAN;
 * without it (seed file mode), every article. Articles modified before the window start are
 * dropped; missing or unparseable dates are kept.
 */
export function flattenProduct(product: TiteliveProduct, options: { ean?: string; windowStart: string }, notes: FlattenNotes): { rows: FlatRow[]; filteredOld: number } {
  const rows: FlatRow[] = [];
  let filteredOld = 0;
  for (const article of articlesOf(product)) {
    if (options.ean !== undefined && eanOf(article) !== options.ean) continue;
    if (!keepArticle(article, options.windowStart)) {
      filteredOld += 1;
      continue;
    }
    rows.push(flattenArticle(product, article, notes));
    if (options.ean !== undefined) break;
  }
  return { rows, filteredOld };
}

function coerce(value: unknown, column: ColumnSpec, notes: FlattenNotes): string | number | bigint | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && NULL_STRINGS.has(value)) return null;
  if (column.type === 'STRING') {
    if (typeof value === 'string') return value;
    return JSON.stringify(value);
  }
  const number = toNumber(value);
  const ok = number !== undefined && (column.type === 'DOUBLE' || Number.isInteger(number));
  if (!ok) {
    if (!(typeof value === 'string' && value.trim() === '')) notes.coercedToNull.set(column.name, (notes.coercedToNull.get(column.name) ?? 0) + 1);
    return null;
  }
  return column.type === 'DOUBLE' ? number : BigInt(number);
}

/** Numbers, and numeric strings with a dot or a French decimal comma. */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().replace(',', '.');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
