import { expect } from 'chai';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireStageComplete } from '../../src/runtime/completion.js';
import { readStageRows } from '../../src/runtime/part-io.js';
import { GcsStorage, OWN_OBJECT_WRITES } from '../../src/runtime/storage/gcs-storage.js';
import { openStorage } from '../../src/runtime/storage/open-storage.js';
import { NotFoundError } from '../../src/runtime/storage/storage.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { runFetch } from '../../src/stages/fetch.js';
import { runPlan } from '../../src/stages/plan.js';
import { fetchConfig, planConfig, quietContext } from '../helpers/run-stages.js';
import { startFakeGcsBucket, type FakeGcs } from '../helpers/services.js';

describe('storage on GCS (fake-gcs-server)', function () {
  this.timeout(60_000);
  let gcs: FakeGcs;
  const bucket = `titelive-test-${process.pid}`;

  before(async function () {
    gcs = await startFakeGcsBucket(this, bucket);
  });
  after(async () => gcs?.stop());

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

  it('retries its own writes through 503s: a manifest, a small part and a part large enough for a resumable upload', async () => {
    const proxy = await startWriteFailingProxy(gcs.host, 3);
    const emulator = process.env.STORAGE_EMULATOR_HOST;
    process.env.STORAGE_EMULATOR_HOST = `http://127.0.0.1:${proxy.port}`;
    try {
      const storage = new GcsStorage(`gs://${bucket}/blips`);
      const folder = await mkdtemp(path.join(tmpdir(), 'gcs-blip-'));
      const small = Buffer.from('a small part');
      const large = Buffer.alloc(OWN_OBJECT_WRITES.resumableAboveBytes + 1024 * 1024, 7);
      await writeFile(path.join(folder, 'small.bin'), small);
      await writeFile(path.join(folder, 'large.bin'), large);
      await storage.writeText('_shards/00000.json', '{"ok":true}');
      await storage.putFile(path.join(folder, 'small.bin'), 'part-small.bin');
      await storage.putFile(path.join(folder, 'large.bin'), 'part-large.bin');
      expect(proxy.refused, 'writes answered 503').to.equal(3);
      expect(proxy.uploadTypes).to.include('resumable').and.to.include('multipart');
      process.env.STORAGE_EMULATOR_HOST = emulator;
      const direct = new GcsStorage(`gs://${bucket}/blips`);
      expect(await direct.readText('_shards/00000.json')).to.equal('{"ok":true}');
      await direct.getFile('part-small.bin', path.join(folder, 'small.out'));
      await direct.getFile('part-large.bin', path.join(folder, 'large.out'));
      expect((await readFile(path.join(folder, 'small.out'))).equals(small)).to.equal(true);
      expect((await readFile(path.join(folder, 'large.out'))).equals(large)).to.equal(true);
    } finally {
      process.env.STORAGE_EMULATOR_HOST = emulator;
      await proxy.stop();
    }
  });
});

/** An HTTP proxy to fake-gcs-server that answers 503 to the first `failures` upload requests. */
async function startWriteFailingProxy(target: string, failures: number): Promise<{ port: number; refused: number; uploadTypes: string[]; stop: () => Promise<void> }> {
  const state = { port: 0, refused: 0, uploadTypes: [] as string[], stop: async () => undefined as void };
  const [targetHost, targetPort] = target.split(':');
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://proxy');
    const isWrite = request.method !== 'GET' && url.pathname.startsWith('/upload/');
    if (isWrite) {
      const uploadType = url.searchParams.get('uploadType');
      if (uploadType) state.uploadTypes.push(uploadType);
      if (state.refused < failures) {
        state.refused += 1;
        request.resume();
        response.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":503,"message":"backend unavailable"}}');
        return;
      }
    }
    const upstream = http.request({ host: targetHost, port: Number(targetPort), path: request.url, method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.stop = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return state;
}
