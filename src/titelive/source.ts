import type { Source } from '../source.js';
import { CATEGORY_SEED_NAMES } from './categories.js';
import { ean13Problem } from './ean13.js';

/**
 * Titelive: the datasets paper and music (the seed's LIVRE and MUSIQUE_ENREGISTREE). Its API
 * client and its products' rules load only when a stage uses them.
 */
export const titeliveSource: Source = {
  name: 'titelive',
  datasetSpellings: CATEGORY_SEED_NAMES,
  connect: async (config, slot, logger) => (await import('./connection.js')).titeliveConnection(config, slot, logger),
  products: async () => (await import('./products-facet.js')).TITELIVE_PRODUCTS,
  keyProblem: ean13Problem,
  keyColumns: ['ean', 'gencod', 'article_gencod'],
};
