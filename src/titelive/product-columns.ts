import type { ColumnSpec, ColumnType } from '../runtime/parquet/parquet-schema.js';
import { columnName, FIELD_CATALOGUE, type CatalogueField, type FieldRule } from './field-catalogue.js';

/** The Parquet type each rule writes (see field-catalogue.ts). */
const RULE_TYPES: Record<FieldRule, ColumnType> = { integer: 'INT64', decimal: 'DOUBLE', text: 'STRING', json: 'STRING' };

/** A products/ column: a catalogue field, or extra_fields. */
export interface ProductColumn extends ColumnSpec {
  rule: FieldRule;
  /** The catalogue entry it comes from; none for extra_fields. */
  source?: CatalogueField;
}

function catalogueColumn(source: CatalogueField): ProductColumn {
  const name = columnName(source.level, source.field);
  return {
    name,
    type: RULE_TYPES[source.rule],
    rule: source.rule,
    source,
    ...(source.plain ? { plain: true } : {}),
    ...(name === 'article_gencod' ? { required: true } : {}),
  };
}

/** Fields outside the catalogue, as one JSON object per row (column name → value as sent). */
export const EXTRA_FIELDS_COLUMN: ProductColumn = { name: 'extra_fields', type: 'STRING', rule: 'json' };

/**
 * The products/ schema: one column per catalogue field, product fields then article fields, then
 * extra_fields. One schema for every part of every run and both categories, so readers (DuckDB,
 * BigQuery, pyarrow) read all parts together; a music-only field is null on book rows.
 */
export const PRODUCTS_COLUMNS: readonly ProductColumn[] = [...FIELD_CATALOGUE.map(catalogueColumn), EXTRA_FIELDS_COLUMN];

/** The columns holding JSON text of nested values (restored as objects in MongoDB). */
export const NESTED_COLUMN_NAMES: ReadonlySet<string> = new Set(PRODUCTS_COLUMNS.filter((column) => column.rule === 'json').map((column) => column.name));
