import { expect } from 'chai';
import { advanceCursor, type RunCommit } from '../../src/runtime/advance-cursor.js';
import { withinFailureBudget } from '../../src/runtime/within-failure-budget.js';

function commit(runId: string, start: string, end: string, overrides: Partial<RunCommit> = {}): RunCommit {
  return { runId, window: { start, end }, done: [], failed: [], maxItemAttempts: 3, committedAt: `${runId}T03:00:00.000Z`, ...overrides };
}

describe('the cursor after a committed run (advanceCursor)', () => {
  it('is set by the first committed run and moves forward with each contiguous one', () => {
    const first = advanceCursor(undefined, 'paper', commit('2024-03-02', '2024-03-01', '2024-03-02'));
    expect(first).to.deep.include({ moved: true });
    expect(first.next.end).to.equal('2024-03-02');
    const second = advanceCursor(first.next, 'paper', commit('2024-03-05', '2024-02-25', '2024-03-05'));
    expect(second.moved).to.equal(true);
    expect(second.next.end).to.equal('2024-03-05');
    expect(second.next.movedBy.runId).to.equal('2024-03-05');
  });

  it('never moves back: a rerun of an older day commits without rewinding it', () => {
    const state = advanceCursor(undefined, 'paper', commit('2024-03-10', '2024-03-09', '2024-03-10')).next;
    const older = advanceCursor(state, 'paper', commit('2024-03-04', '2024-03-03', '2024-03-04'));
    expect(older.moved).to.equal(false);
    expect(older.next.end).to.equal('2024-03-10');
    expect(older.reason).to.contain('not later');
  });

  it('does not jump over days no committed run covered', () => {
    const state = advanceCursor(undefined, 'paper', commit('2024-03-02', '2024-03-01', '2024-03-02')).next;
    const gap = advanceCursor(state, 'paper', commit('2024-03-20', '2024-03-10', '2024-03-20'));
    expect(gap.moved).to.equal(false);
    expect(gap.next.end).to.equal('2024-03-02');
    expect(gap.reason).to.contain('uncovered');
  });

  it('carries failed items, counts one attempt per committed run, drops them once fetched, and gives them up at the cap', () => {
    const failed = [{ key: '9780000000001', day: '2024-03-01', error: 'HTTP 500' }, { key: '9780000000002', day: '2024-03-01', error: 'HTTP 500' }];
    let state = advanceCursor(undefined, 'paper', commit('2024-03-02', '2024-03-01', '2024-03-02', { failed })).next;
    expect(Object.keys(state.carried)).to.have.members(['9780000000001', '9780000000002']);
    // Committing the same run again counts nothing twice.
    state = advanceCursor(state, 'paper', commit('2024-03-02', '2024-03-01', '2024-03-02', { failed })).next;
    expect(state.carried['9780000000001']!.attempts).to.equal(1);
    state = advanceCursor(state, 'paper', commit('2024-03-03', '2024-03-02', '2024-03-03', { failed: [failed[0]!], done: ['9780000000002'] })).next;
    expect(state.carried['9780000000001']!.attempts).to.equal(2);
    expect(state.carried).not.to.have.property('9780000000002');
    const third = advanceCursor(state, 'paper', commit('2024-03-04', '2024-03-03', '2024-03-04', { failed: [failed[0]!] }));
    expect(third.givenUp.map((item) => [item.key, item.attempts, item.firstRunId])).to.deep.equal([['9780000000001', 3, '2024-03-02']]);
    expect(third.next.carried).to.deep.equal({});
    expect(third.next.givenUp.map((item) => item.key)).to.deep.equal(['9780000000001']);
    // Given up once, even when the giving-up run commits again.
    expect(advanceCursor(third.next, 'paper', commit('2024-03-04', '2024-03-03', '2024-03-04', { failed: [failed[0]!] })).next.carried).to.deep.equal({});
    expect(third.next.end, 'the cursor moves on all along').to.equal('2024-03-04');
  });
});

describe('the share of failed items a shard may complete with (withinFailureBudget)', () => {
  it('allows at most the ratio, at least one item, never all of them, and none with a ratio of 0', () => {
    expect(withinFailureBudget(0, 10, 0)).to.equal(true);
    expect(withinFailureBudget(1, 50, 0.01), 'one bad EAN in a small shard').to.equal(true);
    expect(withinFailureBudget(2, 50, 0.01)).to.equal(false);
    expect(withinFailureBudget(10, 1_000, 0.01)).to.equal(true);
    expect(withinFailureBudget(11, 1_000, 0.01)).to.equal(false);
    expect(withinFailureBudget(1, 1, 0.5), 'everything failed: an outage').to.equal(false);
    expect(withinFailureBudget(1, 1_000, 0)).to.equal(false);
  });
});
