import { expect } from 'chai';
import { SandboxCatalog } from '../../src/sandbox/catalog.js';
import { countsByColumn, flattenProduct, newNotes } from '../../src/titelive/flatten-product.js';
import { FIELD_CATALOGUE } from '../../src/titelive/field-catalogue.js';
import { PRODUCTS_COLUMNS } from '../../src/titelive/product-columns.js';
import { articlesOf } from '../../src/titelive/response-shapes.js';

const catalog = new SandboxCatalog({ products: 200, seed: 3, endDay: '2024-01-31', days: 30, imageBaseUrl: 'https://images.epagine.fr' });

/** The first product of the catalog with the given book shape. */
function productOf(flavour: string, form: 'search' | 'ean' = 'search'): Record<string, unknown> {
  for (let index = 0; index < 200; index++) if (catalog.flavour('paper', index) === flavour) return catalog.product('paper', index, form);
  throw new Error(`no ${flavour} product`);
}

describe('flattening a product (the field catalogue’s rules)', () => {
  it('makes every field of a real-shaped answer a column of its own, leaving extra_fields empty', () => {
    for (const flavour of ['legacy', 'compact', 'ebook']) {
      const notes = newNotes();
      const { rows } = flattenProduct(productOf(flavour), { windowStart: '2000-01-01' }, notes);
      expect(rows.length, flavour).to.be.greaterThan(0);
      expect(Object.keys(rows[0]!)).to.deep.equal(PRODUCTS_COLUMNS.map((column) => column.name));
      expect([...notes.extraFields], flavour).to.deep.equal([]);
      for (const row of rows) expect(row.extra_fields).to.equal(null);
    }
    const music = newNotes();
    flattenProduct(catalog.product('music', 1), { windowStart: '2000-01-01' }, music);
    expect([...music.extraFields]).to.deep.equal([]);
  });

  it('types values by rule: "1" and 1 both INT64 1, "5.50" DOUBLE 5.5, codes as text, nested values as JSON', () => {
    const legacy = flattenProduct(productOf('legacy'), { windowStart: '2000-01-01' }, newNotes()).rows[0]!;
    const compact = flattenProduct(productOf('compact', 'ean'), { windowStart: '2000-01-01' }, newNotes()).rows[0]!;
    for (const row of [legacy, compact]) {
      expect(typeof row.id).to.equal('bigint');
      expect(row.article_taux_tva).to.equal(5.5);
      expect(typeof row.article_pages).to.equal('bigint');
      expect(['0', '1']).to.include(String(row.article_image_spe));
      expect(typeof row.article_image_spe).to.equal('bigint');
      expect(typeof row.article_code_tva).to.equal('string');
      expect(typeof row.article_idserie).to.equal('string');
      expect(JSON.parse(row.article_imagesUrl as string)).to.have.keys('recto', 'vign', 'moyen', 'verso');
      expect(JSON.parse(row.article_prixpays as string)).to.have.property('fr');
    }
    // /search lists authors, /ean keys them by author id: both are JSON text of what was sent.
    expect(JSON.parse(legacy.auteurs_multi as string)).to.be.an('array');
    expect(JSON.parse(compact.auteurs_multi as string)).to.be.an('object').and.not.be.an('array');
    expect(compact.id).to.equal(BigInt(productOf('compact', 'ean').id as string));
  });

  it('applies the rule to a field mixing "1" and 1 and counts each conversion; what no rule can read is null and counted', () => {
    const product = productOf('legacy');
    const [first] = articlesOf(product);
    const mixed = {
      ...product,
      nouveau_champ: { a: 1 },
      article: [
        { ...first, gencod: '9780000000015', image_spe: '1', pages: '160', taux_tva: '5,50', code_tva: 2 },
        { ...first, gencod: '9780000000022', image_spe: 1, pages: 'beaucoup', taux_tva: 'n/a', collection: 'None' },
      ],
    };
    const notes = newNotes();
    const { rows } = flattenProduct(mixed, { windowStart: '2000-01-01' }, notes);
    expect(rows.map((row) => row.article_image_spe)).to.deep.equal([1n, 1n]);
    expect(rows.map((row) => row.article_pages)).to.deep.equal([160n, null]);
    expect(rows.map((row) => row.article_taux_tva)).to.deep.equal([5.5, null]);
    expect(rows[0]!.article_code_tva).to.equal('2');
    expect(rows[1]!.article_collection).to.equal(null);
    const byName = (counts: Uint32Array) => Object.fromEntries(countsByColumn(counts));
    expect(byName(notes.textToNumber)).to.include({ article_image_spe: 1, article_pages: 1, article_taux_tva: 1 });
    expect(byName(notes.numberToText)).to.include({ article_code_tva: 1 });
    expect(byName(notes.coercedToNull)).to.deep.equal({ article_pages: 1, article_taux_tva: 1 });
    expect(JSON.parse(rows[0]!.extra_fields as string)).to.deep.equal({ nouveau_champ: { a: 1 } });
    expect(notes.extraFields.get('nouveau_champ')).to.equal(2);
  });

  it('keeps articles of the window and those without a readable date, and only the fetched one for an EAN', () => {
    const product = { id: 1, titre: 't', article: { '2': { gencod: '9780000000022', datemodification: '31/12/2023' }, '1': { gencod: '9780000000015', datemodification: '02/01/2024' }, '3': { gencod: '9780000000039' }, '4': { gencod: '9780000000046', datemodification: 'n/a' } } };
    const { rows, filteredOld } = flattenProduct(product, { windowStart: '2024-01-01' }, newNotes());
    expect(filteredOld).to.equal(1);
    expect(rows.map((row) => row.article_gencod)).to.deep.equal(['9780000000015', '9780000000039', '9780000000046']);
    expect(flattenProduct(product, { key: '9780000000039', windowStart: '2024-01-01' }, newNotes()).rows.map((row) => row.article_gencod)).to.deep.equal(['9780000000039']);
    expect(flattenProduct(product, { key: '9780000000022', windowStart: '2024-01-01' }, newNotes())).to.deep.include({ rows: [], filteredOld: 1 });
  });

  it('has one catalogue entry per column name', () => {
    const names = PRODUCTS_COLUMNS.map((column) => column.name);
    expect(new Set(names).size).to.equal(names.length);
    expect(names.length).to.equal(FIELD_CATALOGUE.length + 1);
  });
});
