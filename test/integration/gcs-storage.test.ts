import { expect } from 'chai';
import { Storage as GcsClient } from '@google-cloud/storage';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireStageComplete } from '../../src/runtime/completion.js';
import { readStageRows } from '../../src/runtime/part-io.js';
import { GcsStorage } from '../../src/runtime/storage/gcs-storage.js';
import { openStorage } from '../../src/runtime/storage/open-storage.js';
import { NotFoundError } from '../../src/runtime/storage/storage.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { runFetch } from '../../src/stages/fetch.js';
import { runPlan } from '../../src/stages/plan.js';
import { fetchConfig, planConfig, quietContext } from '../helpers/run-stages.js';
import { startFakeGcs, type FakeGcs } from '../helpers/services.js';

describe('storage on GCS (fake-gcs-server)', function () {
  this.timeout(60_000);
  let gcs: FakeGcs;
  let previousHost: string | undefined;
  const bucket = `titelive-test-${process.pid}`;

  before(async function () {
    gcs = await startFakeGcs(this);
    previousHost = process.env.STORAGE_EMULATOR_HOST;
    delete process.env.STORAGE_EMULATOR_HOST;
    const client = new GcsClient({ apiEndpoint: `http://${gcs.host}`, projectId: 'test-project' });
    process.env.STORAGE_EMULATOR_HOST = `http://${gcs.host}`;
    const [exists] = await client.bucket(bucket).exists();
    if (!exists) await client.createBucket(bucket);
  });
  after(async () => {
    if (previousHost === undefined) delete process.env.STORAGE_EMULATOR_HOST;
    else process.env.STORAGE_EMULATOR_HOST = previousHost;
    await gcs?.stop();
  });

  it('writes, reads, lists and copies files under a prefix', async () => {
    const storage = openStorage(`gs://${bucket}/runs/a`);
    expect(storage).to.be.instanceOf(GcsStorage);
    await storage.writeText('x/_shards/00000.json', '{"é":"œ"}');
    expect(await storage.readText('x/_shards/00000.json')).to.equal('{"é":"œ"}');
    expect(await storage.exists('x/_shards/00000.json')).to.equal(true);
    expect(await storage.exists('x/_shards/00001.json')).to.equal(false);
    const folder = await mkdtemp(path.join(tmpdir(), 'gcs-test-'));
    await writeFile(path.join(folder, 'in.bin'), Buffer.from([0, 1, 2, 255]));
    await storage.putFile(path.join(folder, 'in.bin'), 'x/part.bin');
    await storage.getFile('x/part.bin', path.join(folder, 'out.bin'));
    expect([...(await readFile(path.join(folder, 'out.bin')))]).to.deep.equal([0, 1, 2, 255]);
    expect(await storage.list('x')).to.deep.equal(['x/_shards/00000.json', 'x/part.bin']);
    expect(storage.locate('x/part.bin')).to.equal(`gs://${bucket}/runs/a/x/part.bin`);
    let missing: unknown;
    try {
      await storage.readText('nope.json');
    } catch (error) {
      missing = error;
    }
    expect(missing).to.be.instanceOf(NotFoundError);
    expect((missing as Error).message).to.contain(`gs://${bucket}/runs/a/nope.json`);
  });

  it('runs plan and fetch with DATA_URL on GCS', async () => {
    const sandbox = new Sandbox({ products: 200, endDay: '2024-01-08', days: 7 });
    await sandbox.start();
    try {
      const dataUrl = `gs://${bucket}/etl`;
      const window = { start: '2024-01-05', end: '2024-01-08' };
      const plan = await runPlan(planConfig(sandbox, dataUrl, window), quietContext());
      await runFetch(fetchConfig(sandbox, dataUrl, window.end, { index: 0, count: 2 }), quietContext());
      await runFetch(fetchConfig(sandbox, dataUrl, window.end, { index: 1, count: 2 }), quietContext());
      const storage = openStorage(dataUrl);
      const manifests = await requireStageComplete(storage, { dataset: 'paper', runId: window.end }, 'fetch', 'parse');
      let rows = 0;
      for await (const row of readStageRows(storage, manifests)) {
        expect(['found', 'deleted']).to.include(row.status);
        rows += 1;
      }
      expect(rows).to.equal(plan.counts.planned);
    } finally {
      await sandbox.stop();
    }
  });
});
