import { expect } from 'chai';
import { readCursor } from '../../src/runtime/cursor.js';
import { addDays, today } from '../../src/runtime/calendar.js';
import { LocalStorage } from '../../src/runtime/storage/local-storage.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/run-stages.js';

describe('titelive-etl cursor, and plan when the cursor is far behind', function () {
  this.timeout(60_000);

  it('shows that no run committed yet, refuses a day in the future, moves the cursor by hand and shows it', async () => {
    const dataUrl = await tempDir();
    const none = await runCli(['cursor', '--category', 'paper', '--data-url', dataUrl]);
    expect(none.code).to.equal(0);
    expect(none.stdout).to.contain('no committed run yet');

    const future = await runCli(['cursor', '--category', 'paper', '--data-url', dataUrl, '--set', addDays(today(), 2)]);
    expect(future.code).to.equal(2);
    expect(future.stdout + future.stderr).to.contain('in the future');
    expect(await readCursor(new LocalStorage(dataUrl), 'paper')).to.equal(undefined);

    const set = await runCli(['cursor', '--category', 'paper', '--data-url', dataUrl, '--set', '2024-01-01']);
    expect(set.code).to.equal(0);
    expect(set.stdout).to.contain('cursor: paper at 2024-01-01').and.contain('set by hand: from (none) to 2024-01-01');
    expect(set.stdout + set.stderr).to.match(/"event":"cursor_set"/);
    const state = (await readCursor(new LocalStorage(dataUrl), 'paper'))!;
    expect(state).to.deep.include({ end: '2024-01-01' });
    expect(state.setByHand).to.deep.include({ from: null, to: '2024-01-01' });
  });

  it('plan exits 2 before any Titelive call when the cursor is past --max-catch-up-days, and names the backfill', async () => {
    const dataUrl = await tempDir();
    expect((await runCli(['cursor', '--category', 'paper', '--data-url', dataUrl, '--set', '2024-01-01'])).code).to.equal(0);
    // An API nobody listens on: a call to it would fail with exit 1, not 2.
    const env = { TITELIVE_USERNAME: 'u', TITELIVE_PASSWORD: 'p', TITELIVE_API_URL: 'http://127.0.0.1:9/v1', TITELIVE_LOGIN_URL: 'http://127.0.0.1:9/v1/login' };
    const plan = await runCli(['plan', '--category', 'paper', '--data-url', dataUrl, '--run-id', '2024-06-01'], env);
    expect(plan.code).to.equal(2);
    const message = plan.stdout + plan.stderr;
    expect(message).to.contain('152 days before 2024-06-01').and.contain('--max-catch-up-days');
    expect(message).to.contain('--min-modified-date 2024-01-01 --max-modified-date 2024-06-01').and.contain('cursor --category paper --set 2024-06-01');
    const caughtUp = await runCli(['plan', '--category', 'paper', '--data-url', dataUrl, '--run-id', '2024-06-01', '--max-catch-up-days', '200'], { ...env, HTTP_MAX_ATTEMPTS: '1' });
    expect(caughtUp.code, 'within the cap it goes on, to the API').to.equal(1);
  });
});
