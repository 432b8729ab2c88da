import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SandboxCatalog } from '../../src/sandbox/catalog.js';
import { renderColumnsDoc } from '../../src/titelive/columns-doc.js';
import { FIELD_CATALOGUE } from '../../src/titelive/field-catalogue.js';
import { PRODUCTS_COLUMNS } from '../../src/titelive/product-columns.js';
import { articlesOf } from '../../src/titelive/response-shapes.js';

/** The fields the downstream warehouse (pass Culture's dbt) reads from Titelive products. */
const DOWNSTREAM = {
  both: ['titre', 'auteurs_multi', 'article_resume', 'article_codesupport', 'article_dateparution', 'article_editeur', 'article_gtl', 'article_prix', 'article_image', 'article_image_4', 'article_id_lectorat', 'article_langueiso', 'article_taux_tva', 'article_contributor', 'article_serie', 'article_idserie'],
  music: ['article_artiste', 'article_label', 'article_compositeur', 'article_interprete', 'article_nb_galettes'],
};

describe('the field catalogue', () => {
  it('is what docs/columns.md says, column for column (npm run docs:columns writes it)', () => {
    const file = readFileSync(path.resolve(import.meta.dirname, '..', '..', 'docs', 'columns.md'), 'utf8');
    expect(file === renderColumnsDoc(), 'docs/columns.md is out of date: run npm run docs:columns').to.equal(true);
  });

  it('has a column for every field the downstream warehouse reads, with the seed’s types', () => {
    const byName = new Map(PRODUCTS_COLUMNS.map((column) => [column.name, column]));
    for (const name of [...DOWNSTREAM.both, ...DOWNSTREAM.music]) expect(byName.has(name), name).to.equal(true);
    expect(byName.get('id')!.type).to.equal('INT64');
    for (const name of ['article_taux_tva', 'article_prix']) expect(byName.get(name)!.type, name).to.equal('DOUBLE');
    for (const name of ['article_image', 'article_image_4', 'article_iad', 'article_typeproduit', 'article_dispo', 'article_nbpages', 'article_pages']) expect(byName.get(name)!.type, name).to.equal('INT64');
  });

  it('is covered by the sandbox: every field the fixtures show is sent by one of its shapes', () => {
    const catalog = new SandboxCatalog({ products: 300, seed: 5, endDay: '2024-01-31', days: 30, imageBaseUrl: 'https://images.epagine.fr' });
    const sent = new Set<string>();
    for (const category of ['paper', 'music'] as const) {
      for (let index = 0; index < 300; index++) {
        for (const form of ['search', 'ean'] as const) {
          const product = catalog.product(category, index, form);
          for (const key of Object.keys(product)) if (key !== 'article') sent.add(`product:${key}`);
          for (const article of articlesOf(product)) for (const key of Object.keys(article)) sent.add(`article:${key}`);
        }
      }
    }
    const fromFixtures = FIELD_CATALOGUE.filter((field) => field.seen !== 'W');
    const missing = fromFixtures.filter((field) => !sent.has(`${field.level}:${field.field}`)).map((field) => `${field.level}:${field.field}`);
    expect(missing, 'catalogue fields the sandbox never sends').to.deep.equal([]);
    const known = new Set(FIELD_CATALOGUE.map((field) => `${field.level}:${field.field}`));
    expect([...sent].filter((key) => !known.has(key)), 'sandbox fields outside the catalogue').to.deep.equal([]);
  });
});
