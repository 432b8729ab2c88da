import { expect } from 'chai';
import { forEachCompleted } from '../../src/runtime/concurrency/for-each-completed.js';
import { forEachInOrder } from '../../src/runtime/concurrency/for-each-in-order.js';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Work that records how many items run at once; item 0 is slow. */
function tracked(slowMs: number, fastMs: number) {
  const state = { running: 0, peak: 0, startedWhileSlowRan: 0, slowDone: false };
  const work = async (item: number) => {
    state.running += 1;
    state.peak = Math.max(state.peak, state.running);
    if (item !== 0 && !state.slowDone) state.startedWhileSlowRan += 1;
    await wait(item === 0 ? slowMs : fastMs);
    if (item === 0) state.slowDone = true;
    state.running -= 1;
    return item * 10;
  };
  return { state, work };
}

describe('completion-order concurrency', () => {
  it('keeps every other slot busy while one item is slow, and never runs more than the concurrency', async () => {
    const { state, work } = tracked(200, 5);
    const consumed: number[] = [];
    await forEachCompleted(Array.from({ length: 40 }, (_, i) => i), 4, work, (result) => void consumed.push(result));
    expect(state.peak).to.equal(4);
    // The 39 fast items go through the 3 free slots while item 0 sleeps.
    expect(state.startedWhileSlowRan).to.equal(39);
    expect(consumed.at(-1)).to.equal(0);
    expect([...consumed].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i * 10));
  });

  it('runs consume one call at a time and reads an async source lazily', async () => {
    let inConsume = 0;
    let overlapped = false;
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 20; i++) {
        pulled += 1;
        yield i;
      }
    }
    const pulledAtFirstConsume: number[] = [];
    await forEachCompleted(source(), 3, async (item) => item, async () => {
      if (pulledAtFirstConsume.length === 0) pulledAtFirstConsume.push(pulled);
      inConsume += 1;
      if (inConsume > 1) overlapped = true;
      await wait(1);
      inConsume -= 1;
    });
    expect(overlapped).to.equal(false);
    expect(pulledAtFirstConsume[0]).to.be.at.most(3);
    expect(pulled).to.equal(20);
  });

  it('stops starting items after a failure, waits for those running, and throws the failure', async () => {
    const started: number[] = [];
    let finished = 0;
    let error: unknown;
    try {
      await forEachCompleted(Array.from({ length: 50 }, (_, i) => i), 3, async (item) => {
        started.push(item);
        await wait(item === 4 ? 1 : 10);
        finished += 1;
        if (item === 4) throw new Error('item 4 broke');
      }, () => undefined);
    } catch (caught) {
      error = caught;
    }
    expect((error as Error).message).to.equal('item 4 broke');
    expect(started.length).to.be.below(12);
    expect(finished).to.equal(started.length);
  });

  it('rejects a concurrency below 1', async () => {
    let error: unknown;
    await forEachCompleted([1], 0, async () => 1, () => undefined).catch((caught: unknown) => (error = caught));
    expect(String(error)).to.contain('concurrency must be a whole number ≥ 1');
  });
});

describe('input-order concurrency with a reorder window', () => {
  it('consumes in input order and starts new items while the oldest is slow, up to the window', async () => {
    const { state, work } = tracked(150, 5);
    const consumed: number[] = [];
    await forEachInOrder(Array.from({ length: 30 }, (_, i) => i), { concurrency: 2, window: 6 }, work, (result) => void consumed.push(result));
    expect(consumed).to.deep.equal(Array.from({ length: 30 }, (_, i) => i * 10));
    expect(state.peak).to.equal(2);
    // Items 1–5 fill the window behind item 0; then item 0 must be consumed first.
    expect(state.startedWhileSlowRan).to.equal(5);
  });

  it('with a window equal to the concurrency, waits for the oldest like a plain ordered pool', async () => {
    const { state, work } = tracked(100, 5);
    await forEachInOrder(Array.from({ length: 10 }, (_, i) => i), { concurrency: 3, window: 3 }, work, () => undefined);
    expect(state.startedWhileSlowRan).to.equal(2);
  });

  it('throws the first failure in order, after the running items settle', async () => {
    let running = 0;
    let error: unknown;
    try {
      await forEachInOrder([0, 1, 2, 3, 4, 5], { concurrency: 3, window: 4 }, async (item) => {
        running += 1;
        await wait(5);
        running -= 1;
        if (item === 1) throw new Error('item 1 broke');
        return item;
      }, () => undefined);
    } catch (caught) {
      error = caught;
    }
    expect((error as Error).message).to.equal('item 1 broke');
    expect(running).to.equal(0);
  });
});
