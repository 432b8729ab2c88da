import { expect } from 'chai';
import { Semaphore } from '../../src/runtime/semaphore.js';

describe('Semaphore (a shared budget)', () => {
  it('never lets holders exceed the budget, serves waiters in order, and takes early partial returns', async () => {
    const budget = new Semaphore(10);
    const order: string[] = [];
    await budget.acquire(6);
    const big = budget.acquire(8).then(() => order.push('big'));
    const small = budget.acquire(1).then(() => order.push('small'));
    await Promise.resolve();
    // 4 units are free, but the 8-unit waiter came first: the small one waits behind it.
    expect(order).to.deep.equal([]);
    expect(budget.inUse).to.equal(6);
    budget.release(5);
    await Promise.resolve();
    await Promise.resolve();
    expect(order).to.deep.equal(['big', 'small']);
    expect(budget.inUse).to.equal(10);
    budget.release(10);
    expect(budget.inUse).to.equal(0);
    await Promise.all([big, small]);
  });

  it('refuses a request larger than the whole budget instead of waiting forever', async () => {
    let error: unknown;
    await new Semaphore(3).acquire(4).catch((caught: unknown) => (error = caught));
    expect(String(error)).to.contain('cannot take 4 units of a budget of 3');
  });
});
