import { parseAllowedHosts } from '../../src/runtime/http/host-allowlist.js';
import { withOriginalKeys } from '../../src/runtime/document-keys.js';
import { expect } from 'chai';
import { MongoClient, type Collection, type Document } from 'mongodb';
import { writeManifest } from '../../src/runtime/manifest.js';
import type { ColumnSpec } from '../../src/runtime/parquet/parquet-schema.js';
import { PartWriter, readStageRows } from '../../src/runtime/part-io.js';
import { readManifests } from '../../src/runtime/manifest.js';
import { partPath } from '../../src/runtime/run-layout.js';
import { LocalStorage } from '../../src/runtime/storage/local-storage.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { runFetch } from '../../src/stages/fetch.js';
import { runImages } from '../../src/stages/images.js';
import { RAW_COLUMNS, imagesColumns } from '../../src/stages/part-schemas.js';
import { IMAGE_SIDES } from '../../src/titelive/image-sides.js';
import { runLoad, type LoadConfig } from '../../src/stages/load.js';
import { runParse } from '../../src/stages/parse.js';
import { runPlan } from '../../src/stages/plan.js';
import { PRODUCTS_COLUMNS } from '../../src/titelive/product-columns.js';
import { KeySet } from '../../src/runtime/key-set.js';
import { StoredStates } from '../../src/stages/stored-states.js';
import { runCli, startCli } from '../helpers/cli.js';
import net from 'node:net';
import { fetchConfig, planConfig, quietContext, tempDir } from '../helpers/run-stages.js';
import { freePort, startMongo, type MongoServer } from '../helpers/services.js';

const window = { start: '2024-01-01', end: '2024-01-08' };
const R1 = window.end;
type Row = Record<string, unknown>;

describe('load (MongoDB)', function () {
  this.timeout(120_000);
  let mongo: MongoServer;
  let client: MongoClient;
  let sandbox: Sandbox;
  let dataUrl: string;
  let storage: LocalStorage;
  const database = `titelive_test_${process.pid}`;

  const config = (overrides: Partial<LoadConfig> = {}): LoadConfig => ({
    dataset: 'paper',
    runId: R1,
    dataUrl,
    shard: { index: 0, count: 1 },
    mongodbUri: mongo.uri,
    database,
    collection: 'products',
    batchSize: 100,
    maxFailureRatio: 0.01,
    ...overrides,
  });
  const products = (): Collection<Document> => client.db(database).collection('products');
  const counts = async (runs: Array<Promise<unknown>>) => {
    const manifests = (await Promise.all(runs)) as Array<{ counts: Record<string, number> }>;
    return manifests.reduce<Record<string, number>>((sum, manifest) => {
      for (const [key, value] of Object.entries(manifest.counts)) sum[key] = (sum[key] ?? 0) + value;
      return sum;
    }, {});
  };

  async function stageRows(runId: string, stage: string): Promise<Row[]> {
    const rows: Row[] = [];
    for await (const row of readStageRows(storage, await readManifests(storage, { dataset: 'paper', runId }, stage))) rows.push(row);
    return rows;
  }

  /** A new run made of R1's fetch, products and images rows, edited: one part and manifest per stage. */
  async function derivedRun(runId: string, edit: { fetch?: (rows: Row[]) => Row[]; products?: (rows: Row[]) => Row[]; images?: (rows: Row[]) => Row[] }): Promise<void> {
    const stages: Array<[string, readonly ColumnSpec[], ((rows: Row[]) => Row[]) | undefined]> = [['fetch', RAW_COLUMNS, edit.fetch], ['products', PRODUCTS_COLUMNS, edit.products], ['images', imagesColumns(IMAGE_SIDES), edit.images]];
    for (const [stage, columns, transform] of stages) {
      const rows = (transform ?? ((same: Row[]) => same))(await stageRows(R1, stage));
      const shard = { index: 0, count: 1 };
      const writer = await PartWriter.open(storage, partPath({ dataset: 'paper', runId }, stage, shard), columns);
      for (const row of rows) await writer.append(row);
      const output = await writer.commit();
      await writeManifest(storage, { stage, dataset: 'paper', runId, shardIndex: 0, shardCount: 1, inputs: [], outputs: [output], counts: {}, accounting: { unit: 'rows', in: output.rows, ended: { written: output.rows }, names: {} }, anomalies: [], details: {}, startedAt: new Date() });
    }
  }

  before(async function () {
    mongo = await startMongo(this);
    client = new MongoClient(mongo.uri);
    await client.connect();
    sandbox = new Sandbox({ products: 300, endDay: window.end, days: 10 });
    await sandbox.start();
    dataUrl = await tempDir();
    storage = new LocalStorage(dataUrl);
    await runPlan(planConfig(sandbox, dataUrl, window), quietContext());
    await runFetch(fetchConfig(sandbox, dataUrl, R1, { index: 0, count: 1 }), quietContext());
    await runParse({ mode: 'run', workers: 0, dataset: 'paper', runId: R1, dataUrl, shard: { index: 0, count: 1 } }, quietContext());
    await runImages({ mode: 'run', dataset: 'paper', runId: R1, dataUrl, shard: { index: 0, count: 1 }, imagesUrl: await tempDir('mirror-'), http: { maxSockets: 8, timeoutMs: 5_000, maxAttempts: 3, maxImageBytes: 1 << 20 }, maxFailureRatio: 0.01, allowedHosts: parseAllowedHosts(new URL(sandbox.url).origin, 'test') }, quietContext());
  });
  after(async () => {
    await client?.db(database).dropDatabase().catch(() => undefined);
    await client?.close();
    await sandbox?.stop();
    await mongo?.stop();
  });

  it('loads one document per article EAN with native types (two shards at once); a rerun writes nothing', async () => {
    const articles = await stageRows(R1, 'products');
    const first = await counts([0, 1].map((index) => runLoad(config({ shard: { index, count: 2 } }), quietContext())));
    expect(first.inserted).to.equal(articles.length);
    expect(first).to.include({ updated: 0, rejected: 0, deleted: 0 });
    expect(await products().countDocuments()).to.equal(articles.length);

    const sample = articles.find((row) => typeof row.auteurs_multi === 'string' && row.article_datemodification && row.article_image === 1)!;
    const document = (await products().findOne({ _id: sample.article_gencod as never }))!;
    expect(document.category).to.equal('paper');
    expect(document.titre).to.equal(sample.titre);
    expect(document.auteurs_multi, 'nested JSON text is an object or a list again').to.deep.equal(JSON.parse(sample.auteurs_multi as string));
    expect(document.article_prix).to.be.a('number');
    // Every catalogue column is a field of the document, under its column name.
    for (const column of PRODUCTS_COLUMNS) if (column.name !== 'article_gencod') expect(document, column.name).to.have.property(column.name);
    expect(document.article_prixpays).to.be.an('object').with.property('fr');
    expect(document.article_pages).to.be.a('number');
    expect(document.article_resume).to.equal(sample.article_resume);
    expect(document.titeliveModifiedAt).to.be.instanceOf(Date);
    expect(document.images.recto.status).to.equal('uploaded');
    expect(document.images.recto.uuid).to.be.a('string');
    expect(document).to.include({ status: 'active', firstSeenRunId: R1, lastChangedRunId: R1, deletedAt: null });
    expect(document.contentHash).to.be.a('string');
    expect(document.updatedAt).to.be.instanceOf(Date);

    const before = (await products().find({}, { projection: { updatedAt: 1 } }).toArray()).map((doc) => doc.updatedAt.getTime());
    const again = await counts([0, 1].map((index) => runLoad(config({ shard: { index, count: 2 } }), quietContext())));
    expect(again).to.include({ inserted: 0, updated: 0, deleted: 0, rejected: 0 });
    expect(again.unchanged).to.be.at.least(articles.length);
    const after = (await products().find({}, { projection: { updatedAt: 1 } }).toArray()).map((doc) => doc.updatedAt.getTime());
    expect(after, 'no document was rewritten').to.deep.equal(before);
  });

  it('replaces exactly the product that changed, keeping when it was first seen', async () => {
    const [changed] = (await stageRows(R1, 'products')).map((row) => String(row.article_gencod));
    await derivedRun('R2', { products: (rows) => rows.map((row) => (row.article_gencod === changed ? { ...row, titre: `${String(row.titre)} (nouvelle édition)` } : row)) });
    const result = await counts([runLoad(config({ runId: 'R2' }), quietContext())]);
    expect(result).to.include({ inserted: 0, updated: 1, rejected: 0 });
    const document = (await products().findOne({ _id: changed as never }))!;
    expect(document.titre).to.match(/\(nouvelle édition\)$/);
    expect(document).to.include({ firstSeenRunId: R1, lastChangedRunId: 'R2' });
  });

  it('marks an EAN Titelive deleted without removing it, and clears the mark when the product comes back', async () => {
    const gone = String((await stageRows(R1, 'products'))[1]!.article_gencod);
    await derivedRun('R3', {
      fetch: (rows) => rows.map((row) => (row.ean === gone ? { ...row, status: 'deleted', data: null } : row)),
      products: (rows) => rows.filter((row) => row.article_gencod !== gone),
      images: (rows) => rows.filter((row) => row.ean !== gone),
    });
    // R3 also undoes R2's title change (its products are R1's): one update besides the deletion.
    expect(await counts([runLoad(config({ runId: 'R3' }), quietContext())])).to.include({ deleted: 1, updated: 1, inserted: 0, rejected: 0 });
    const deleted = (await products().findOne({ _id: gone as never }))!;
    expect(deleted.status).to.equal('deleted_in_titelive');
    expect(deleted.deletedAt).to.be.instanceOf(Date);
    expect(await counts([runLoad(config({ runId: 'R3' }), quietContext())]), 'marked once').to.include({ deleted: 0 });

    // R1 has the product again: it alone is rewritten.
    expect(await counts([runLoad(config(), quietContext())])).to.include({ updated: 1, deleted: 0, inserted: 0 });
    const back = (await products().findOne({ _id: gone as never }))!;
    expect(back).to.include({ status: 'active', deletedAt: null });
  });

  it('counts and names a document the server rejects, writes the rest, and fails the shard over the ratio', async () => {
    // A unique index on the product id: the second article of a product is refused.
    await client.db(database).collection('strict').createIndex({ id: 1 }, { unique: true, name: 'one_per_product' });
    const articles = await stageRows(R1, 'products');
    const expectedRejections = articles.length - new Set(articles.map((row) => row.id)).size;
    expect(expectedRejections).to.be.greaterThan(0);
    let failure: unknown;
    try {
      await runLoad(config({ collection: 'strict', maxFailureRatio: 0 }), quietContext());
    } catch (error) {
      failure = error;
    }
    const deleted = (await stageRows(R1, 'fetch')).filter((row) => row.status === 'deleted').length;
    expect(String(failure)).to.match(new RegExp(`rejected ${expectedRejections} of the shard's ${articles.length + deleted} documents .*E11000`));
    expect(await client.db(database).collection('strict').countDocuments()).to.equal(articles.length - expectedRejections);
    const tolerated = await counts([runLoad(config({ collection: 'strict', maxFailureRatio: 1 }), quietContext())]);
    expect(tolerated).to.include({ rejected: expectedRejections, inserted: 0 });
  });

  it("judges a rerun by the shard's documents, not by the few it had to write again", async () => {
    await client.db(database).collection('rerun').createIndex({ id: 1 }, { unique: true, name: 'one_per_product' });
    const articles = await stageRows(R1, 'products');
    const rejections = articles.length - new Set(articles.map((row) => row.id)).size;
    const documents = articles.length + (await stageRows(R1, 'fetch')).filter((row) => row.status === 'deleted').length;
    // Between the share rejected (of the shard) and 1: a ratio over the rewritten documents alone would fail the rerun.
    const maxFailureRatio = (rejections / documents + 1) / 2;
    const first = await counts([runLoad(config({ collection: 'rerun', maxFailureRatio }), quietContext())]);
    expect(first).to.include({ rejected: rejections });
    const again = await counts([runLoad(config({ collection: 'rerun', maxFailureRatio }), quietContext())]);
    expect(again).to.include({ rejected: rejections, inserted: 0, updated: 0 });
    expect(again.unchanged).to.equal(documents - rejections);
  });

  it('never prints the connection string, even when the server cannot be reached', async () => {
    const port = await freePort();
    const secretUri = `mongodb://etl-user:Sup3r-s3cret@127.0.0.1:${port}/?serverSelectionTimeoutMS=500`;
    const result = await runCli(['load', '--category', 'paper', '--run-id', R1, '--data-url', dataUrl, '--log-format', 'json'], { MONGODB_URI: secretUri });
    expect(result.code).to.not.equal(0);
    const output = result.stdout + result.stderr;
    expect(output).to.match(/MongoDB: could not connect/);
    expect(output).to.not.contain('Sup3r-s3cret');
    expect(output).to.not.contain('etl-user');
  });

  it('bounds a bulk write the server never answers (exit 1), and on SIGTERM exits 143 within the drain time, without a manifest', async () => {
    const proxy = await silentOnWrites(new URL(mongo.uri));
    const runId = '2024-02-01';
    await derivedRun(runId, {});
    try {
      const uri = `mongodb://127.0.0.1:${proxy.port}/`;
      const args = ['load', '--category', 'paper', '--run-id', runId, '--data-url', dataUrl, '--log-format', 'json'];
      const env = { MONGODB_URI: uri, MONGODB_DATABASE: `hung_${process.pid}`, SHARD_COUNT: '1' };
      const started = Date.now();
      const timedOut = await runCli(args, { ...env, MONGODB_TIMEOUT_MS: '3000' });
      expect(timedOut.code, timedOut.stderr.slice(-500)).to.equal(1);
      expect(Date.now() - started, 'bounded by the operation timeout').to.be.below(30_000);
      expect(proxy.swallowed(), 'the write reached the hung server').to.be.greaterThan(0);

      const { child, done } = startCli(args, { ...env, MONGODB_TIMEOUT_MS: '600000', DRAIN_SECONDS: '3' });
      const before = proxy.swallowed();
      for (let waited = 0; proxy.swallowed() === before && waited < 30_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
      const signalled = Date.now();
      child.kill('SIGTERM');
      const stopped = await done;
      expect(stopped.code).to.equal(143);
      expect(Date.now() - signalled, 'within the drain time').to.be.below(8_000);
      expect(stopped.stderr).to.contain('drain_timeout');
      expect(await storage.exists(`paper/${runId}/load/_shards/00000.json`), 'no manifest').to.equal(false);
    } finally {
      await proxy.close();
    }
  });

  it('reads stored states the same way by _id lookups and by one scan', async () => {
    const stored = (await products().find({}, { projection: { _id: 1 } }).limit(30).toArray()).map((doc) => String(doc._id));
    const asked = [...stored.slice(0, 20), '0000000000000', 'not-an-ean'];
    const wanted = new KeySet();
    for (const ean of asked) wanted.add(ean);
    const lookup = await StoredStates.open(products() as never, wanted, Number.POSITIVE_INFINITY);
    const scan = await StoredStates.open(products() as never, wanted, 0);
    expect([lookup.mode, scan.mode]).to.deep.equal(['lookup', 'scan']);
    const byLookup = await lookup.get(asked);
    const byScan = await scan.get(asked);
    expect(byLookup.size).to.equal(20);
    expect([...byScan.entries()].sort()).to.deep.equal([...byLookup.entries()].sort());
    expect(byLookup.get(stored[0]!)?.contentHash).to.be.a('string');
  });

  it('stores free-form keys with "." or a leading "$" by the reversible rule, rejecting no document', async () => {
    const extra = { 'a.b': 1, $c: { 'd.e': [{ $f: 2, '50%': 'x' }] }, '%2E': 'literal', plain: true };
    const prixpays = { 'F.R': { $prix: 12.5, devise: 'EUR' } };
    let target = '';
    await derivedRun('R-keys', {
      products: (rows) => rows.map((row, index) => {
        if (index !== 0) return row;
        target = String(row.article_gencod);
        return { ...row, extra_fields: JSON.stringify(extra), article_prixpays: JSON.stringify(prixpays) };
      }),
    });
    const manifest = await runLoad(config({ runId: 'R-keys', collection: 'products_keys' }), quietContext());
    expect(manifest.counts.rejected, JSON.stringify(manifest.anomalies)).to.equal(0);
    const stored = await client.db(database).collection('products_keys').findOne({ _id: target as never });
    expect(stored?.extra_fields).to.deep.equal({ 'a%2Eb': 1, '%24c': { 'd%2Ee': [{ '%24f': 2, '50%25': 'x' }] }, '%252E': 'literal', plain: true });
    expect(withOriginalKeys(stored?.extra_fields)).to.deep.equal(extra);
    expect(withOriginalKeys(stored?.article_prixpays)).to.deep.equal(prixpays);
    // Stored keys are addressable paths: a query on one finds the document.
    expect(await client.db(database).collection('products_keys').countDocuments({ 'article_prixpays.F%2ER.devise': 'EUR' })).to.equal(1);
    // A rerun finds the same content hash: nothing is written again.
    const again = await runLoad(config({ runId: 'R-keys', collection: 'products_keys' }), quietContext());
    expect(again.counts).to.include({ inserted: 0, updated: 0, rejected: 0 });
  });
});

/**
 * A proxy to a MongoDB-compatible server that forwards everything until a write command (insert,
 * update) arrives, then swallows it and never answers again: a server that hung mid-bulk.
 */
async function silentOnWrites(target: URL): Promise<{ port: number; swallowed: () => number; close: () => Promise<void> }> {
  let swallowed = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let hung = false;
    client.on('data', (chunk: Buffer) => {
      if (!hung && (chunk.includes('insert\0') || chunk.includes('update\0'))) hung = true;
      if (hung) swallowed += 1;
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!hung) client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    swallowed: () => swallowed,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
