import { expect } from 'chai';
import { originalKey, storedKey, withOriginalKeys, withStoredKeys } from '../../src/runtime/document-keys.js';

describe('document keys', () => {
  it('stores "." , a leading "$", NUL and "%" by percent-encoding, and nothing else', () => {
    expect(storedKey('a.b.c')).to.equal('a%2Eb%2Ec');
    expect(storedKey('$prix')).to.equal('%24prix');
    expect(storedKey('$$')).to.equal('%24$');
    expect(storedKey('prix$')).to.equal('prix$');
    expect(storedKey('50%')).to.equal('50%25');
    expect(storedKey('%2E')).to.equal('%252E');
    expect(storedKey('a\0b')).to.equal('a%00b');
    expect(storedKey('plain_key-1')).to.equal('plain_key-1');
  });

  it('gives back every key exactly, whatever it holds', () => {
    for (const key of ['a.b', '$x', '$.%', '%24', '%2E.%', '%', '%%25', 'a\0.$', '', 'é.ü', '$$$']) {
      expect(originalKey(storedKey(key)), JSON.stringify(key)).to.equal(key);
      expect(storedKey(key), JSON.stringify(key)).to.not.match(/\.|^\$|\0/);
    }
  });

  it('maps keys at any depth and inside lists, leaving values alone', () => {
    const value = { 'a.b': [{ $c: 'x.y', d: null }, 3], e: { '$f.g': { h: '$i' } }, when: new Date(0) };
    const stored = withStoredKeys(value);
    expect(stored).to.deep.equal({ 'a%2Eb': [{ '%24c': 'x.y', d: null }, 3], e: { '%24f%2Eg': { h: '$i' } }, when: new Date(0) });
    expect(withOriginalKeys(stored)).to.deep.equal(value);
  });
});
