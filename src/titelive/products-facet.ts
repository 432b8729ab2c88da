import type { ProductsFacet } from '../source.js';
import { flattenProductBytes } from './flatten-product-bytes.js';
import { addCountsByColumn, countsByColumn, flattenProductCells, newNotes } from './flatten-product.js';
import { IMAGE_COLUMNS, IMAGE_SIDES, imageSidesOf } from './image-sides.js';
import { PRODUCTS_COLUMNS } from './product-columns.js';
import { DELETED_STATUS, PRODUCT_DOCUMENT_SCHEMA, PRODUCT_INDEXES } from './product-collection.js';
import { imagesRowOfDocument, productContent } from './product-document.js';

/** Titelive's products: one row per article (key article_gencod), its covers, its documents. */
export const TITELIVE_PRODUCTS: ProductsFacet = {
  columns: PRODUCTS_COLUMNS,
  keyColumn: 'article_gencod',
  newNotes,
  countsByColumn,
  addCountsByColumn,
  flatten: flattenProductCells,
  flattenBytes: flattenProductBytes,
  imageSides: IMAGE_SIDES,
  imageColumns: IMAGE_COLUMNS,
  imageSidesOf,
  document: productContent,
  imagesRowOf: imagesRowOfDocument,
  documentSchema: PRODUCT_DOCUMENT_SCHEMA,
  deletedStatus: DELETED_STATUS,
  documentIndexes: PRODUCT_INDEXES,
};
