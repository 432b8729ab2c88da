import { expect } from 'chai';
import { flattenProduct, newNotes } from '../../src/titelive/flatten-product.js';
import { PRODUCTS_COLUMNS } from '../../src/titelive/product-columns.js';

const product = {
  id: 42,
  titre: 'L’Œuvre « au noir » 🎈',
  auteurs_multi: [{ nom: 'Yourcenar', prenom: 'Marguerite' }],
  editeur: 'None',
  nouveau_champ: { a: 1 },
  article: {
    '2': { gencod: '9780000000022', datemodification: '31/12/2023', prix: 10, taux_tva: 5.5, image: 1 },
    '1': {
      gencod: '9780000000015',
      datemodification: '02/01/2024',
      prix: '12,50',
      taux_tva: '5.5',
      image: '1',
      image_4: 0,
      iad: 'oui',
      typeproduit: '2',
      poids: 'nan',
      collection: 'NaN',
      imagesUrl: { recto: 'https://images.example/r.jpg', verso: '' },
      gtl: { first: { '1': { code: '010000', libelle: 'Littérature' } } },
      dispo: 1,
    },
    '3': { gencod: '9780000000039', prix: 7 },
    '4': { gencod: '9780000000046', datemodification: 'n/a' },
  },
};

describe('flattening a product (the seed’s rules)', () => {
  it('gives one row per article in the window, product fields as columns and article fields as article_<name>', () => {
    const notes = newNotes();
    const { rows, filteredOld } = flattenProduct(product, { windowStart: '2024-01-01' }, notes);
    expect(filteredOld).to.equal(1);
    expect(rows.map((row) => row.article_gencod)).to.deep.equal(['9780000000015', '9780000000039', '9780000000046']);
    const row = rows[0]!;
    expect(Object.keys(row)).to.deep.equal(PRODUCTS_COLUMNS.map((column) => column.name));
    expect(row).to.include({
      id: '42',
      titre: 'L’Œuvre « au noir » 🎈',
      auteurs_multi: '[{"nom":"Yourcenar","prenom":"Marguerite"}]',
      editeur: null,
      article_datemodification: '02/01/2024',
      article_prix: 12.5,
      article_taux_tva: 5.5,
      article_poids: null,
      article_collection: null,
      article_imagesUrl: '{"recto":"https://images.example/r.jpg","verso":""}',
      article_gtl: '{"first":{"1":{"code":"010000","libelle":"Littérature"}}}',
      article_dispo: '1',
      article_iad: null,
      resume: null,
    });
    expect(row.article_image).to.equal(1n);
    expect(row.article_image_4).to.equal(0n);
    expect(row.article_typeproduit).to.equal(2n);
    expect(JSON.parse(row.extra_fields as string)).to.deep.equal({ nouveau_champ: { a: 1 } });
    expect(notes.coercedToNull.get('article_iad')).to.equal(1);
    expect(notes.extraFields.get('nouveau_champ')).to.equal(3);
  });

  it('gives only the article fetched for an EAN, when there is one', () => {
    const notes = newNotes();
    expect(flattenProduct(product, { ean: '9780000000039', windowStart: '2024-01-01' }, notes).rows.map((row) => row.article_gencod)).to.deep.equal(['9780000000039']);
    expect(flattenProduct(product, { ean: '9780000000022', windowStart: '2024-01-01' }, notes)).to.deep.include({ rows: [], filteredOld: 1 });
    expect(flattenProduct({ ...product, article: [product.article['1']] }, { ean: '9780000000015', windowStart: '2024-01-01' }, notes).rows).to.have.length(1);
  });
});
