/**
 * Load throughput: docs/s for a first load and for a no-change rerun of N articles, beside the
 * same server's raw insertMany rate on the same documents (the ratio is the figure that matters).
 *   npm run bench:load [-- --articles 100000 --batch-size 1000 --repeat 1 --json out.json]
 * Uses MONGODB_URI when set, else starts FerretDB from tools/bin (npm run tools).
 */
import { FERRETDB_BINARY, startLocalFerretDb } from '../src/runtime/local-ferretdb.js';
import type { ColumnSpec } from '../src/runtime/parquet/parquet-schema.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { createLogger } from '../src/runtime/logger.js';
import { writeManifest } from '../src/runtime/manifest.js';
import { PartWriter } from '../src/runtime/part-io.js';
import { partPath, type RunRef } from '../src/runtime/run-layout.js';
import { LocalStorage } from '../src/runtime/storage/local-storage.js';
import { SandboxCatalog } from '../src/sandbox/catalog.js';
import { RAW_COLUMNS, imagesColumns } from '../src/stages/part-schemas.js';
import { IMAGE_SIDES } from '../src/titelive/image-sides.js';
import { runLoad, type LoadConfig } from '../src/stages/load.js';
import { flattenProduct, newNotes } from '../src/titelive/flatten-product.js';
import { contentHash } from '../src/runtime/content-hash.js';
import { productContent } from '../src/titelive/product-document.js';
import { PRODUCTS_COLUMNS } from '../src/titelive/product-columns.js';
import { arg, spread, writeJsonResult } from './bench-kit.js';


const articles = Number(arg('articles', '100000'));
const batchSize = Number(arg('batch-size', '1000'));
const repeat = Number(arg('repeat', '1'));

async function startServer(): Promise<{ uri: string; name: string; stop: () => Promise<void> }> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, name: 'MONGODB_URI', stop: async () => undefined };
  const server = await startLocalFerretDb();
  if (!server) throw new Error(`${FERRETDB_BINARY} is missing: run npm run tools first, or set MONGODB_URI`);
  return { ...server, name: 'FerretDB 1.24.0 (SQLite)' };
}

/** A run folder with N articles: products from the sandbox catalog, an images part, a fetch part. */
async function writeRun(dataUrl: string, run: RunRef): Promise<Array<Record<string, unknown>>> {
  const storage = new LocalStorage(dataUrl);
  const catalog = new SandboxCatalog({ products: articles, seed: 3, endDay: '2024-01-08', days: 10, imageBaseUrl: 'https://images.example/titelive' });
  const shard = { index: 0, count: 1 };
  const rows: Array<Record<string, unknown>> = [];
  for (let index = 0; rows.length < articles; index++) rows.push(...flattenProduct(catalog.product('paper', index), { windowStart: '2000-01-01' }, newNotes()).rows);
  rows.length = articles;
  const parts: Array<[string, readonly ColumnSpec[], Array<Record<string, unknown>>]> = [
    ['products', PRODUCTS_COLUMNS, rows],
    ['images', imagesColumns(IMAGE_SIDES), rows.map((row) => ({ ean: row.article_gencod, recto: 'https://images.example/r.jpg', recto_uuid: 'u', recto_gcs_path: 'gs://b/u', recto_upload_status: 'uploaded', verso_upload_status: 'no_url' }))],
    ['fetch', RAW_COLUMNS, rows.map((row) => ({ ean: row.article_gencod, base: 'paper', status: 'found', data: null, fetched_at: new Date() }))],
  ];
  for (const [stage, columns, stageRows] of parts) {
    const writer = await PartWriter.open(storage, partPath(run, stage, shard), columns);
    for (const row of stageRows) await writer.append(row);
    const output = await writer.commit();
    await writeManifest(storage, { stage, dataset: run.dataset, runId: run.runId, shardIndex: 0, shardCount: 1, inputs: [], outputs: [output], counts: {}, accounting: { unit: 'rows', in: output.rows, ended: { written: output.rows }, names: {} }, anomalies: [], details: {}, startedAt: new Date() });
  }
  return rows;
}

async function runLoadTimed(config: LoadConfig, context: Parameters<typeof runLoad>[1], into: number[]) {
  const started = performance.now();
  const manifest = await runLoad(config, context);
  into.push((performance.now() - started) / 1000);
  return manifest;
}

const server = await startServer();
const dataUrl = await mkdtemp(path.join(os.tmpdir(), 'titelive-load-bench-'));
const run: RunRef = { dataset: 'paper', runId: 'bench' };
const database = `titelive_bench_${Date.now()}`;
const client = new MongoClient(server.uri);
try {
  const rows = await writeRun(dataUrl, run);
  await client.connect();
  const config: LoadConfig = { dataset: 'paper', runId: run.runId, dataUrl, shard: { index: 0, count: 1 }, mongodbUri: server.uri, database, collection: 'products', batchSize, maxFailureRatio: 0 };
  const context = { logger: createLogger({ level: 'warn' }), signal: new AbortController().signal };
  const timed = async (work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    return (performance.now() - started) / 1000;
  };
  const firsts: number[] = [];
  const reruns: number[] = [];
  for (let run = 0; run < repeat; run++) {
    // Each repetition starts from an empty collection: the first load inserts everything.
    await client.db(database).collection('products').drop().catch(() => undefined);
    const manifests = [await runLoadTimed(config, context, firsts), await runLoadTimed(config, context, reruns)];
    if (manifests[0]!.counts.inserted !== articles || manifests[1]!.counts.unchanged !== articles) {
      throw new Error(`wrong counts: first load ${JSON.stringify(manifests[0]!.counts)}, rerun ${JSON.stringify(manifests[1]!.counts)} for ${articles} articles`);
    }
  }
  const first = spread(firsts).median;
  const rerun = spread(reruns).median;
  // The same documents, written with nothing else: insertMany in batches of the same size.
  const documents = rows.map((row) => {
    const content = productContent(row, 'paper');
    return { ...content, status: 'active', deletedAt: null, contentHash: contentHash(content), firstSeenRunId: 'bench', lastChangedRunId: 'bench', updatedAt: new Date() };
  });
  const raw = client.db(database).collection<{ _id: string }>('raw');
  const insertMany = await timed(async () => {
    for (let i = 0; i < documents.length; i += batchSize) await raw.insertMany(documents.slice(i, i + batchSize), { ordered: false, writeConcern: { w: 'majority' } });
  });
  // What the server can read: one scan of the loaded collection, with the projection load uses.
  const scan = await timed(async () => {
    for await (const document of client.db(database).collection('products').find({}, { projection: { contentHash: 1, firstSeenRunId: 1, deletedAt: 1 }, batchSize: 5_000 })) void document;
  });
  writeJsonResult({ articles, batchSize, server: server.name, firstLoad: spread(firsts), rerun: spread(reruns), insertManySeconds: insertMany, scanSeconds: scan });
  const rate = (seconds: number) => (articles / seconds).toFixed(0).padStart(7);
  process.stdout.write(
    `load: ${articles} articles, batches of ${batchSize}, ${server.name}, ${os.availableParallelism()} CPUs, Node ${process.version}\n` +
      `  first load        ${first.toFixed(2).padStart(6)} s  ${rate(first)} docs/s   ${((insertMany / first) * 100).toFixed(0)} % of raw insertMany\n` +
      `  no-change rerun   ${rerun.toFixed(2).padStart(6)} s  ${rate(rerun)} docs/s   ${((insertMany / rerun) * 100).toFixed(0)} % of raw insertMany, ${((scan / rerun) * 100).toFixed(0)} % of a raw scan\n` +
      `  raw insertMany    ${insertMany.toFixed(2).padStart(6)} s  ${rate(insertMany)} docs/s\n` +
      `  raw scan          ${scan.toFixed(2).padStart(6)} s  ${rate(scan)} docs/s   (find, load's projection)\n`,
  );
} finally {
  await client.db(database).dropDatabase().catch(() => undefined);
  await client.close();
  await server.stop();
  await rm(dataUrl, { recursive: true, force: true });
}
