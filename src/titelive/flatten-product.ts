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

/** Every column, in schema order, as null: the shape every row starts from. */
const EMPTY_ROW: FlatRow = Object.fromEntries(PRODUCTS_COLUMNS.map((column) => [column.name, null]));

/** A product's own fields, coerced once and shared by all its article rows. */
interface ProductPart {
  values: Array<[string, string | number | bigint | null]>;
  extra: Record<string, unknown>;
}

function productPart(product: TiteliveProduct, notes: FlattenNotes): ProductPart {
  const part: ProductPart = { values: [], extra: {} };
  for (const key in product) {
    if (key === 'article') continue;
    const column = COLUMNS.get(key);
    if (!column || column === EXTRA_FIELDS_COLUMN) part.extra[key] = product[key];
    else part.values.push([key, coerce(product[key], column, notes)]);
  }
  return part;
}

/**
 * One article of a product as one flat row: product fields as columns, article fields as
 * `article_<name>`, nested values as JSON text, "None"/"nan"/"NaN" as null, numbers coerced per
 * column (see product-columns.ts).
 */
export function flattenArticle(product: TiteliveProduct, article: TiteliveArticle, notes: FlattenNotes, shared: ProductPart = productPart(product, notes)): FlatRow {
  const row: FlatRow = { ...EMPTY_ROW };
  for (const [name, value] of shared.values) row[name] = value;
  let extra: Record<string, unknown> | undefined;
  for (const key in shared.extra) {
    (extra ??= {})[key] = shared.extra[key];
    notes.extraFields.set(key, (notes.extraFields.get(key) ?? 0) + 1);
  }
  for (const key in article) {
    const name = `article_${key}`;
    const column = COLUMNS.get(name);
    if (!column || column === EXTRA_FIELDS_COLUMN) {
      (extra ??= {})[name] = article[key];
      notes.extraFields.set(name, (notes.extraFields.get(name) ?? 0) + 1);
    } else {
      row[name] = coerce(article[key], column, notes);
    }
  }
  row[EXTRA_FIELDS_COLUMN.name] = extra ? JSON.stringify(extra) : null;
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
  let shared: ProductPart | undefined;
  for (const article of articlesOf(product)) {
    if (options.ean !== undefined && eanOf(article) !== options.ean) continue;
    if (!keepArticle(article, options.windowStart)) {
      filteredOld += 1;
      continue;
    }
    rows.push(flattenArticle(product, article, notes, (shared ??= productPart(product, notes))));
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
