import { expect } from 'chai';
import { JSON_ARRAY, JSON_NUMBER, JSON_OBJECT, JSON_STRING, JsonSpans, NOT_PLAIN_JSON } from '../../src/runtime/json-spans.js';

/** Reads `text` as one value: what the reader found, or null when it refused it. */
function read(text: string): JsonSpans | null {
  const reader = new JsonSpans();
  reader.reset(Buffer.from(text));
  try {
    reader.value();
    reader.finish();
    return reader;
  } catch (error) {
    if (error === NOT_PLAIN_JSON) return null;
    throw error;
  }
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('reading JSON as byte spans', () => {
  it('takes what JSON.parse takes and refuses what it refuses', () => {
    const texts = [
      '0', '-0', '12', '-12.5', '1e5', '1E+5', '1.5e-3', '01', '1.', '.5', '+1', '-', '1e', '--1', '0x10',
      '""', '"a"', '"é ü 漢"', '"\\n\\t\\"\\\\\\/"', '"\\u00e9"', '"\\u00g9"', '"\\x"', '"\u0001"', '"open', '"a"b',
      'true', 'false', 'null', 'tru', 'nul', 'True', 'NaN', 'undefined',
      '[]', '[1,2]', '[1,]', '[,1]', '[1 2]', '[[[]]]', '{}', '{"a":1}', '{"a":1,}', '{a:1}', '{"a" 1}', '{"a":1 "b":2}', '{"a":[1,{"b":null}]}',
      ' {"a" : [ 1 , 2 ] } ', '{"a":1}}', '[', ']', '', ' ', '{"a":1}\n',
    ];
    for (const text of texts) expect(read(text) !== null, JSON.stringify(text)).to.equal(parses(text));
  });

  it('gives each value its kind and span, a string its span inside the quotes', () => {
    const text = '{"name":"Gallimard","prix":36.74,"list":[1,2],"nested":{"a":"b"}}';
    const reader = new JsonSpans();
    reader.reset(Buffer.from(text));
    reader.openObject();
    const found: Array<[string, number, string]> = [];
    for (let first = true; reader.nextKey(first); first = false) {
      const key = text.slice(reader.keyStart, reader.keyEnd);
      reader.value();
      found.push([key, reader.kind, text.slice(reader.start, reader.end)]);
    }
    reader.finish();
    expect(found).to.deep.equal([
      ['name', JSON_STRING, 'Gallimard'],
      ['prix', JSON_NUMBER, '36.74'],
      ['list', JSON_ARRAY, '[1,2]'],
      ['nested', JSON_OBJECT, '{"a":"b"}'],
    ]);
  });

  it('gives the value JSON.parse gives for numbers of up to 15 digits, and NaN beyond', () => {
    for (const text of ['0', '7', '-42', '36.74', '0.1', '5.50', '123456789012345', '0.000123', '-1.25']) expect(read(text)!.number, text).to.equal(JSON.parse(text));
    for (const text of ['1234567890123456', '1e3', '0.1234567890123456']) expect(Number.isNaN(read(text)!.number), text).to.equal(true);
  });

  it('calls a nested value canonical only when JSON.stringify(JSON.parse(it)) is the same text, and the usual ones so', () => {
    const texts = [
      '{"a":1}', '{"a": 1}', '{"a":1.50}', '{"a":1.5}', '{"a":-0}', '{"a":1e2}', '{"a":0.0000001}', '{"a":0.000001}', '{"a":"\\u00e9"}',
      '{"a":"\\/"}', '{"a":"\\n"}', '{"1":1,"2":2}', '{"2":1,"1":2}', '{"b":1,"1":2}', '{"1":1,"b":2}', '{"a":1,"a":2}', '{"01":1,"1":2}',
      '{"4294967296":1}', '[1,[2,{"x":[]}]]', '[ 1]', '{"gtl":{"first":{"1":{"code":"12000000","libelle":"Parascolaire"}}}}',
    ];
    for (const text of texts) {
      if (read(text)!.canonical) expect(JSON.stringify(JSON.parse(text)), text).to.equal(text);
    }
    // Long numeric keys may be array indexes, listed first by a JS object: left to JSON.stringify.
    const canonical = texts.filter((text) => JSON.stringify(JSON.parse(text)) === text && !text.includes('4294967296'));
    expect(canonical.length).to.be.greaterThan(5);
    for (const text of canonical) expect(read(text)!.canonical, text).to.equal(true);
  });
});
