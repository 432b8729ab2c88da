import { v5 as uuidv5 } from 'uuid';
import { requireStageComplete } from '../runtime/completion.js';
import { ConfigError, WorkFailedError } from '../runtime/errors.js';
import type { JobContext } from '../runtime/harness.js';
import { AgentPool, proxyFromEnv } from '../runtime/http/agent-pool.js';
import { HttpClient, describeUrl } from '../runtime/http/http-client.js';
import { checkImage } from '../runtime/image-bytes.js';
import { writeManifest, type ShardManifest } from '../runtime/manifest.js';
import { httpSocketsInUse, httpSocketsOpened, itemsTotal, transferredBytesTotal } from '../runtime/metrics.js';
import { forEachOrdered } from '../runtime/ordered-pool.js';
import { PartWriter, readStageRows, readStoredRows } from '../runtime/part-io.js';
import type { ColumnSpec } from '../runtime/parquet/parquet-schema.js';
import { Progress } from '../runtime/progress.js';
import { partPath, type RunRef } from '../runtime/run-layout.js';
import { Semaphore } from '../runtime/semaphore.js';
import { belongsToShard, type Shard } from '../runtime/sharding.js';
import { openObjectStore, type ObjectStore } from '../runtime/storage/object-store.js';
import { openStorage, splitLocation } from '../runtime/storage/open-storage.js';
import type { Category } from '../titelive/categories.js';
import { IMAGE_SIDES, parseImagesUrl, sideSource } from '../titelive/image-sides.js';
import { PRODUCTS_FOLDER } from './parse.js';
import { STAGE_FOLDERS } from './stage-outputs.js';

export interface ImagesHttpConfig {
  /** Sockets per upstream host (image host, GCS); also the downloads in flight. */
  maxSockets: number;
  timeoutMs: number;
  maxAttempts: number;
  /** Larger downloads fail; bounds memory to maxSockets × maxImageBytes. */
  maxImageBytes: number;
}

interface ImagesCommon {
  /** The mirror: gs://bucket/prefix or a local folder; objects are named UUIDv5(URL). */
  imagesUrl: string;
  http: ImagesHttpConfig;
  /** Above this share of failed images, the shard exits 1 (Kubernetes retries that index). */
  maxFailureRatio: number;
}

export interface ImagesRunConfig extends ImagesCommon {
  mode: 'run';
  category: Category;
  runId: string;
  dataUrl: string;
  shard: Shard;
}

/** The seed's way: one parsed file in, one file of image columns out. */
export interface ImagesFileConfig extends ImagesCommon {
  mode: 'file';
  inputParquetPath: string;
  outputParquetPath: string;
}

export type ImagesConfig = ImagesRunConfig | ImagesFileConfig;

export const IMAGES_FOLDER = STAGE_FOLDERS.images;

/** The seed's image columns, plus the article EAN they belong to. */
export const IMAGES_COLUMNS: ColumnSpec[] = [
  { name: 'ean', type: 'STRING', required: true },
  ...IMAGE_SIDES.map((side): ColumnSpec => ({ name: side, type: 'STRING' })),
  ...IMAGE_SIDES.map((side): ColumnSpec => ({ name: `${side}_uuid`, type: 'STRING' })),
  ...IMAGE_SIDES.map((side): ColumnSpec => ({ name: `${side}_gcs_path`, type: 'STRING' })),
  ...IMAGE_SIDES.map((side): ColumnSpec => ({ name: `${side}_upload_status`, type: 'STRING' })),
];

const SOURCE_COLUMNS = ['article_gencod', 'article_imagesUrl', 'article_image', 'article_image_4'];

/** Per row, what to do with each side. */
interface ImageRow {
  ean: string;
  sides: Array<{ url: string | null; status?: 'no_url' | 'skipped_flag' }>;
}

export async function runImages(config: ImagesConfig, context: JobContext): Promise<ShardManifest | void> {
  return config.mode === 'run' ? imagesRun(config, context) : imagesFile(config, context);
}

async function imagesRun(config: ImagesRunConfig, context: JobContext): Promise<ShardManifest> {
  const startedAt = new Date();
  const storage = openStorage(config.dataUrl);
  const run: RunRef = { dataset: config.category, runId: config.runId };
  const products = await requireStageComplete(storage, run, PRODUCTS_FOLDER, 'images');
  const rows: ImageRow[] = [];
  for await (const row of readStageRows(storage, products, { columns: SOURCE_COLUMNS })) {
    const ean = String(row.article_gencod);
    if (belongsToShard(ean, config.shard)) rows.push(imageRow(ean, row));
  }
  const label = `images ${config.category} shard ${config.shard.index + 1}/${config.shard.count}`;
  const writer = await PartWriter.open(storage, partPath(run, IMAGES_FOLDER, config.shard), IMAGES_COLUMNS, { stage: 'images' });
  const result = await mirrorRows(rows, writer, config, context, label);
  const output = await writer.commit();
  const where = storage.locate(output.path);
  failIfTooManyFailures(result, config, label, `their rows are in ${where} but no manifest was written — rerun this shard; it redoes only what is not mirrored yet`);
  return writeManifest(storage, {
    stage: IMAGES_FOLDER,
    dataset: config.category,
    runId: config.runId,
    shardIndex: config.shard.index,
    shardCount: config.shard.count,
    inputs: products.flatMap((manifest) => manifest.outputs.map((file) => file.path)),
    outputs: [output],
    counts: result.counts,
    anomalies: result.firstFailures.map((failure) => ({ type: 'image_failed', ...failure })),
    details: { imagesUrl: config.imagesUrl, maxSockets: config.http.maxSockets, socketsOpened: result.socketsOpened, peakImageBytes: result.peakImageBytes },
    startedAt,
  });
}

async function imagesFile(config: ImagesFileConfig, context: JobContext): Promise<void> {
  const input = splitLocation(config.inputParquetPath);
  const output = splitLocation(config.outputParquetPath);
  const inputStorage = openStorage(input.folder, '--input-parquet-path');
  if (!(await inputStorage.exists(input.name))) throw new ConfigError(`--input-parquet-path: ${config.inputParquetPath} does not exist`);
  const outputStorage = openStorage(output.folder, '--output-parquet-path');
  const rows: ImageRow[] = [];
  for await (const row of readStoredRows(inputStorage, input.name, { columns: SOURCE_COLUMNS })) rows.push(imageRow(String(row.article_gencod ?? ''), row));
  const writer = await PartWriter.open(outputStorage, output.name, IMAGES_COLUMNS, { stage: 'images' });
  const result = await mirrorRows(rows, writer, config, context, 'images');
  const file = await writer.commit();
  const where = outputStorage.locate(file.path);
  context.logger.info({ event: 'images_file_done', counts: result.counts, output: where, socketsOpened: result.socketsOpened, peakImageBytes: result.peakImageBytes }, `images: ${rows.length} rows → ${where} (${describeCounts(result.counts)}; ${result.socketsOpened} sockets opened)`);
  failIfTooManyFailures(result, config, 'images', `the statuses are in ${where}; run again to retry them`);
}

function imageRow(ean: string, row: Record<string, unknown>): ImageRow {
  const urls = parseImagesUrl(row.article_imagesUrl);
  return {
    ean,
    sides: IMAGE_SIDES.map((side) => {
      const source = sideSource(row, side, urls);
      if (source.url === null) return { url: null, status: 'no_url' as const };
      if (source.flaggedOff) return { url: source.url, status: 'skipped_flag' as const };
      return { url: source.url };
    }),
  };
}

interface MirrorResult {
  counts: Record<string, number>;
  /** Distinct URLs attempted and failed: the failure ratio's terms. */
  attempted: number;
  failed: number;
  firstFailures: Array<{ url: string; status: string }>;
  socketsOpened: number;
  /** The most image bytes held at once (downloaded, not yet stored). */
  peakImageBytes: number;
}

/**
 * Mirrors every side of `rows` (each distinct URL once) and writes one status row per input row,
 * in order. Requests in flight per host are capped by the agents (maxSockets); image bytes held
 * in memory by maxSockets × maxImageBytes.
 */
async function mirrorRows(rows: ImageRow[], writer: PartWriter, config: ImagesCommon, { logger, signal }: JobContext, label: string): Promise<MirrorResult> {
  const pool = new AgentPool({ maxSockets: config.http.maxSockets, proxy: proxyFromEnv(process.env) });
  const http = new HttpClient({ pool, logger, transport: 'node-http', timeoutMs: config.http.timeoutMs, retry: { maxAttempts: config.http.maxAttempts, baseDelayMs: 250, maxDelayMs: 10_000 } });
  const store = openObjectStore(config.imagesUrl, http);
  // Image bytes in memory: a download reserves the size limit, and keeps only its real size once known.
  const imageBytes = new Semaphore(config.http.maxSockets * config.http.maxImageBytes);
  const statuses = new Map<string, Promise<string>>();
  const urls = new Set(rows.flatMap((row) => row.sides.filter((side) => !side.status).map((side) => side.url!)));
  const progress = new Progress(logger, label, urls.size, 'images');
  const counts: Record<string, number> = { rows: 0, uploaded: 0, already_present: 0, failed: 0, no_url: 0, skipped_flag: 0 };
  const result: MirrorResult = { counts, attempted: urls.size, failed: 0, firstFailures: [], socketsOpened: 0, peakImageBytes: 0 };
  // Bytes of downloaded images not yet stored, now and at their peak (reported in the log and manifest).
  const inMemory = { bytes: 0, peak: 0 };
  const sockets = setInterval(() => recordSockets(pool), 1_000);
  const statusOf = (url: string): Promise<string> => {
    let status = statuses.get(url);
    if (!status) {
      status = mirrorImage(url, store, http, imageBytes, config.http.maxImageBytes, inMemory, signal).then((outcome) => {
        const kind = outcome.startsWith('failed') ? 'failed' : outcome;
        counts[kind] = (counts[kind] ?? 0) + 1;
        progress.add(kind);
        itemsTotal.inc({ stage: 'images', outcome: kind });
        if (kind === 'failed') {
          result.failed += 1;
          if (result.firstFailures.length < 5) result.firstFailures.push({ url: describeUrl(url), status: outcome });
        }
        return outcome;
      });
      statuses.set(url, status);
    }
    return status;
  };
  try {
    await forEachOrdered(
      rows,
      // Rows ahead of the downloads, so existence checks and uploads overlap them.
      config.http.maxSockets * 2,
      (row) => Promise.all(row.sides.map((side) => side.status ?? statusOf(side.url!))),
      async (sideStatuses, row) => {
        counts.rows! += 1;
        const values: Record<string, unknown> = { ean: row.ean };
        IMAGE_SIDES.forEach((side, index) => {
          const { url, status } = row.sides[index]!;
          const name = url === null ? null : uuidv5(url, uuidv5.URL);
          if (status) counts[status] = (counts[status] ?? 0) + 1;
          values[side] = url;
          values[`${side}_uuid`] = status ? null : name;
          values[`${side}_gcs_path`] = status || !name ? null : store.locate(name);
          values[`${side}_upload_status`] = sideStatuses[index];
        });
        await writer.append(values);
      },
      signal,
    );
  } catch (error) {
    await writer.discard();
    throw error;
  } finally {
    clearInterval(sockets);
    recordSockets(pool);
    result.socketsOpened = pool.stats().reduce((sum, host) => sum + host.socketsCreated, 0);
    result.peakImageBytes = inMemory.peak;
    pool.destroy();
  }
  signal.throwIfAborted();
  progress.log('done');
  return result;
}

/** One image: already in the mirror, or downloaded, checked and stored; a status either way. */
async function mirrorImage(url: string, store: ObjectStore, http: HttpClient, imageBytes: Semaphore, maxBytes: number, inMemory: { bytes: number; peak: number }, signal: AbortSignal): Promise<string> {
  const name = uuidv5(url, uuidv5.URL);
  const label = `image ${describeUrl(url)}`;
  // Budget units this download holds (the size limit, then the real size), and bytes it counts in memory.
  let reserved = 0;
  let holding = 0;
  try {
    if (await store.exists(name, signal)) return 'already_present';
    await imageBytes.acquire(maxBytes);
    reserved = maxBytes;
    const response = await http.request({ url, responseType: 'buffer', maxBytes, signal, label });
    imageBytes.release(reserved - response.body.length);
    reserved = response.body.length;
    holding = reserved;
    inMemory.bytes += holding;
    inMemory.peak = Math.max(inMemory.peak, inMemory.bytes);
    if (response.statusCode !== 200) return `failed: HTTP ${response.statusCode}`;
    const check = checkImage(headerText(response.headers['content-type']), response.body);
    if (!check.ok) return `failed: ${check.reason}`;
    transferredBytesTotal.inc({ stage: 'images', direction: 'downloaded' }, response.body.length);
    const outcome = await store.createIfAbsent(name, response.body, check.contentType, signal);
    if (outcome === 'created') transferredBytesTotal.inc({ stage: 'images', direction: 'uploaded' }, response.body.length);
    return outcome === 'created' ? 'uploaded' : 'already_present';
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    // The row already names the URL: the status keeps only what went wrong.
    const message = error instanceof Error ? error.message : String(error);
    return `failed: ${message.startsWith(`${label}: `) ? message.slice(label.length + 2) : message}`;
  } finally {
    imageBytes.release(reserved);
    inMemory.bytes -= holding;
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function recordSockets(pool: AgentPool): void {
  for (const host of pool.stats()) {
    httpSocketsInUse.set({ host: host.host }, host.socketsInUse);
    httpSocketsOpened.set({ host: host.host }, host.socketsCreated);
  }
}

function failIfTooManyFailures(result: MirrorResult, config: ImagesCommon, label: string, after: string): void {
  const ratio = result.attempted === 0 ? 0 : result.failed / result.attempted;
  if (ratio <= config.maxFailureRatio) return;
  const examples = result.firstFailures.map((failure) => `${failure.url}: ${failure.status}`).join('; ');
  throw new WorkFailedError(
    `${label}: ${result.failed} of ${result.attempted} images failed (${(ratio * 100).toFixed(1)} % > --max-failure-ratio ${config.maxFailureRatio}): ${examples}; ${after}`,
  );
}

function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts).filter(([key]) => key !== 'rows').map(([key, value]) => `${value} ${key}`).join(', ');
}
