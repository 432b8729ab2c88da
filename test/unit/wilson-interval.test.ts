import { expect } from 'chai';
import { wilsonInterval } from '../../src/runtime/wilson-interval.js';

describe('wilsonInterval (the audit\'s 95 % interval of the stale share)', () => {
  it('matches the textbook values and stays within [0, 1]', () => {
    const some = wilsonInterval(10, 1_000)!;
    expect(some.share).to.equal(0.01);
    expect(some.lower).to.be.closeTo(0.00544, 0.00002);
    expect(some.upper).to.be.closeTo(0.01831, 0.00002);
    const none = wilsonInterval(0, 1_000)!;
    expect(none.lower).to.equal(0);
    expect(none.upper).to.be.closeTo(0.00383, 0.00002);
    const all = wilsonInterval(50, 50)!;
    expect(all.upper).to.equal(1);
    expect(all.lower).to.be.greaterThan(0.9);
    expect(wilsonInterval(0, 0)).to.equal(undefined);
  });

  it('holds the true share in about 95 % of samples, for shares an audit meets (simulated draws, fixed seed)', () => {
    let state = 12345;
    const random = () => {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      return state / 2 ** 32;
    };
    for (const [share, n] of [[0.01, 1_000], [0.05, 1_000], [0.2, 80], [0.003, 1_000]] as const) {
      let covered = 0;
      const trials = 2_000;
      for (let trial = 0; trial < trials; trial++) {
        let hits = 0;
        for (let i = 0; i < n; i++) if (random() < share) hits += 1;
        const interval = wilsonInterval(hits, n)!;
        if (interval.lower <= share && share <= interval.upper) covered += 1;
      }
      expect(covered / trials, `share ${share}, n ${n}`).to.be.within(0.92, 0.99);
    }
  });
});
