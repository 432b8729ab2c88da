import type { DocumentContent, ImageMirror } from '../source.js';
import { withStoredKeys } from '../runtime/document-keys.js';
import { parseDayFirst } from './day-first-dates.js';
import { IMAGE_SIDES } from './image-sides.js';
import { NESTED_COLUMN_NAMES, PRODUCTS_COLUMNS } from './product-columns.js';

export type { ImageMirror } from '../source.js';

/** What the database stores for one article, before the bookkeeping fields. */
export interface ProductContent extends DocumentContent {
  category: string;
  titeliveModifiedAt: Date | null;
  images: Record<string, ImageMirror> | null;
  [field: string]: unknown;
}

/**
 * One `products` row (and its `images` row, when there is one) as a document: `_id` is the
 * article EAN; every column keeps its name, nested JSON text becomes objects and lists again
 * (their free-form keys stored by the rule of document-keys.ts, so no key is refused),
 * numbers stay numbers (INT64 as numbers when they fit), and `titeliveModifiedAt` is the article's
 * day-first modification date as a real date (null when missing or unreadable).
 */
export function productContent(row: Record<string, unknown>, category: string, images?: Record<string, unknown>): ProductContent {
  const content: ProductContent = { _id: String(row.article_gencod), category, titeliveModifiedAt: null, images: null };
  for (const column of PRODUCTS_COLUMNS) {
    if (column.name === 'article_gencod') continue;
    let value: unknown = row[column.name] ?? null;
    if (typeof value === 'bigint') value = Number(value);
    if (typeof value === 'string' && NESTED_COLUMN_NAMES.has(column.name)) value = withStoredKeys(parseNested(value));
    content[column.name] = value;
  }
  const modified = parseDayFirst(row.article_datemodification);
  content.titeliveModifiedAt = modified ? new Date(`${modified}T00:00:00Z`) : null;
  if (images) {
    content.images = Object.fromEntries(
      IMAGE_SIDES.map((side) => [
        side,
        {
          url: (images[side] as string | null) ?? null,
          uuid: (images[`${side}_uuid`] as string | null) ?? null,
          path: (images[`${side}_gcs_path`] as string | null) ?? null,
          status: (images[`${side}_upload_status`] as string | null) ?? null,
        },
      ]),
    );
  }
  return content;
}

function parseNested(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not JSON after all (a plain string in a nested column): kept as it came.
    return text;
  }
}

/** The images row a stored document was made from (productContent's `images`, read back), or undefined when it had none. */
export function imagesRowOfDocument(document: Record<string, unknown>): Record<string, unknown> | undefined {
  const images = document.images as Record<string, Partial<ImageMirror> | undefined> | null | undefined;
  if (!images) return undefined;
  const row: Record<string, unknown> = {};
  for (const side of IMAGE_SIDES) {
    const mirror = images[side];
    row[side] = mirror?.url ?? null;
    row[`${side}_uuid`] = mirror?.uuid ?? null;
    row[`${side}_gcs_path`] = mirror?.path ?? null;
    row[`${side}_upload_status`] = mirror?.status ?? null;
  }
  return row;
}
