import { SEEN_IN, type CatalogueField, type FieldRule } from './field-catalogue.js';
import { EXTRA_FIELDS_COLUMN, PRODUCTS_COLUMNS } from './product-columns.js';

/** What each rule does, in the words docs/columns.md uses. */
const RULE_TEXT: Record<FieldRule, string> = {
  integer: 'whole number; digit strings read as numbers',
  decimal: 'number; digit strings and a decimal comma read',
  text: 'text as sent; a number as its decimal text',
  json: 'JSON text of the value',
};

function sourcePath(source: CatalogueField): string {
  return source.level === 'article' ? `article[].${source.field}` : source.field;
}

/**
 * docs/columns.md, made from the field catalogue: `npm run docs:columns` writes it, and a test
 * fails when the file and the catalogue differ.
 */
export function renderColumnsDoc(): string {
  const lines = [
    '# products/ columns',
    '',
    'Generated from `src/titelive/field-catalogue.ts` by `npm run docs:columns`; a test fails when',
    'this file and the catalogue differ. One row per column of every `products/` part (books and',
    'music share the schema), in file order. The MongoDB documents `load` writes carry the same',
    'names; `json` columns are objects or lists there.',
    '',
    '- **source**: where the value is in a product of a /search or /ean answer (`article[]`: each',
    '  article, whether `article` comes as a list or as an object keyed "1", "2", …).',
    '- **rule**: how the value becomes the column type. Every rule stores `None`, `nan` and `NaN` as',
    '  null. A value a number rule cannot read is null and counted (`coerced_to_null` in the shard',
    "  manifest's anomalies); digit strings read as numbers and numbers stored as text are counted",
    "  in the manifest's `details.coercions`.",
    `- **seen in**: the real answers that show the field, as kept by the public pass Culture backend (${Object.entries(SEEN_IN).map(([letter, text]) => `${letter}: ${text}`).join('; ')}).`,
    '',
    '| column | source | type | rule | seen in |',
    '|---|---|---|---|---|',
  ];
  for (const column of PRODUCTS_COLUMNS) {
    if (column === EXTRA_FIELDS_COLUMN) {
      lines.push('| `extra_fields` | every field outside this table | STRING | JSON object: column name → value as sent; null when there is none | — |');
      continue;
    }
    const source = column.source!;
    lines.push(`| \`${column.name}\` | \`${sourcePath(source)}\` | ${column.type} | ${column.rule}: ${RULE_TEXT[column.rule]} | ${source.seen} |`);
  }
  return `${lines.join('\n')}\n`;
}
