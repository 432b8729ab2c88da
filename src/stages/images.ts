import { imagesColumns } from './part-schemas.js';
import type { ImagesCommon, ImagesConfig, ImagesFileConfig, ImagesRunConfig } from '../stage-configs.js';
import { startShard } from '../stage-upstream.js';
import { ConfigError, WorkFailedError } from '../runtime/errors.js';
import type { JobContext } from '../runtime/harness.js';
import { AgentPool, proxyFromEnv } from '../runtime/http/agent-pool.js';
import { HttpClient, describeUrl } from '../runtime/http/http-client.js';
import { describeAllowedHosts, type AllowedHost } from '../runtime/http/host-allowlist.js';
import { Tally, type Accounting } from '../runtime/accounting.js';
import { writeManifest, type ShardManifest } from '../runtime/manifest.js';
import { httpSocketsInUse, httpSocketsOpened, itemsTotal } from '../runtime/metrics.js';
import { forEachCompleted } from '../runtime/concurrency/for-each-completed.js';
import { PartWriter, localCopyOf, readStageRows } from '../runtime/part-io.js';
import { checkParquetInput } from '../runtime/parquet/input-file-check.js';
import { readParquetRows } from '../runtime/parquet/parquet-reader.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Progress } from '../runtime/progress.js';
import { partPath } from '../runtime/run-layout.js';
import { Semaphore } from '../runtime/semaphore.js';
import { belongsToShard } from '../runtime/sharding.js';
import { openObjectStore } from '../runtime/storage/object-store.js';
import { openStorage, splitLocation } from '../runtime/storage/open-storage.js';
import { seedFileSource, sourceOf } from '../sources.js';
import type { ProductsFacet } from '../source.js';
import { STAGE_FOLDERS } from '../stage-table.js';
import type { ImageOutcome } from './image-outcome.js';
import { mirrorImage, objectNameFor } from './image-mirror.js';


export type { ImagesConfig, ImagesFileConfig, ImagesHttpConfig, ImagesRunConfig } from '../stage-configs.js';

/** Failed sides the manifest names one by one; past it, a count (the part has them all). */
const MAX_FAILURES_LISTED = 10_000;

/** Refused URLs the log names (once, when the shard ends); the manifest has them all, up to MAX_FAILURES_LISTED. */
const REFUSALS_LOGGED = 5;


/** Per row, what to do with each side. */
interface ImageRow {
  ean: string;
  sides: Array<{ url: string | null; status?: 'no_url' | 'skipped_flag' }>;
}

export async function runImages(config: ImagesConfig, context: JobContext): Promise<ShardManifest | void> {
  return config.mode === 'run' ? imagesRun(config, context) : imagesFile(config, context);
}

async function imagesRun(config: ImagesRunConfig, context: JobContext): Promise<ShardManifest> {
  const { startedAt, storage, run, upstream, label } = await startShard(config, 'images');
  const products = upstream.parse!;
  const rows: ImageRow[] = [];
  const facet = await sourceOf(config.dataset).products();
  for await (const row of readStageRows(storage, products, { columns: [...facet.imageColumns] })) {
    const ean = String(row[facet.keyColumn]);
    if (belongsToShard(ean, config.shard)) rows.push(imageRow(facet, ean, row));
  }
  const writer = await PartWriter.open(storage, partPath(run, STAGE_FOLDERS.images, config.shard), imagesColumns(facet.imageSides), { stage: 'images' });
  const result = await mirrorRows(rows, facet.imageSides, writer, config, context, label);
  const output = await writer.commit();
  const where = storage.locate(output.path);
  failIfTooManyFailures(result, config, label, `their rows are in ${where} but no manifest was written — rerun this shard; it redoes only what is not mirrored yet`);
  return writeManifest(storage, {
    stage: STAGE_FOLDERS.images,
    dataset: config.dataset,
    runId: config.runId,
    shardIndex: config.shard.index,
    shardCount: config.shard.count,
    inputs: products.flatMap((manifest) => manifest.outputs.map((file) => file.path)),
    outputs: [output],
    counts: result.counts,
    accounting: result.accounting,
    anomalies: failureAnomalies(result.failures),
    details: { sidesPerRow: facet.imageSides.length, imagesUrl: config.imagesUrl, maxSockets: config.http.maxSockets, socketsOpened: result.socketsOpened, peakImageBytes: result.peakImageBytes },
    startedAt,
  });
}

async function imagesFile(config: ImagesFileConfig, context: JobContext): Promise<void> {
  const input = splitLocation(config.inputParquetPath);
  const output = splitLocation(config.outputParquetPath);
  const inputStorage = openStorage(input.folder, '--input-parquet-path');
  if (!(await inputStorage.exists(input.name))) throw new ConfigError(`--input-parquet-path: ${config.inputParquetPath} does not exist`);
  const outputStorage = openStorage(output.folder, '--output-parquet-path');
  const facet = await seedFileSource().products();
  const rows: ImageRow[] = [];
  const scratch = await mkdtemp(path.join(tmpdir(), 'titelive-etl-images-'));
  try {
    const local = await localCopyOf(inputStorage, input.name, scratch);
    await checkParquetInput(local, `--input-parquet-path ${inputStorage.locate(input.name)}`, facet.imageColumns, `a products file written by parse (columns ${facet.imageColumns.join(', ')})`);
    for await (const row of readParquetRows(local, { columns: [...facet.imageColumns] })) rows.push(imageRow(facet, String(row[facet.keyColumn] ?? ''), row));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const writer = await PartWriter.open(outputStorage, output.name, imagesColumns(facet.imageSides), { stage: 'images' });
  const result = await mirrorRows(rows, facet.imageSides, writer, config, context, 'images');
  const file = await writer.commit();
  const where = outputStorage.locate(file.path);
  context.logger.info({ event: 'images_file_done', counts: result.counts, accounting: result.accounting, output: where, socketsOpened: result.socketsOpened, peakImageBytes: result.peakImageBytes }, `images: ${rows.length} rows → ${where} (${describeCounts(result.counts)}; ${result.socketsOpened} sockets opened)`);
  failIfTooManyFailures(result, config, 'images', `the statuses are in ${where}; run again to retry them`);
}

function imageRow(facet: ProductsFacet, ean: string, row: Record<string, unknown>): ImageRow {
  return {
    ean,
    sides: facet.imageSidesOf(row).map((source) => {
      if (source.url === null) return { url: null, status: 'no_url' as const };
      if (source.flaggedOff) return { url: source.url, status: 'skipped_flag' as const };
      return { url: source.url };
    }),
  };
}

interface MirrorResult {
  /** By distinct URL for the download outcomes, by side for no_url and skipped_flag. */
  counts: Record<string, number>;
  /** Every side of every row, and how it ended. */
  accounting: Accounting;
  /** Distinct URLs of the shard: the failure ratio's denominator (its numerator is counts.failed). */
  attempted: number;
  /** Every side that did not end in the mirror, with its row's EAN and its class. */
  failures: ImageFailure[];
  socketsOpened: number;
  /** The most image bytes held at once (downloaded, not yet stored). */
  peakImageBytes: number;
}

export interface ImageFailure {
  ean: string;
  side: string;
  url: string;
  kind: 'failed' | 'unavailable' | 'host_not_allowed';
  status: string;
  detail?: string;
}

/**
 * Mirrors every distinct URL of `rows` once, in completion order: a free slot takes the next
 * URL at once, so a slow or retrying image holds one slot, never the others. Then writes one
 * status row per input row, in input order (the rows are already in memory). Downloads in
 * flight per host are capped by the agents (maxSockets); slots are twice that, so existence
 * checks, uploads and retry waits overlap the downloads; image bytes in memory are capped at
 * maxSockets × maxImageBytes, held only while an attempt downloads or its image is stored.
 */
async function mirrorRows(rows: ImageRow[], imageSides: readonly string[], writer: PartWriter, config: ImagesCommon, { logger, signal }: JobContext, label: string): Promise<MirrorResult> {
  const pool = new AgentPool({ maxSockets: config.http.maxSockets, proxy: proxyFromEnv(process.env) });
  const http = new HttpClient({ pool, logger, transport: 'node-http', timeoutMs: config.http.timeoutMs, retry: { maxAttempts: config.http.maxAttempts, baseDelayMs: 250, maxDelayMs: 10_000 } });
  const store = openObjectStore(config.imagesUrl, http);
  const imageBytes = new Semaphore(config.http.maxSockets * config.http.maxImageBytes);
  const urls = [...new Set(rows.flatMap((row) => row.sides.filter((side) => !side.status).map((side) => side.url!)))];
  const outcomes = new Map<string, ImageOutcome>();
  const progress = new Progress(logger, label, urls.length, 'images');
  const counts: Record<string, number> = { rows: 0, uploaded: 0, already_present: 0, failed: 0, unavailable: 0, host_not_allowed: 0, no_url: 0, skipped_flag: 0 };
  const sides = new Tally('image sides', ['uploaded', 'already_present', 'failed', 'unavailable', 'host_not_allowed', 'no_url', 'skipped_flag']);
  const result: MirrorResult = { counts, accounting: sides.toJSON(), attempted: urls.length, failures: [], socketsOpened: 0, peakImageBytes: 0 };
  const inMemory = { bytes: 0, peak: 0 };
  const sockets = setInterval(() => recordSockets(pool), 1_000);
  try {
    await forEachCompleted(
      urls,
      config.http.maxSockets * 2,
      (url) => mirrorImage(url, { store, http, imageBytes, maxBytes: config.http.maxImageBytes, allowedHosts: config.allowedHosts, inMemory, signal }),
      (outcome, url) => {
        outcomes.set(url, outcome);
        counts[outcome.kind] = (counts[outcome.kind] ?? 0) + 1;
        progress.add(outcome.kind);
        itemsTotal.inc({ stage: 'images', outcome: outcome.kind });
      },
      signal,
    );
    for (const row of rows) {
      counts.rows! += 1;
      const values: Record<string, unknown> = { ean: row.ean };
      imageSides.forEach((side, index) => {
        const { url, status } = row.sides[index]!;
        const name = url === null ? null : objectNameFor(url);
        const outcome = status ? undefined : outcomes.get(url!);
        if (status) counts[status] = (counts[status] ?? 0) + 1;
        const ending = status ?? outcome!.kind;
        const failedSide = ending === 'failed' || ending === 'unavailable' || ending === 'host_not_allowed';
        sides.readAndEnd(ending, 1, failedSide ? `${row.ean} ${side}` : undefined);
        if (outcome && failedSide) {
          result.failures.push({ ean: row.ean, side, url: urlForMessages(url!), kind: ending, status: outcome.status, ...(outcome.detail ? { detail: outcome.detail } : {}) });
        }
        values[side] = url;
        values[`${side}_uuid`] = status ? null : name;
        values[`${side}_gcs_path`] = status || !name ? null : store.locate(name);
        values[`${side}_upload_status`] = status ?? outcome!.status;
      });
      await writer.append(values);
    }
    result.accounting = sides.toJSON();
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
  logRefusals(outcomes, config.allowedHosts, logger, label);
  return result;
}

/** One line for the URLs --image-hosts refused: how many, and the first few with why. */
function logRefusals(outcomes: ReadonlyMap<string, ImageOutcome>, allowedHosts: readonly AllowedHost[], logger: JobContext['logger'], label: string): void {
  const refused = [...outcomes].filter(([, outcome]) => outcome.kind === 'host_not_allowed');
  if (refused.length === 0) return;
  const examples = refused.slice(0, REFUSALS_LOGGED).map(([url, outcome]) => `${urlForMessages(url)} (${outcome.detail})`);
  logger.warn(
    { event: 'image_hosts_refused', count: refused.length, examples, imageHosts: describeAllowedHosts(allowedHosts) },
    `${label}: ${refused.length} image URL(s) not requested, their host is not allowed: ${examples.join('; ')}${refused.length > REFUSALS_LOGGED ? '…' : ''} — --image-hosts (IMAGE_HOSTS) lists the hosts covers may come from`,
  );
}

/** The URL without its query, or the text as it is when it is not a URL. */
function urlForMessages(url: string): string {
  return URL.canParse(url) ? describeUrl(url) : url;
}

function recordSockets(pool: AgentPool): void {
  for (const host of pool.stats()) {
    httpSocketsInUse.set({ host: host.host }, host.socketsInUse);
    httpSocketsOpened.set({ host: host.host }, host.socketsCreated);
  }
}

function failIfTooManyFailures(result: MirrorResult, config: ImagesCommon, label: string, after: string): void {
  const ratio = result.attempted === 0 ? 0 : result.counts.failed! / result.attempted;
  if (ratio <= config.maxFailureRatio) return;
  const examples = result.failures.filter((failure) => failure.kind === 'failed').slice(0, 5).map((failure) => `${failure.url}: ${failure.status}`).join('; ');
  const unavailableToo = result.counts.unavailable ? ` (and ${result.counts.unavailable} unavailable at the source, not counted)` : '';
  throw new WorkFailedError(
    `${label}: ${result.counts.failed} of ${result.attempted} images failed${unavailableToo} (${(ratio * 100).toFixed(1)} % > --max-failure-ratio ${config.maxFailureRatio}): ${examples}; ${after}`,
  );
}

/** The manifest's record of every side that did not reach the mirror, by class, capped. */
function failureAnomalies(failures: readonly ImageFailure[]): Array<Record<string, unknown>> {
  const listed: Array<Record<string, unknown>> = failures.slice(0, MAX_FAILURES_LISTED).map(({ kind, ...failure }) => ({ type: `image_${kind}`, ...failure }));
  if (failures.length > MAX_FAILURES_LISTED) listed.push({ type: 'image_failures_not_listed', count: failures.length - MAX_FAILURES_LISTED });
  return listed;
}

function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts).filter(([key]) => key !== 'rows').map(([key, value]) => `${value} ${key}`).join(', ');
}
