import { bigIntOf } from '../runtime/parquet/number-column.js';
import { keepArticle } from './article-filter.js';
import type { FieldRule } from './field-catalogue.js';
import { EXTRA_FIELDS_COLUMN, PRODUCTS_COLUMNS } from './product-columns.js';
import { articlesOf, eanOf, type TiteliveArticle, type TiteliveProduct } from './response-shapes.js';

import type { FlatValue, FlattenNotes, FlattenOptions } from '../source.js';

export type { FlatValue, FlattenNotes } from '../source.js';
/** One row, its cells in PRODUCTS_COLUMNS order. */
export type FlatCells = FlatValue[];
export type FlatRow = Record<string, FlatValue>;

/** Notes sized for PRODUCTS_COLUMNS (see FlattenNotes). */
export function newNotes(): FlattenNotes {
  const size = PRODUCTS_COLUMNS.length;
  return { coercedToNull: new Uint32Array(size), textToNumber: new Uint32Array(size), numberToText: new Uint32Array(size), extraFields: new Map() };
}

/** The counts of `notes` that are not zero, by column name: what a summary or manifest carries. */
export function countsByColumn(counts: Uint32Array): Array<[string, number]> {
  const found: Array<[string, number]> = [];
  counts.forEach((count, position) => {
    if (count > 0) found.push([PRODUCTS_COLUMNS[position]!.name, count]);
  });
  return found;
}

/** Adds counts by column name (from countsByColumn) into `counts`. */
export function addCountsByColumn(counts: Uint32Array, found: ReadonlyArray<[string, number]>): void {
  for (const [name, count] of found) {
    const position = POSITIONS.get(name);
    if (position !== undefined) counts[position]! += count;
  }
}

const EXTRA = PRODUCTS_COLUMNS.indexOf(EXTRA_FIELDS_COLUMN);
const POSITIONS = new Map(PRODUCTS_COLUMNS.map((column, index) => [column.name, index]));
const RULES: readonly FieldRule[] = PRODUCTS_COLUMNS.map((column) => column.rule);
const EMPTY_CELLS: FlatCells = PRODUCTS_COLUMNS.map(() => null);

/**
 * Field name → column position (-1: not in the catalogue, goes to extra_fields), for product
 * fields and for article fields (`article_<name>`). Cached because the same names come back on
 * every product; bounded so unexpected names cannot grow it without limit.
 */
class FieldPositions {
  private readonly cache = new Map<string, number>();
  constructor(private readonly prefix: string) {}

  of(field: string): number {
    let position = this.cache.get(field);
    if (position === undefined) {
      position = POSITIONS.get(this.prefix + field) ?? -1;
      if (position === EXTRA) position = -1;
      if (this.cache.size < 1_000) this.cache.set(field, position);
    }
    return position;
  }
}
const PRODUCT_FIELDS = new FieldPositions('');
const ARTICLE_FIELDS = new FieldPositions('article_');

/** A product's own fields, coerced once and shared by all its article rows. */
interface ProductPart {
  cells: FlatCells;
  extra: Record<string, unknown> | undefined;
}

function productPart(product: TiteliveProduct, notes: FlattenNotes): ProductPart {
  const cells = EMPTY_CELLS.slice();
  let extra: Record<string, unknown> | undefined;
  for (const key in product) {
    if (key === 'article') continue;
    const position = PRODUCT_FIELDS.of(key);
    if (position < 0) (extra ??= {})[key] = product[key];
    else cells[position] = coerce(product[key], position, notes);
  }
  return { cells, extra };
}

/**
 * One article of a product as one flat row: product fields as columns, article fields as
 * `article_<name>`, each by its catalogue rule (see field-catalogue.ts). Fields outside the
 * catalogue go, as JSON, to extra_fields.
 */
function flattenArticle(article: TiteliveArticle, shared: ProductPart, notes: FlattenNotes): FlatCells {
  const cells = shared.cells.slice();
  let extra: Record<string, unknown> | undefined;
  if (shared.extra) {
    extra = { ...shared.extra };
    for (const key in shared.extra) notes.extraFields.set(key, (notes.extraFields.get(key) ?? 0) + 1);
  }
  for (const key in article) {
    const position = ARTICLE_FIELDS.of(key);
    if (position < 0) {
      const name = `article_${key}`;
      (extra ??= {})[name] = article[key];
      notes.extraFields.set(name, (notes.extraFields.get(name) ?? 0) + 1);
    } else {
      cells[position] = coerce(article[key], position, notes);
    }
  }
  cells[EXTRA] = extra ? JSON.stringify(extra) : null;
  return cells;
}

/**
 * The rows a raw product gives, as cells in PRODUCTS_COLUMNS order. With `ean` (run mode), only
 * the article fetched for that EAN; without it (seed file mode), every article. Articles
 * modified before the window start are dropped; missing or unparseable dates are kept.
 */
export function flattenProductCells(product: TiteliveProduct, options: FlattenOptions, notes: FlattenNotes): { rows: FlatCells[]; filteredOld: number } {
  const rows: FlatCells[] = [];
  let filteredOld = 0;
  let shared: ProductPart | undefined;
  for (const article of articlesOf(product)) {
    if (options.key !== undefined && eanOf(article) !== options.key) continue;
    if (!keepArticle(article, options.windowStart)) {
      filteredOld += 1;
      continue;
    }
    rows.push(flattenArticle(article, (shared ??= productPart(product, notes)), notes));
    if (options.key !== undefined) break;
  }
  return { rows, filteredOld };
}

/** flattenProductCells with each row as an object keyed by column name. */
export function flattenProduct(product: TiteliveProduct, options: FlattenOptions, notes: FlattenNotes): { rows: FlatRow[]; filteredOld: number } {
  const { rows, filteredOld } = flattenProductCells(product, options, notes);
  return { rows: rows.map((cells) => Object.fromEntries(PRODUCTS_COLUMNS.map((column, index) => [column.name, cells[index]!]))), filteredOld };
}

/** A value by its column's rule (see field-catalogue.ts), counting what the rule changed. */
export function coerce(value: unknown, position: number, notes: FlattenNotes): FlatValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && isNullText(value)) return null;
  switch (RULES[position]) {
    case 'text':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') notes.numberToText[position]! += 1;
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    case 'json':
      // Most nested values are empty lists.
      return Array.isArray(value) && value.length === 0 ? '[]' : JSON.stringify(value);
    case 'integer':
      return toInteger(value, position, notes);
    default:
      return toDecimal(value, position, notes);
  }
}

function toInteger(value: unknown, position: number, notes: FlattenNotes): bigint | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return bigIntOf(value);
  const digits = typeof value === 'string' ? digitsValue(value) : -1;
  if (digits >= 0) {
    notes.textToNumber[position]! += 1;
    return bigIntOf(digits);
  }
  const number = toNumber(value);
  if (number !== undefined && Number.isSafeInteger(number)) {
    if (typeof value === 'string') notes.textToNumber[position]! += 1;
    return bigIntOf(number);
  }
  if (!(typeof value === 'string' && value.trim() === '')) notes.coercedToNull[position]! += 1;
  return null;
}

function toDecimal(value: unknown, position: number, notes: FlattenNotes): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  const number = toNumber(value);
  if (number !== undefined) {
    if (typeof value === 'string') notes.textToNumber[position]! += 1;
    return number;
  }
  if (!(typeof value === 'string' && value.trim() === '')) notes.coercedToNull[position]! += 1;
  return null;
}

/** A short string of ASCII digits as its value ("0", "160"); -1 for anything else. */
function digitsValue(text: string): number {
  if (text.length === 0 || text.length > 15) return -1;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i) - 48;
    if (code < 0 || code > 9) return -1;
    value = value * 10 + code;
  }
  return value;
}

/** The seed's spellings of "no value": "None", "nan", "NaN". */
function isNullText(value: string): boolean {
  return value.length <= 4 && (value === 'None' || value === 'nan' || value === 'NaN');
}

/** Numbers, booleans, and numeric strings with a dot or a French decimal comma. */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().replace(',', '.');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
