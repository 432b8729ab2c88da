import { expect } from 'chai';
import { keepArticle } from '../../src/titelive/article-filter.js';
import { parseCategory } from '../../src/titelive/categories.js';
import { parseDayFirst, toDayFirst } from '../../src/titelive/day-first-dates.js';
import { articlesOf, asList, eanOf, productsOf, totalOf } from '../../src/titelive/response-shapes.js';

describe('Titelive response shapes', () => {
  it('reads result as a list or as an object keyed "0","1",… in key order', () => {
    const a = { id: 1 };
    const b = { id: 2 };
    const c = { id: 3 };
    expect(productsOf({ nbreponses: 3, result: [a, b, c] })).to.deep.equal([a, b, c]);
    expect(productsOf({ nbreponses: 3, result: { '10': c, '2': b, '0': a } })).to.deep.equal([a, b, c]);
    expect(productsOf({ oeuvre: a })).to.deep.equal([a]);
    expect(productsOf({ oeuvre: { '1': a, '0': b } })).to.deep.equal([b, a]);
    expect(productsOf({})).to.deep.equal([]);
    expect(productsOf('<html>')).to.deep.equal([]);
  });

  it('reads nbreponses as a number even when it is a string', () => {
    expect(totalOf({ nbreponses: '125' })).to.equal(125);
    expect(totalOf({ nbreponses: null })).to.equal(0);
  });

  it('reads articles as a list or an object keyed "1","2",…', () => {
    expect(articlesOf({ article: { '2': { gencod: 'b' }, '1': { gencod: 'a' } } })).to.deep.equal([{ gencod: 'a' }, { gencod: 'b' }]);
    expect(articlesOf({ article: [{ gencod: 'a' }] })).to.deep.equal([{ gencod: 'a' }]);
    expect(articlesOf({})).to.deep.equal([]);
    expect(asList({ gencod: 'x' })).to.deep.equal([{ gencod: 'x' }]);
  });

  it('takes EANs as digit strings only', () => {
    expect(eanOf({ gencod: '9782070360024' })).to.equal('9782070360024');
    expect(eanOf({ gencod: ' 9782070360024 ' })).to.equal('9782070360024');
    expect(eanOf({ gencod: 9782070360024 })).to.equal('9782070360024');
    expect(eanOf({ gencod: '' })).to.equal(undefined);
    expect(eanOf({})).to.equal(undefined);
  });

  it('parses day-first dates and keeps articles by the seed’s rule', () => {
    expect(parseDayFirst('05/01/2024')).to.equal('2024-01-05');
    expect(parseDayFirst('5/1/2024 12:00')).to.equal('2024-01-05');
    expect(parseDayFirst('31/02/2024')).to.equal(undefined);
    expect(parseDayFirst('2024-01-05')).to.equal(undefined);
    expect(toDayFirst('2024-01-05')).to.equal('05/01/2024');
    expect(keepArticle({ datemodification: '01/01/2024' }, '2024-01-01')).to.equal(true);
    expect(keepArticle({ datemodification: '31/12/2023' }, '2024-01-01')).to.equal(false);
    expect(keepArticle({}, '2024-01-01')).to.equal(true);
    expect(keepArticle({ datemodification: 'n/a' }, '2024-01-01')).to.equal(true);
  });

  it('accepts the seed category names', () => {
    expect(parseCategory('LIVRE')).to.equal('paper');
    expect(parseCategory('MUSIQUE_ENREGISTREE')).to.equal('music');
    expect(parseCategory('dvd')).to.equal(undefined);
  });
});
