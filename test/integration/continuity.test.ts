import { expect } from 'chai';
import { addDays } from '../../src/runtime/calendar.js';
import { readManifests } from '../../src/runtime/manifest.js';
import { LocalStorage } from '../../src/runtime/storage/local-storage.js';
import { readCommitRecord } from '../../src/stages/commit-run.js';
import { keepArticle } from '../../src/titelive/article-filter.js';
import { continuitySandbox, runContinuity, type ContinuityOptions } from '../helpers/continuity.js';
import { tempDir } from '../helpers/run-stages.js';
import { startMongo, type MongoServer } from '../helpers/services.js';

/*
 * The copy's promise, judged over time: weeks of daily runs against a catalogue that changes
 * every day (modifications, several days in a row for some products, creations, deletions),
 * with two days of API outage and 5 % of the changes shown by the API 1 to 5 days late; at the
 * end every EAN of the MongoDB copy must equal what the API shows.
 */
const START = '2024-03-01';
const DAYS = 21;
const OUTAGE = [addDays(START, 7), addDays(START, 8)];

describe('the copy over weeks of daily runs (cursor, catch-up, lookback, carried failures)', function () {
  this.timeout(900_000);
  let mongo: MongoServer;
  before(async function () {
    mongo = await startMongo(this);
  });
  after(async () => mongo?.stop());

  function scenario(overrides: Partial<ContinuityOptions>): Promise<ContinuityOptions> {
    return tempDir('continuity-').then((dataUrl) => ({
      products: 300,
      start: START,
      days: DAYS,
      outageDays: OUTAGE,
      lookbackDays: 7,
      mode: 'cursor',
      runner: 'in-process',
      mongoUri: mongo.uri,
      database: `continuity_${process.pid}_${Math.random().toString(36).slice(2, 8)}`,
      dataUrl,
      ...overrides,
    }));
  }

  it(`${DAYS} daily runs as the CronJobs run them (the chart's defaults), two of them in an outage: every EAN of the copy equals the API's`, async () => {
    const options = await scenario({ runner: 'process' });
    const { days, comparison, cursor } = await runContinuity(options);
    expect(days).to.have.length(DAYS + 1);
    for (const day of days) {
      if (OUTAGE.includes(day.day)) expect(day.failed, `${day.day} failed in the outage`).to.deep.equal({ stage: 'plan', code: 1 });
      else expect(day.ok, `${day.day} committed`).to.equal(true);
    }
    // The scenario has what it claims: late changes, changes before the failed runs, deletions.
    expect(comparison.late, 'EANs with changes shown late').to.be.greaterThan(10);
    expect(comparison.outage, 'EANs changed the days before the failed runs').to.be.greaterThan(10);
    expect(comparison.expected).to.be.greaterThan(550);
    expect({ missing: comparison.missing, stale: comparison.stale, deletionNotMarked: comparison.deletionNotMarked }).to.deep.equal({ missing: [], stale: [], deletionNotMarked: [] });
    expect(comparison.right).to.equal(comparison.expected);
    expect(cursor?.end, 'the cursor reached the last run date').to.equal(addDays(START, DAYS));

    // The first run after the outage caught the missed days up, and said so.
    const storage = new LocalStorage(options.dataUrl);
    const afterOutage = addDays(OUTAGE[1]!, 1);
    const plan = (await readManifests(storage, { dataset: 'paper', runId: afterOutage }, 'plan'))[0]!;
    expect(plan.details.window).to.deep.equal({ start: addDays(OUTAGE[0]!, -1 - 7), end: afterOutage });
    expect(plan.details.windowReason).to.contain('2 missed day(s) caught up');
    const commit = (await readCommitRecord(storage, { dataset: 'paper', runId: afterOutage }))!;
    expect(commit).to.deep.include({ cursorBefore: addDays(OUTAGE[0]!, -1), cursorAfter: afterOutage, moved: true });
    expect(await readCommitRecord(storage, { dataset: 'paper', runId: OUTAGE[0]! }), 'a failed run does not commit').to.equal(undefined);
  });

  it('the same weeks with --lookback-days 0 leave the late changes wrong in the copy (what the lookback is for)', async () => {
    const { comparison } = await runContinuity(await scenario({ lookbackDays: 0 }));
    const wrong = comparison.expected - comparison.right;
    expect(wrong, 'EANs wrong without the lookback').to.be.greaterThan(0);
    expect(comparison.wrongLate, 'every wrong EAN is one whose change was shown late').to.equal(wrong);
  });

  it('an EAN that always fails is carried to the next runs, then given up, while the cursor moves on', async () => {
    const days = 5;
    const probe = continuitySandbox({ products: 300, start: START });
    probe.history!.setClock(addDays(START, days));
    const initialStart = addDays(START, -31);
    // A live EAN of the first load whose product neither changes nor falls in a later lookback.
    const failing = probe.history!.truth('paper').find((entry) => {
      const located = probe.catalog.locate('paper', entry.ean)!;
      return !entry.deleted && keepArticle({ datemodification: entry.datemodification ?? undefined }, initialStart) && probe.catalog.productDay('paper', located.index) < addDays(START, -12) && probe.history!.changes('paper', located.index).length === 0;
    })!.ean;
    const options = await scenario({ days, outageDays: [], failingEans: [failing], maxItemAttempts: 3 });
    const { days: runs, comparison, cursor } = await runContinuity(options);
    expect(runs.every((run) => run.ok), 'every run committed').to.equal(true);
    expect(cursor?.end).to.equal(addDays(START, days));
    expect(cursor?.carried).to.deep.equal({});
    expect(cursor?.givenUp.map((item) => [item.key, item.attempts, item.firstRunId, item.lastRunId])).to.deep.equal([[failing, 3, START, addDays(START, 2)]]);

    const storage = new LocalStorage(options.dataUrl);
    const records = await Promise.all(runs.map((run) => readCommitRecord(storage, { dataset: 'paper', runId: run.day })));
    expect(records.map((record) => [record!.failed, record!.carriedAfter, record!.givenUp.length])).to.deep.equal([[1, 1, 0], [1, 1, 0], [1, 0, 1], [0, 0, 0], [0, 0, 0], [0, 0, 0]]);
    const secondPlan = (await readManifests(storage, { dataset: 'paper', runId: addDays(START, 1) }, 'plan'))[0]!;
    expect(secondPlan.counts.carried, 'planned again from the cursor').to.equal(1);
    // The copy lacks that EAN alone: everything else is right.
    expect(comparison.missing).to.deep.equal([failing]);
    expect(comparison.right).to.equal(comparison.expected - 1);
  });
});
