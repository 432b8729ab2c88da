import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { parseAllowedHosts } from '../../src/runtime/http/host-allowlist.js';
import { readStageRows } from '../../src/runtime/part-io.js';
import { readManifests } from '../../src/runtime/manifest.js';
import { LocalStorage } from '../../src/runtime/storage/local-storage.js';
import { resolveRunConfig } from '../../src/config.js';
import { registerSource } from '../../src/sources.js';
import { STAGE_FOLDERS } from '../../src/stage-table.js';
import { runFetch } from '../../src/stages/fetch.js';
import { runImages } from '../../src/stages/images.js';
import { runLoad } from '../../src/stages/load.js';
import { runParse } from '../../src/stages/parse.js';
import { runPlan } from '../../src/stages/plan.js';
import { reconcileRun } from '../../src/stages/verify.js';
import type { TiteliveConfig } from '../../src/stage-configs.js';
import { quietContext, tempDir } from '../helpers/run-stages.js';
import { startMongo, type MongoServer } from '../helpers/services.js';
import { staticFileSource, type StaticItem } from '../sources/static-file/source.js';

const DATASET = 'catalogue';
const window = { start: '2026-11-20', end: '2026-11-23' };
const runId = window.end;
/** Not used by the file source; the stages take it for any source's connection. */
const connection: TiteliveConfig = { apiUrl: 'http://unused', loginUrl: 'http://unused', username: 'u', password: 'p', ratePerSecond: 1, parallelism: 1, concurrency: 2, maxSockets: 2, timeoutMs: 1_000, maxAttempts: 1 };

describe('a second source through the same stages (a static JSON file)', function () {
  this.timeout(120_000);
  let mongo: MongoServer;
  let client: MongoClient;
  let file: string;
  const database = `second_source_${process.pid}`;
  const items: StaticItem[] = [
    { id: 'A1', modified: '2026-11-20', title: 'Un', price: 10 },
    { id: 'A2', modified: '2026-11-20', title: 'Deux', price: 12.5, colour: 'red' },
    { id: 'A3', modified: '2026-11-21', title: 'Trois', price: 7 },
    { id: 'A4', modified: '2026-11-22', title: 'Quatre', price: 3 },
    { id: 'A1', modified: '2026-11-22', title: 'Un (again)', price: 11 },
    { id: 'B9', modified: '2026-10-01', title: 'outside the window', price: 1 },
  ];

  before(async function () {
    mongo = await startMongo(this);
    client = new MongoClient(mongo.uri);
    await client.connect();
    file = path.join(await tempDir('static-source-'), 'items.json');
    await writeFile(file, JSON.stringify(items));
    // The one line that adds the source.
    registerSource(staticFileSource({ dataset: DATASET, file }));
  });

  after(async () => {
    await client?.close();
    await mongo?.stop();
  });

  it('plans, fetches, parses, mirrors (no covers) and loads it, and the run reconciles', async () => {
    const dataUrl = await tempDir('static-run-');
    const storage = new LocalStorage(dataUrl);
    const run = { dataset: DATASET, runId };
    const base = { dataset: DATASET, runId, dataUrl };
    const plan = await runPlan({ ...base, window, allowPartial: false, limit: undefined, titelive: connection }, quietContext());
    expect(plan.accounting!.ended).to.include({ planned: 4, duplicate: 1 });
    // A4 leaves the file between plan and fetch: fetch finds it deleted.
    await writeFile(file, JSON.stringify(items.filter((item) => item.id !== 'A4')));
    const shards = [0, 1].map((index) => ({ index, count: 2 }));
    for (const shard of shards) await runFetch({ ...base, shard, batchSize: 2, limit: undefined, titelive: connection }, quietContext());
    for (const shard of shards) await runParse({ mode: 'run', workers: 0, ...base, shard }, quietContext());
    const mirror = await tempDir('static-mirror-');
    for (const shard of shards) await runImages({ mode: 'run', ...base, shard, imagesUrl: mirror, http: { maxSockets: 2, timeoutMs: 1_000, maxAttempts: 1, maxImageBytes: 1 << 20 }, maxFailureRatio: 0, allowedHosts: parseAllowedHosts('images.example', 'test') }, quietContext());
    for (const shard of shards) await runLoad({ ...base, shard, mongodbUri: mongo.uri, database, collection: 'items', batchSize: 2, maxFailureRatio: 0 }, quietContext());

    const rows: Array<Record<string, unknown>> = [];
    for await (const row of readStageRows(storage, await readManifests(storage, run, STAGE_FOLDERS.parse), { columns: ['id', 'title', 'price', 'extra_fields'] })) rows.push(row);
    expect(rows.map((row) => row.id).sort()).to.deep.equal(['A1', 'A2', 'A3']);
    expect(rows.find((row) => row.id === 'A2')).to.include({ price: 12.5, extra_fields: '{"colour":"red"}' });

    const documents = await client.db(database).collection('items').find().sort({ _id: 1 }).toArray();
    expect(documents.map((document) => [document._id, document.status, document.dataset])).to.deep.equal([
      ['A1', 'active', DATASET], ['A2', 'active', DATASET], ['A3', 'active', DATASET],
    ]);
    const reconciliation = await reconcileRun(storage, run);
    expect(reconciliation.ok, JSON.stringify(reconciliation.stages.map((stage) => [stage.stage, stage.checks]))).to.equal(true);
    const fetched = reconciliation.stages.find((stage) => stage.stage === 'fetch')!.accounting!;
    expect(fetched.ended).to.include({ found: 3, deleted: 1 });
  });

  it('refuses a dataset no source serves, naming the known ones', () => {
    expect(() => resolveRunConfig({ category: 'vinyl', 'data-url': './d' }, {})).to.throw(/expected one of .*catalogue.*got 'vinyl'/);
    expect(resolveRunConfig({ category: DATASET, 'data-url': './d' }, {}).dataset).to.equal(DATASET);
  });
});
