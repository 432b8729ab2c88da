import type { FieldRule } from './field-catalogue.js';
import { PRODUCTS_COLUMNS } from './product-columns.js';

/* The products collection's rules: its validator and the indexes users query by. */

/** The `status` of a document whose EAN Titelive no longer has. */
export const DELETED_STATUS = 'deleted_in_titelive';

/** The BSON types a column's values take in a document, by its catalogue rule. */
const RULE_BSON_TYPES: Record<Exclude<FieldRule, 'json'>, string[]> = {
  integer: ['int', 'long', 'null'],
  decimal: ['double', 'int', 'long', 'null'],
  text: ['string', 'null'],
};

/** Every typed catalogue column; nested (json) ones take whatever shape Titelive sends. */
function catalogueProperties(): Record<string, { bsonType: string[] }> {
  const properties: Record<string, { bsonType: string[] }> = {};
  for (const column of PRODUCTS_COLUMNS) {
    if (column.rule === 'json' || column.name === 'article_gencod') continue;
    properties[column.name] = { bsonType: RULE_BSON_TYPES[column.rule] };
  }
  return properties;
}

/** The collection's `$jsonSchema` validator: the fields every document has, and the type of each catalogue field. */
export const PRODUCT_DOCUMENT_SCHEMA = {
  bsonType: 'object',
  required: ['_id', 'category', 'status', 'contentHash', 'firstSeenRunId', 'lastChangedRunId', 'updatedAt'],
  properties: {
    ...catalogueProperties(),
    _id: { bsonType: 'string', minLength: 1 },
    category: { enum: ['paper', 'music'] },
    status: { enum: ['active', DELETED_STATUS] },
    titeliveModifiedAt: { bsonType: ['date', 'null'] },
    deletedAt: { bsonType: ['date', 'null'] },
    contentHash: { bsonType: 'string' },
    firstSeenRunId: { bsonType: 'string' },
    lastChangedRunId: { bsonType: 'string' },
    updatedAt: { bsonType: 'date' },
    images: { bsonType: ['object', 'null'] },
  },
} as const;

/** The indexes users query by (the EAN is `_id`): the bookkeeping ones, then the catalogue's indexed fields. */
export const PRODUCT_INDEXES: Array<{ key: Record<string, 1>; name: string }> = [
  { key: { titeliveModifiedAt: 1 }, name: 'titeliveModifiedAt' },
  { key: { category: 1, titeliveModifiedAt: 1 }, name: 'category_titeliveModifiedAt' },
  { key: { status: 1, deletedAt: 1 }, name: 'status_deletedAt' },
  ...PRODUCTS_COLUMNS.filter((column) => column.source?.indexed).map((column) => ({ key: { [column.name]: 1 as const }, name: column.name })),
];
