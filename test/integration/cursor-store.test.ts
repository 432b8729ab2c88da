import { expect } from 'chai';
import { advanceCursor } from '../../src/runtime/advance-cursor.js';
import { addDays } from '../../src/runtime/calendar.js';
import { readCursor, updateCursor } from '../../src/runtime/cursor.js';
import { openStorage } from '../../src/runtime/storage/open-storage.js';
import type { Storage } from '../../src/runtime/storage/storage.js';
import { startFakeGcsBucket, type FakeGcs } from '../helpers/services.js';
import { tempDir } from '../helpers/run-stages.js';

/**
 * Runs of one category that commit at the same moment (a manual run beside the scheduled one):
 * every commit lands, none is lost, and the cursor ends at the latest window, never rewound.
 */
async function commitConcurrently(storage: Storage): Promise<void> {
  const ends = [5, 12, 3, 9, 1, 11, 7, 2, 10, 4, 8, 6].map((n) => addDays('2024-03-01', n));
  await Promise.all(
    ends.map((end, n) =>
      updateCursor(storage, 'paper', (current) =>
        advanceCursor(current, 'paper', {
          runId: end,
          window: { start: '2024-02-20', end },
          done: [],
          failed: [{ key: `97800000000${String(n).padStart(2, '0')}`, day: end, error: 'HTTP 500' }],
          maxItemAttempts: 5,
          committedAt: `${end}T03:00:00.000Z`,
        }).next,
      ),
    ),
  );
  const state = (await readCursor(storage, 'paper'))!;
  expect(state.end, 'the latest window end').to.equal(addDays('2024-03-01', 12));
  expect(state.generation, 'one write per commit').to.equal(ends.length);
  expect(Object.keys(state.carried), 'no commit lost').to.have.length(ends.length);
  expect(state.lastCommitted.runId).to.equal(addDays('2024-03-01', 12));
  // A conditional write on a version that is no longer current is refused.
  const found = (await storage.readVersioned('paper/_cursor.json'))!;
  await storage.writeText('paper/_cursor.json', found.text.replace('"generation"', '"generation" '));
  expect(await storage.writeTextIfVersion('paper/_cursor.json', '{}', found.version), 'written since it was read').to.equal(false);
  expect(await storage.writeTextIfVersion('paper/_other.json', '{}', undefined)).to.equal(true);
  expect(await storage.writeTextIfVersion('paper/_other.json', '{}', undefined), 'create only if absent').to.equal(false);
}

describe('the cursor under concurrent commits', function () {
  this.timeout(60_000);

  it('on a local folder (a lock folder only one writer can create)', async () => {
    await commitConcurrently(openStorage(await tempDir()));
  });

  describe('on GCS (fake-gcs-server, generation preconditions)', () => {
    let gcs: FakeGcs;
    const bucket = `titelive-cursor-${process.pid}`;
    before(async function () {
      gcs = await startFakeGcsBucket(this, bucket);
    });
    after(async () => gcs?.stop());

    it('keeps every commit and the latest window', async () => {
      await commitConcurrently(openStorage(`gs://${bucket}/runs`));
    });
  });
});
