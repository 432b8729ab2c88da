import { expect } from 'chai';
import { columnBuffer } from '../../src/runtime/parquet/column-buffer.js';
import { SandboxCatalog } from '../../src/sandbox/catalog.js';
import { flattenProductBytes } from '../../src/titelive/flatten-product-bytes.js';
import { flattenProductCells, newNotes, type FlattenNotes } from '../../src/titelive/flatten-product.js';
import { PRODUCTS_COLUMNS } from '../../src/titelive/product-columns.js';

const catalog = new SandboxCatalog({ products: 120, seed: 11, endDay: '2024-01-31', days: 30, imageBaseUrl: 'https://images.epagine.fr' });
const GENCOD = PRODUCTS_COLUMNS.findIndex((column) => column.name === 'article_gencod');

interface Flattened {
  rows: number;
  filteredOld: number;
  cells: unknown[][];
  notes: ReturnType<typeof notesOf>;
}

function notesOf(notes: FlattenNotes) {
  return { coercedToNull: [...notes.coercedToNull], textToNumber: [...notes.textToNumber], numberToText: [...notes.numberToText], extraFields: [...notes.extraFields] };
}

/** Column cells as comparable values: text bytes as text. */
function cellsOf(columns: ReturnType<typeof columnBuffer>[]): unknown[][] {
  return columns.map((column) => column.values().map((value) => (value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value)));
}

/** JSON.parse, then the object flattening, rows pushed as the parse worker pushes them. */
function viaObjects(json: string, options: { key?: string; windowStart: string }): Flattened {
  const columns = PRODUCTS_COLUMNS.map(columnBuffer);
  const notes = newNotes();
  const flat = flattenProductCells(JSON.parse(json) as Record<string, unknown>, options, notes);
  for (const cells of flat.rows) cells.forEach((cell, index) => columns[index]!.push(cell));
  return { rows: flat.rows.length, filteredOld: flat.filteredOld, cells: cellsOf(columns), notes: notesOf(notes) };
}

/** The byte path; undefined when it leaves the product to the object path. */
function viaBytes(json: string | Uint8Array, options: { key?: string; windowStart: string }): Flattened | undefined {
  const columns = PRODUCTS_COLUMNS.map(columnBuffer);
  const notes = newNotes();
  const gencods: unknown[] = [];
  const result = flattenProductBytes(typeof json === 'string' ? Buffer.from(json) : json, options, notes, columns, (gencod) => (gencods.push(gencod), true));
  if (!result) {
    expect(columns.every((column) => column.length === 0), 'nothing written when the product is left to JSON.parse').to.equal(true);
    expect(notesOf(notes)).to.deep.equal(notesOf(newNotes()));
    return undefined;
  }
  const cells = cellsOf(columns);
  expect(gencods, 'each row offered with its article_gencod').to.deep.equal(cells[GENCOD]);
  return { ...result, cells, notes: notesOf(notes) };
}

function expectSame(json: string, options: { key?: string; windowStart: string } = { windowStart: '2000-01-01' }): Flattened {
  const bytes = viaBytes(json, options);
  expect(bytes, `the byte path takes ${json.slice(0, 80)}…`).to.not.equal(undefined);
  const objects = viaObjects(json, options);
  expect(bytes).to.deep.equal(objects);
  return bytes!;
}

type Json = Record<string, Record<string, Record<string, unknown>>>;

/** A real-shaped product with `change` applied to its JSON object. */
function changed(change: (product: Json) => void, index = 0): string {
  const product = catalog.product('paper', index) as Json;
  change(product);
  return JSON.stringify(product);
}

describe('flattening a product from its raw bytes', () => {
  it('gives the same cells and counts as JSON.parse and the object flattening, for every sandbox shape, in both modes', () => {
    let products = 0;
    for (const category of ['paper', 'music'] as const) {
      for (let index = 0; index < 60; index++) {
        for (const form of ['search', 'ean'] as const) {
          const product = catalog.product(category, index, form);
          const json = JSON.stringify(product);
          const flat = expectSame(json);
          expect(flat.rows).to.be.greaterThan(0);
          const articles = (product.article && typeof product.article === 'object' ? Object.values(product.article) : []) as Array<{ gencod: string }>;
          expectSame(json, { key: articles.at(-1)!.gencod, windowStart: '2000-01-01' });
          expectSame(json, { windowStart: '2024-01-15' });
          products += 1;
        }
      }
    }
    expect(products).to.equal(240);
  });

  it('applies the rules to mixed types as the object path does, counting the same conversions', () => {
    const json = changed((product) => {
      const [first] = Object.values(product.article!);
      Object.assign(first!, { image: 1, image_4: '0', taux_tva: '5,50', prix: '12.30', iad: 'n/a', pages: ' 12 ', dispo: 2.0, code_clil: 3774, serie: null, editeur: 'None', collection: true, nombre: '-3', poids: 1e2, longueur: '1.5e1' });
    });
    const flat = expectSame(json);
    expect(flat.notes.textToNumber.some((count) => count > 0)).to.equal(true);
    expect(flat.notes.coercedToNull.some((count) => count > 0)).to.equal(true);
    expect(flat.notes.numberToText.some((count) => count > 0)).to.equal(true);
  });

  it('writes nested values as JSON.stringify writes them, whatever spaces, escapes, number forms and key orders they came in', () => {
    const product = JSON.parse(changed(() => undefined)) as Json;
    const text = JSON.stringify(product);
    const variants = [
      text.replace('"prixpays":{', '"prixpays": { '),
      text.replace('"auteurs_multi":["', '"auteurs_multi":[ "'),
      text.replace('"dispopays":{', '"dispopays":{"z\\u00e9":1,'),
      text.replace('"dispopays":{', '"dispopays":{"a\\/b":"x\\/y",'),
      text.replace('"dispopays":{', '"dispopays":{"p":1.50,"q":1e2,"r":-0,"s":0.0000001,"t":12345678901234567,'),
      text.replace('"dispopays":{', '"dispopays":{"2":1,"1":2,'),
      text.replace('"dispopays":{', '"dispopays":{"x":1,"7":2,'),
      text.replace('"dispopays":{', '"dispopays":{"fr":9,'),
      text.replace('"dispopays":{', '"dispopays":{"4294967296":1,"3000000000":2,'),
      text.replace('"id_catalogue":[', '"id_catalogue":["\\"q\\" \\\\ \\n\\t\\b\\f\\r",'),
    ];
    for (const variant of variants) {
      expect(variant, 'the variant differs from the product').to.not.equal(text);
      expectSame(variant);
    }
  });

  it('keeps fields outside the catalogue in extra_fields as the object path does', () => {
    const json = changed((product) => {
      Object.assign(product, { nouveau: { a: [1, 2], b: 'x' }, autre: 'texte' });
      for (const article of Object.values(product.article!)) {
        article.champ_inconnu = 'é';
        article.liste_inconnue = [];
      }
    });
    const flat = expectSame(json);
    expect(flat.notes.extraFields.map(([name]) => name).sort()).to.deep.equal(['article_champ_inconnu', 'article_liste_inconnue', 'autre', 'nouveau']);
  });

  it('leaves to JSON.parse what it does not take, and writes nothing for it', () => {
    const text = changed(() => undefined);
    const leftToJsonParse = [
      text.replace('"titre":', '"ti\\u0074re":'),
      text.replace('{"id":', '{"titre":"one","id":'),
      `\ufeff${text}`,
      text.replace('"article":{"1":', '"article":{"01x":'),
      text.replace(/"article":\{.*\},"biographies"/, '"article":{},"biographies"'),
      text.replace(/"article":\{"1":(.*)\},"biographies"/, '"article":$1,"biographies"'),
      text.replace('"id":', '"12":"x","id":'),
      text.slice(0, -1),
      `${text} x`,
      text.replace('"titre":"', '"titre":"\u0001'),
      '[1, 2]',
      '',
    ];
    for (const json of leftToJsonParse) expect(viaBytes(json, { windowStart: '2000-01-01' }), json.slice(0, 60)).to.equal(undefined);
    const invalidUtf8 = Buffer.concat([Buffer.from(text.slice(0, 20)), Buffer.from([0xc3, 0x28]), Buffer.from(text.slice(20))]);
    expect(viaBytes(invalidUtf8, { windowStart: '2000-01-01' })).to.equal(undefined);
  });

  it('takes articles as a list, null articles, and spaces between tokens', () => {
    const product = JSON.parse(changed(() => undefined)) as Json;
    expectSame(JSON.stringify({ ...product, article: Object.values(product.article!) }));
    expectSame(JSON.stringify({ ...product, article: null }));
    expectSame(JSON.stringify(product, null, 2));
  });
});
