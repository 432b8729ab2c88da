import { expect } from 'chai';
import { SlottedTokenBucket } from '../../src/runtime/http/rate-limiter.js';

function maxInAnySecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= 1_000) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

describe('rate limiter (slotted token bucket)', () => {
  it('gives each pod its share and never lets the pods together exceed the budget in any second', async () => {
    const budget = 20;
    const pods = 4;
    const buckets = Array.from({ length: pods }, (_, slot) => new SlottedTokenBucket({ totalPerSecond: budget, parallelism: pods, slot }));
    const sent: number[][] = buckets.map(() => []);
    const started = Date.now();
    // Each pod asks for 10 requests at once, as concurrent workers would.
    await Promise.all(buckets.map((bucket, pod) => Promise.all(Array.from({ length: 10 }, async () => {
      await bucket.take();
      sent[pod]!.push(Date.now());
    }))));
    const all = sent.flat();
    expect(all).to.have.length(40);
    expect(maxInAnySecond(all)).to.be.at.most(budget);
    // 40 requests at 20/s (less the guard) need about 2 s; far less would mean no limiting.
    expect(Date.now() - started).to.be.at.least(1_700);
    // No two pods send in the same slot.
    const slotOf = (time: number) => Math.floor(time / 1000 / buckets[0]!.slotSeconds);
    for (let pod = 0; pod < pods; pod++) for (const time of sent[pod]!) expect(((slotOf(time) % pods) + pods) % pods).to.equal(pod);
  });

  it('serialises one pod’s concurrent callers onto successive slots', async () => {
    const bucket = new SlottedTokenBucket({ totalPerSecond: 50, parallelism: 1, slot: 0 });
    const times: number[] = [];
    await Promise.all(Array.from({ length: 25 }, async () => {
      await bucket.take();
      times.push(Date.now());
    }));
    const sorted = times.sort((a, b) => a - b);
    const gaps = sorted.slice(1).map((time, index) => time - (sorted[index] as number));
    expect(Math.min(...gaps)).to.be.at.least(10);
    expect(bucket.perPodPerSecond).to.be.closeTo(50 / 1.1, 0.01);
  });

  it('stops waiting when the job is stopped', async () => {
    // Slots of 105 s: the next one is almost surely far away.
    const bucket = new SlottedTokenBucket({ totalPerSecond: 0.01, parallelism: 1, slot: 0 });
    const controller = new AbortController();
    const waiting = bucket.take(controller.signal);
    controller.abort(new Error('stop'));
    let caught: unknown;
    try {
      await waiting;
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(Error).with.property('message', 'stop');
  });
});
