import { expect } from 'chai';
import { chooseWindow, type WindowInputs } from '../../src/runtime/choose-window.js';

const base: WindowInputs = { runDate: '2024-03-12', cursor: undefined, windowDays: 1, lookbackDays: 7, maxCatchUpDays: 62 };

describe('the window policy (chooseWindow)', () => {
  it('plans the --window-days before the run date on the first run (no cursor)', () => {
    const choice = chooseWindow({ ...base, windowDays: 3 });
    expect(choice).to.deep.include({ kind: 'window', basis: 'first-run', window: { start: '2024-03-09', end: '2024-03-12' } });
  });

  it('plans from the cursor minus the lookback to the run date when the last run committed the day before', () => {
    const choice = chooseWindow({ ...base, cursor: '2024-03-11' });
    expect(choice).to.deep.include({ kind: 'window', basis: 'cursor', window: { start: '2024-03-04', end: '2024-03-12' }, catchUpDays: 0 });
    if (choice.kind !== 'window') throw new Error('expected a window');
    expect(choice.reason).to.equal('last committed run covered up to 2024-03-11; lookback 7 day(s) → 2024-03-04 … 2024-03-12');
  });

  it('catches up every day since a cursor left behind by failed runs', () => {
    const choice = chooseWindow({ ...base, cursor: '2024-03-09', lookbackDays: 0 });
    expect(choice).to.deep.include({ window: { start: '2024-03-09', end: '2024-03-12' }, catchUpDays: 2 });
    if (choice.kind === 'window') expect(choice.reason).to.contain('2 missed day(s) caught up');
  });

  it('refuses a cursor further behind than --max-catch-up-days and names the gap', () => {
    const choice = chooseWindow({ ...base, cursor: '2024-01-01', maxCatchUpDays: 62 });
    expect(choice).to.deep.include({ kind: 'too-far-behind', gap: { start: '2024-01-01', end: '2024-03-12' }, gapDays: 71 });
    expect(chooseWindow({ ...base, cursor: '2024-01-10', maxCatchUpDays: 62 }).kind, '62 days behind is still caught up').to.equal('window');
  });

  it('lets explicit dates win over the cursor, however far behind it is', () => {
    const choice = chooseWindow({ ...base, cursor: '2020-01-01', explicitStart: '2024-03-01', explicitEnd: '2024-03-05' });
    expect(choice).to.deep.include({ kind: 'window', basis: 'explicit', window: { start: '2024-03-01', end: '2024-03-05' } });
  });

  it('searches at least the day before the run date when the cursor is already there (a rerun) and the lookback is 0', () => {
    expect(chooseWindow({ ...base, cursor: '2024-03-12', lookbackDays: 0 })).to.deep.include({ window: { start: '2024-03-11', end: '2024-03-12' } });
    expect(chooseWindow({ ...base, cursor: '2024-03-20', lookbackDays: 0 })).to.deep.include({ window: { start: '2024-03-11', end: '2024-03-12' } });
    expect(chooseWindow({ ...base, cursor: '2024-03-12', lookbackDays: 7 })).to.deep.include({ window: { start: '2024-03-05', end: '2024-03-12' } });
  });
});
