import { expect } from 'chai';
import { Utf8Arena } from '../../src/runtime/parquet/utf8-arena.js';

const TEXTS = ['', 'plain ascii', 'l’été « Œuvres » — 1942', 'emoji 📚 and lone surrogate \ud800 end', 'x'.repeat(400_000), 'é'.repeat(300_000)];

describe('Utf8Arena', () => {
  it('gives the UTF-8 bytes Buffer.from gives, for short, long and non-ASCII texts, all valid together', () => {
    const arena = new Utf8Arena();
    const views = TEXTS.map((text) => arena.encode(text));
    TEXTS.forEach((text, index) => expect(Buffer.from(views[index]!).equals(Buffer.from(text, 'utf8')), text.slice(0, 20)).to.equal(true));
  });

  it('reuses its space after a reset, and a text longer than a chunk gets one of its own', () => {
    const arena = new Utf8Arena();
    const first = arena.encode('first row group');
    arena.reset();
    const second = arena.encode('SECOND');
    expect(second.buffer).to.equal(first.buffer);
    expect(Buffer.from(first).toString('utf8', 0, 6)).to.equal('SECOND');
    const long = arena.encode('y'.repeat(3 << 20));
    expect(long.byteLength).to.equal(3 << 20);
    expect(long.buffer).to.not.equal(first.buffer);
  });

  it('leaves values that are not strings as they are', () => {
    const bytes = new Uint8Array([1, 2]);
    expect(new Utf8Arena().encodeAll([null, 3, bytes, 'a'])).to.deep.equal([null, 3, bytes, new Uint8Array([97])]);
  });
});
