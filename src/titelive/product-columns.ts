import type { ColumnSpec } from '../runtime/parquet/parquet-schema.js';

/**
 * The products/ schema: one schema for every part of every run, so readers (DuckDB, BigQuery,
 * pyarrow) read all parts together. Known columns come first, in this order; a field Titelive
 * sends that is not listed here goes, under the column name it would have, into the JSON object
 * of `extra_fields` (and is counted in the shard manifest), until it is added to this list.
 *
 * Types follow the seed: `article_taux_tva` and `article_prix` are floats; the flags
 * `article_image`, `article_image_4`, `article_iad` and `article_typeproduit` are integers;
 * every other column is a string: text as is, numbers and booleans as their JSON text, objects
 * and lists as JSON.
 */
export const PRODUCT_FIELDS: ColumnSpec[] = [
  { name: 'id', type: 'STRING', plain: true },
  { name: 'titre', type: 'STRING', plain: true },
  { name: 'auteurs', type: 'STRING' },
  { name: 'auteurs_multi', type: 'STRING' },
  { name: 'resume', type: 'STRING', plain: true },
  { name: 'editeur', type: 'STRING' },
  { name: 'langueiso', type: 'STRING' },
  { name: 'nb_articles', type: 'STRING' },
];

export const ARTICLE_FIELDS: ColumnSpec[] = [
  { name: 'article_gencod', type: 'STRING', plain: true, required: true },
  { name: 'article_datemodification', type: 'STRING' },
  { name: 'article_prix', type: 'DOUBLE', plain: true },
  { name: 'article_taux_tva', type: 'DOUBLE' },
  { name: 'article_image', type: 'INT64' },
  { name: 'article_image_4', type: 'INT64' },
  { name: 'article_iad', type: 'INT64' },
  { name: 'article_typeproduit', type: 'INT64' },
  { name: 'article_dispo', type: 'STRING' },
  { name: 'article_libelledispo', type: 'STRING' },
  { name: 'article_dateparution', type: 'STRING', plain: true },
  { name: 'article_editeur', type: 'STRING' },
  { name: 'article_collection', type: 'STRING' },
  { name: 'article_poids', type: 'STRING', plain: true },
  { name: 'article_nbpages', type: 'STRING', plain: true },
  { name: 'article_nb_support', type: 'STRING' },
  { name: 'article_label', type: 'STRING' },
  { name: 'article_imagesUrl', type: 'STRING', plain: true },
  { name: 'article_gtl', type: 'STRING' },
];

export const EXTRA_FIELDS_COLUMN: ColumnSpec = { name: 'extra_fields', type: 'STRING' };

export const PRODUCTS_COLUMNS: ColumnSpec[] = [...PRODUCT_FIELDS, ...ARTICLE_FIELDS, EXTRA_FIELDS_COLUMN];
