import { expect } from 'chai';
import { belongsToShard, shardOfKey } from '../../src/runtime/sharding.js';
import { SandboxCatalog } from '../../src/sandbox/catalog.js';

describe('sharding', () => {
  const catalog = new SandboxCatalog({ products: 4_000, seed: 3, endDay: '2024-01-31', days: 30, imageBaseUrl: '' });
  const eans = Array.from({ length: 4_000 }, (_, index) => catalog.ean('paper', index, 1));

  it('gives every key exactly one shard, the same on every call', () => {
    for (const ean of eans.slice(0, 200)) {
      const owners = [0, 1, 2, 3].filter((index) => belongsToShard(ean, { index, count: 4 }));
      expect(owners).to.have.length(1);
      expect(shardOfKey(ean, 4)).to.equal(owners[0]);
    }
  });

  it('spreads EAN-like keys evenly for small and odd shard counts', () => {
    for (const count of [2, 3, 4, 7]) {
      const sizes = new Array<number>(count).fill(0);
      for (const ean of eans) sizes[shardOfKey(ean, count)]! += 1;
      const expected = eans.length / count;
      for (const size of sizes) expect(Math.abs(size - expected) / expected, `count ${count}: ${sizes.join(',')}`).to.be.below(0.1);
    }
  });

  it('is a fixed function of the key (documented values)', () => {
    expect(shardOfKey('9780000000017', 1)).to.equal(0);
    // Pinned: changing the function would move items between shards of runs already written.
    expect(['9782070360024', '3700000000012', '9780000000017'].map((key) => shardOfKey(key, 8))).to.deep.equal([6, 2, 3]);
    expect(['9782070360024', '3700000000012', '9780000000017'].map((key) => shardOfKey(key, 1000))).to.deep.equal([694, 10, 923]);
    expect(new Set(eans.slice(0, 64).map((ean) => shardOfKey(ean, 2))).size).to.equal(2);
  });
});
