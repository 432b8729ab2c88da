import { expect } from 'chai';
import { KeySet } from '../../src/runtime/key-set.js';

describe('KeySet', () => {
  it('answers like a Set of strings, through growth, for EAN-13s and other keys alike', () => {
    const keys = new KeySet();
    const reference = new Set<string>();
    let state = 12345;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 50_000; i++) {
      const roll = next() % 10;
      // Mostly EAN-13s (some repeated), a few short or odd keys.
      const key = roll < 8 ? String(9_780_000_000_000 + (next() % 30_000)) : roll === 8 ? String(next() % 500) : `x${next() % 100}`;
      expect(keys.add(key), key).to.equal(!reference.has(key));
      reference.add(key);
    }
    expect(keys.size).to.equal(reference.size);
    for (const key of reference) expect(keys.has(key), key).to.equal(true);
    expect(keys.has('9779999999999')).to.equal(false);
  });

  it('answers the same when sized up front, whether the expected count is short or generous', () => {
    for (const expected of [10, 20_000, 1_000_000]) {
      const keys = new KeySet(expected);
      for (let i = 0; i < 20_000; i++) expect(keys.add(String(9_780_000_000_000 + i * 7))).to.equal(true);
      for (let i = 0; i < 20_000; i++) expect(keys.add(String(9_780_000_000_000 + i * 7)), `expected ${expected}`).to.equal(false);
      expect(keys.size).to.equal(20_000);
      expect(keys.has(String(9_780_000_000_000 + 1))).to.equal(false);
    }
  });

  it('keeps EANs with leading zeros apart from the shorter number they spell', () => {
    const keys = new KeySet();
    expect(keys.add('0000000012345')).to.equal(true);
    expect(keys.add('12345')).to.equal(true);
    expect(keys.has('0000000012345')).to.equal(true);
    expect(keys.size).to.equal(2);
  });
});
