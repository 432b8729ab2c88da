import { expect } from 'chai';
import { readFile, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/runtime/logger.js';
import path from 'node:path';
import { AgentPool } from '../../src/runtime/http/agent-pool.js';
import { HttpClient } from '../../src/runtime/http/http-client.js';
import { parseAllowedHosts } from '../../src/runtime/http/host-allowlist.js';
import { readManifests } from '../../src/runtime/manifest.js';
import { ParquetFileWriter } from '../../src/runtime/parquet/parquet-writer.js';
import { PRODUCTS_COLUMNS } from '../../src/titelive/product-columns.js';
import { readStageRows } from '../../src/runtime/part-io.js';
import { createGcsClient } from '../../src/runtime/storage/gcs-storage.js';
import { GcsObjectStore } from '../../src/runtime/storage/object-store.js';
import { LocalStorage } from '../../src/runtime/storage/local-storage.js';
import { sandboxJpeg } from '../../src/sandbox/jpeg.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { runFetch } from '../../src/stages/fetch.js';
import { runImages, type ImagesRunConfig } from '../../src/stages/images.js';
import { objectNameFor } from '../../src/stages/image-mirror.js';
import { runParse } from '../../src/stages/parse.js';
import { runPlan } from '../../src/stages/plan.js';
import { runCli } from '../helpers/cli.js';
import { fetchConfig, planConfig, quietContext, tempDir } from '../helpers/run-stages.js';
import { startFakeGcs, type FakeGcs } from '../helpers/services.js';

const window = { start: '2024-01-01', end: '2024-01-08' };
const run = { dataset: 'paper', runId: window.end };

describe('images', function () {
  this.timeout(120_000);
  let sandbox: Sandbox;
  let dataUrl: string;
  let gcs: FakeGcs;
  let previousHost: string | undefined;
  const bucket = `titelive-images-${process.pid}`;

  const config = (overrides: Partial<ImagesRunConfig> = {}): ImagesRunConfig => ({
    mode: 'run',
    dataset: 'paper',
    runId: window.end,
    dataUrl,
    shard: { index: 0, count: 1 },
    imagesUrl: `gs://${bucket}/images/titelive`,
    http: { maxSockets: 8, timeoutMs: 5_000, maxAttempts: 3, maxImageBytes: 1024 * 1024 },
    maxFailureRatio: 0.01,
    allowedHosts: parseAllowedHosts(new URL(sandbox.url).origin, 'test'),
    ...overrides,
  });

  /** The status rows of the images parts written with `shardCount` shards. */
  async function statusRows(shardCount: number): Promise<Array<Record<string, unknown>>> {
    const storage = new LocalStorage(dataUrl);
    const rows: Array<Record<string, unknown>> = [];
    const suffix = `-of-${String(shardCount).padStart(5, '0')}.parquet`;
    for (const part of (await readdir(path.join(dataUrl, 'paper', window.end, 'images'))).filter((name) => name.endsWith(suffix)).sort()) {
      for await (const row of readStageRows(storage, [{ outputs: [{ path: `paper/${window.end}/images/${part}` }] } as never])) rows.push(row);
    }
    return rows;
  }

  before(async function () {
    gcs = await startFakeGcs(this);
    previousHost = process.env.STORAGE_EMULATOR_HOST;
    process.env.STORAGE_EMULATOR_HOST = `http://${gcs.host}`;
    await (await createGcsClient()).createBucket(bucket);
    sandbox = new Sandbox({ products: 300, endDay: window.end, days: 10 });
    await sandbox.start();
    dataUrl = await tempDir();
    await runPlan(planConfig(sandbox, dataUrl, window), quietContext());
    await runFetch(fetchConfig(sandbox, dataUrl, window.end, { index: 0, count: 1 }), quietContext());
    await runParse({ mode: 'run', workers: 0, dataset: 'paper', runId: window.end, dataUrl, shard: { index: 0, count: 1 } }, quietContext());
  });
  after(async () => {
    await sandbox?.stop();
    if (previousHost === undefined) delete process.env.STORAGE_EMULATOR_HOST;
    else process.env.STORAGE_EMULATOR_HOST = previousHost;
    await gcs?.stop();
  });

  it('mirrors each cover once into GCS with its exact bytes and type, two shards at once; a rerun uploads nothing', async () => {
    sandbox.resetStats();
    const shards = [0, 1].map((index) => runImages(config({ shard: { index, count: 2 } }), quietContext()));
    await Promise.all(shards);
    const rows = await statusRows(2);
    const uploaded = rows.flatMap((row) => ['recto', 'verso'].filter((side) => row[`${side}_upload_status`] === 'uploaded').map((side) => row[side] as string));
    expect(uploaded.length).to.be.greaterThan(50);
    expect(new Set(uploaded).size, 'each URL uploaded by one shard only').to.equal(uploaded.length);
    expect(rows.some((row) => row.verso_upload_status === 'skipped_flag' && row.verso !== null), 'a URL whose flag is 0 is skipped').to.equal(true);
    expect(sandbox.getStats().images).to.equal(uploaded.length);

    const client = await createGcsClient();
    const [objects] = await client.bucket(bucket).getFiles({ prefix: 'images/titelive/' });
    expect(objects.length).to.equal(uploaded.length);
    const sample = rows.find((row) => row.recto_upload_status === 'uploaded')!;
    const name = objectNameFor(sample.recto as string);
    expect(sample.recto_uuid).to.equal(name);
    expect(sample.recto_gcs_path).to.equal(`gs://${bucket}/images/titelive/${name}`);
    const file = client.bucket(bucket).file(`images/titelive/${name}`);
    const [bytes] = await file.download();
    const [metadata] = await file.getMetadata();
    const key = `${/\/(\d{13})_1_75\.jpg$/.exec(sample.recto as string)![1]!}-recto`;
    expect(bytes.equals(sandboxJpeg(key))).to.equal(true);
    expect(metadata.contentType).to.equal('image/jpeg');

    sandbox.resetStats();
    await runImages(config({ shard: { index: 0, count: 2 } }), quietContext());
    await runImages(config({ shard: { index: 1, count: 2 } }), quietContext());
    const again = await statusRows(2);
    expect(sandbox.getStats().images, 'the rerun downloads nothing').to.equal(0);
    expect(again.filter((row) => row.recto_upload_status === 'uploaded' || row.verso_upload_status === 'uploaded')).to.have.length(0);
    expect(again.filter((row) => row.recto_upload_status === 'already_present').length).to.equal(rows.filter((row) => row.recto_upload_status === 'uploaded').length);
  });

  it('lets only one of two concurrent uploads of an object through (create-once precondition)', async () => {
    const http = new HttpClient({ pool: new AgentPool({ maxSockets: 4 }) });
    const store = new GcsObjectStore(bucket, 'race', http);
    const outcomes = await Promise.all([1, 2, 3, 4].map((n) => store.createIfAbsent('same-object', Buffer.from(`writer ${n}`), 'text/plain')));
    expect(outcomes.filter((outcome) => outcome === 'created')).to.have.length(1);
    expect(outcomes.filter((outcome) => outcome === 'exists')).to.have.length(3);
    expect(await store.exists('same-object')).to.equal(true);
    expect(await store.exists('other-object')).to.equal(false);
  });

  it('gives failed: statuses for 404, HTML, truncated, slow and oversized answers, counts the permanent ones apart, retries 429/503 after Retry-After, and fails the shard over the ratio of transient failures', async () => {
    const mirror = await tempDir('titelive-mirror-');
    const products = new LocalStorage(dataUrl);
    const manifests = await readManifests(products, run, 'products');
    const eans: string[] = [];
    for await (const row of readStageRows(products, manifests, { columns: ['article_gencod', 'article_image'] })) if (Number(row.article_image) === 1) eans.push(String(row.article_gencod));
    expect(eans.length, "articles with a front cover").to.be.greaterThan(10);
    const faults = ['not-found', 'html', 'truncated', 'slow', 'huge', 'throttle-once', 'unavailable-once'] as const;
    const faulty = Object.fromEntries(faults.map((fault, index) => [`${eans[index]}-recto`, fault]));
    sandbox.faults = { ...sandbox.faults, imageFaults: faulty, imageSlowMs: 1_500, retryAfterSeconds: 1 };
    try {
      const started = Date.now();
      let failure: unknown;
      try {
        await runImages(config({ imagesUrl: mirror, maxFailureRatio: 0.001, http: { maxSockets: 8, timeoutMs: 500, maxAttempts: 2, maxImageBytes: 1024 * 1024 } }), quietContext());
      } catch (error) {
        failure = error;
      }
      // Truncated and slow are transient; 404, HTML and oversized are the source's, counted apart.
      expect(String(failure)).to.match(/2 of \d+ images failed \(and 3 unavailable at the source, not counted\) .*--max-failure-ratio 0.001/);
      expect(Date.now() - started, 'the retries waited for Retry-After').to.be.at.least(1_000);
      const byEan = new Map((await statusRows(1)).map((row) => [row.ean, row.recto_upload_status]));
      expect(byEan.get(eans[0])).to.equal('failed: HTTP 404');
      expect(byEan.get(eans[1])).to.match(/^failed: not an image \(Content-Type text\/html\)/);
      expect(byEan.get(eans[2])).to.match(/^failed: /);
      expect(byEan.get(eans[3])).to.match(/^failed: .*[Tt]imeout/);
      expect(byEan.get(eans[4])).to.match(/^failed: response larger than 1048576 bytes/);
      expect(byEan.get(eans[5])).to.equal('uploaded');
      expect(byEan.get(eans[6])).to.equal('uploaded');
      expect([...byEan.values()].filter((status) => String(status).startsWith('failed'))).to.have.length(5);
      const oneShard = async () => (await readManifests(products, run, 'images')).filter((manifest) => manifest.shardCount === 1);
      expect(await oneShard(), 'no manifest for the failed shard').to.have.length(0);

      // Below the ratio of transient failures, the shard succeeds and its manifest names every failed side, by class.
      await rm(mirror, { recursive: true, force: true });
      const tolerated = await runImages(config({ imagesUrl: mirror, maxFailureRatio: 0.05, http: { maxSockets: 8, timeoutMs: 500, maxAttempts: 2, maxImageBytes: 1024 * 1024 } }), quietContext());
      expect(tolerated!.counts).to.include({ failed: 2, unavailable: 3 });
      const listed = tolerated!.anomalies.map((anomaly) => [anomaly.type, anomaly.ean, anomaly.side]);
      expect(listed).to.have.deep.members([
        ['image_unavailable', eans[0], 'recto'],
        ['image_unavailable', eans[1], 'recto'],
        ['image_failed', eans[2], 'recto'],
        ['image_failed', eans[3], 'recto'],
        ['image_unavailable', eans[4], 'recto'],
      ]);
      const stored = await readdir(mirror);
      expect(stored).to.include(objectNameFor(sandbox.catalog.imageUrl('paper', eans[5]!, 'recto')));
      expect(stored.some((name) => name.endsWith('.tmp'))).to.equal(false);

      // With the faults gone, the rerun fetches only the five that failed.
      sandbox.faults = { ...sandbox.faults, imageFaults: {} };
      sandbox.resetStats();
      await runImages(config({ imagesUrl: mirror }), quietContext());
      expect(sandbox.getStats().images).to.equal(5);
      expect(await oneShard()).to.have.length(1);
      const image = await readFile(path.join(mirror, objectNameFor(sandbox.catalog.imageUrl('paper', eans[0]!, 'recto'))));
      expect(image.equals(sandboxJpeg(`${eans[0]}-recto`))).to.equal(true);
    } finally {
      sandbox.faults = { ...sandbox.faults, imageFaults: {} };
    }
  });

  it('never opens more sockets to the image host than the cap, whatever the number of images', async () => {
    const mirror = await tempDir('titelive-mirror-');
    sandbox.faults = { ...sandbox.faults, latencyMs: 10 };
    sandbox.resetStats();
    try {
      await runImages(config({ imagesUrl: mirror, http: { maxSockets: 3, timeoutMs: 5_000, maxAttempts: 3, maxImageBytes: 1024 * 1024 } }), quietContext());
    } finally {
      sandbox.faults = { ...sandbox.faults, latencyMs: 0 };
    }
    const stats = sandbox.getStats();
    expect(stats.images).to.be.greaterThan(50);
    expect(stats.connections).to.be.at.least(1).and.at.most(3);
  });

  it('runs like the seed script on one file: the same URL in many rows is fetched once, a side flagged 0 is skipped', async () => {
    const folder = await tempDir('titelive-images-file-');
    const input = path.join(folder, 'products.parquet');
    const [a, b, c] = ['9780000000019', '9780000000026', '9780000000033'];
    const url = (ean: string, side: 'recto' | 'verso') => sandbox.catalog.imageUrl('paper', ean, side);
    const writer = new ParquetFileWriter(input, PRODUCTS_COLUMNS);
    await writer.append({ article_gencod: a, article_imagesUrl: JSON.stringify({ recto: url(a, 'recto'), verso: url(a, 'verso') }), article_image: 1n, article_image_4: 1n });
    await writer.append({ article_gencod: b, article_imagesUrl: JSON.stringify({ recto: url(a, 'recto'), verso: '' }), article_image: 1n, article_image_4: 0n });
    await writer.append({ article_gencod: c, article_imagesUrl: JSON.stringify({ recto: url(c, 'recto') }), article_image: 0n, article_image_4: null });
    await writer.close();
    sandbox.resetStats();
    const output = path.join(folder, 'images.parquet');
    const result = await runCli(['images', '--input-parquet-path', input, '--gcs-thumb-base-path', path.join(folder, 'mirror'), '--output-parquet-path', output], { STORAGE_EMULATOR_HOST: undefined, IMAGE_HOSTS: new URL(sandbox.url).origin });
    expect(result.code, result.stderr).to.equal(0);
    expect(sandbox.getStats().images).to.equal(2);
    const rows: Array<Record<string, unknown>> = [];
    for await (const row of readStageRows(new LocalStorage(folder), [{ outputs: [{ path: 'images.parquet' }] } as never])) rows.push(row);
    expect(rows.map((row) => [row.ean, row.recto_upload_status, row.verso_upload_status])).to.deep.equal([
      [a, 'uploaded', 'uploaded'],
      [b, 'uploaded', 'no_url'],
      [c, 'skipped_flag', 'no_url'],
    ]);
    expect(rows[1]!.recto_gcs_path).to.equal(path.join(folder, 'mirror', objectNameFor(url(a, 'recto'))));
    expect(await readdir(path.join(folder, 'mirror'))).to.have.length(2);
  });
});

describe('images: object names', () => {
  it("name each image as the seed does, Python's uuid5(NAMESPACE_URL, url)", () => {
    // Computed with Python 3.11: uuid.uuid5(uuid.NAMESPACE_URL, url).
    expect(objectNameFor('https://images.epagine.fr/019/9782070368228_1_75.jpg')).to.equal('750f0b95-ed6c-5f9f-9511-d95e087f5b4b');
  });
});

describe('images: --image-hosts', function () {
  this.timeout(60_000);
  /** Requests by path on each server. */
  const seen = { listed: [] as string[], other: [] as string[] };
  let listed: Server;
  let other: Server;
  let listedOrigin: string;
  let otherOrigin: string;

  before(async () => {
    other = createServer((request, response) => {
      seen.other.push(request.url ?? '');
      response.writeHead(200, { 'content-type': 'image/jpeg' }).end(sandboxJpeg('other'));
    });
    listed = createServer((request, response) => {
      seen.listed.push(`${request.headers.host} ${request.url}`);
      if (request.url === '/to-other.jpg') return response.writeHead(302, { location: `${otherOrigin}/cover.jpg` }).end();
      if (request.url === '/to-localhost.jpg') return response.writeHead(302, { location: `http://localhost:${new URL(listedOrigin).port}/cover.jpg` }).end();
      if (request.url === '/to-listed.jpg') return response.writeHead(301, { location: '/cover.jpg?redirected' }).end();
      response.writeHead(200, { 'content-type': 'image/jpeg' }).end(sandboxJpeg(request.url ?? ''));
    });
    listedOrigin = await listen(listed);
    otherOrigin = await listen(other);
  });
  after(async () => {
    await new Promise((resolve) => listed?.close(resolve));
    await new Promise((resolve) => other?.close(resolve));
  });

  it('requests covers from listed hosts only, redirects included, and counts the refused sides apart', async () => {
    const folder = await tempDir('titelive-images-hosts-');
    const input = path.join(folder, 'products.parquet');
    const writer = new ParquetFileWriter(input, PRODUCTS_COLUMNS);
    const row = (ean: string, recto: string, verso: string) => writer.append({ article_gencod: ean, article_imagesUrl: JSON.stringify({ recto, verso }), article_image: 1n, article_image_4: 1n });
    await row('9780000000019', `${listedOrigin}/cover.jpg`, `${otherOrigin}/direct.jpg`);
    await row('9780000000026', `${listedOrigin}/to-other.jpg`, `${listedOrigin}/to-localhost.jpg`);
    await row('9780000000033', 'http://169.254.169.254/latest/meta-data/iam.jpg', `https://images.epagine.fr/019/9780000000019_1_75.jpg`);
    await row('9780000000040', `${listedOrigin}/to-listed.jpg`, `${listedOrigin.replace('http:', 'https:')}/cover.jpg`);
    await writer.close();
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({ write: (chunk: Buffer, _encoding, done) => { for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>); done(); } });
    const output = path.join(folder, 'images.parquet');
    await runImages(
      { mode: 'file', inputParquetPath: input, outputParquetPath: output, imagesUrl: path.join(folder, 'mirror'), http: { maxSockets: 4, timeoutMs: 5_000, maxAttempts: 3, maxImageBytes: 1 << 20 }, maxFailureRatio: 0, allowedHosts: parseAllowedHosts(listedOrigin, '--image-hosts') },
      { logger: createLogger({ level: 'info', format: 'json', destination }), signal: new AbortController().signal },
    );
    expect(seen.other, 'the non-listed server was never asked').to.deep.equal([]);
    const port = new URL(listedOrigin).port;
    expect([...seen.listed].sort()).to.deep.equal([`127.0.0.1:${port} /cover.jpg`, `127.0.0.1:${port} /cover.jpg?redirected`, `127.0.0.1:${port} /to-listed.jpg`, `127.0.0.1:${port} /to-localhost.jpg`, `127.0.0.1:${port} /to-other.jpg`]);
    const rows: Array<Record<string, unknown>> = [];
    for await (const stored of readStageRows(new LocalStorage(folder), [{ outputs: [{ path: 'images.parquet' }] } as never])) rows.push(stored);
    const refused = 'failed: host not allowed';
    expect(rows.map((stored) => [stored.recto_upload_status, stored.verso_upload_status])).to.deep.equal([
      ['uploaded', refused],
      [refused, refused],
      [refused, refused],
      ['uploaded', refused],
    ]);
    const done = lines.find((line) => line.event === 'images_file_done')!;
    expect(done.counts).to.include({ uploaded: 2, host_not_allowed: 6, failed: 0, unavailable: 0 });
    const warnings = lines.filter((line) => line.event === 'image_hosts_refused');
    expect(warnings, 'one line for all the refusals').to.have.length(1);
    expect(warnings[0]!.count).to.equal(6);
    expect(String(warnings[0]!.message)).to.contain('IMAGE_HOSTS').and.contain(`redirect to ${otherOrigin}`);
  });
});

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}
