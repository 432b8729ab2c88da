import type { DayWindow } from '../runtime/choose-window.js';
import { stageCompletion } from '../runtime/completion.js';
import { ConfigError } from '../runtime/errors.js';
import { readManifests } from '../runtime/manifest.js';
import { readStageRows } from '../runtime/part-io.js';
import type { RunRef } from '../runtime/run-layout.js';
import type { Storage } from '../runtime/storage/storage.js';
import { STAGE_FOLDERS } from '../stage-table.js';
import { imagesColumns } from './part-schemas.js';

/** What a repair run plans from an earlier run. */
export interface FailedKeys {
  /** Distinct keys, sorted. */
  keys: string[];
  /** The earlier run's window: the repair keeps the same rule for old articles. */
  window: DayWindow;
  fetchFailed: number;
  coversFailed: number;
}

/**
 * The keys whose fetch ended `failed` in an earlier run of the dataset (plan
 * --retry-failed-from), and with `includeCovers` those with a cover whose mirroring ended
 * failed. The earlier run's fetch must be complete: an unfinished run is resumed, not repaired.
 */
export async function readFailedKeys(storage: Storage, from: RunRef, includeCovers: boolean, imageSides: readonly string[]): Promise<FailedKeys> {
  const plan = (await readManifests(storage, from, STAGE_FOLDERS.plan))[0];
  const window = plan?.details.window as DayWindow | undefined;
  if (!plan || !window) throw new ConfigError(`--retry-failed-from: no plan of ${from.dataset}/${from.runId} in ${storage.locate(`${from.dataset}/${from.runId}`)}; give the run id of an earlier run of this category and data URL`);
  const fetch = await stageCompletion(storage, from, STAGE_FOLDERS.fetch);
  if (!fetch.complete) throw new ConfigError(`--retry-failed-from: the fetch of ${from.dataset}/${from.runId} is not complete; resume that run (titelive-etl pipeline --run-id ${from.runId}) rather than repair it`);
  const failed = new Set<string>();
  for await (const row of readStageRows(storage, fetch.manifests, { columns: ['ean', 'status'] })) if (row.status === 'failed') failed.add(String(row.ean));
  const fetchFailed = failed.size;
  let coversFailed = 0;
  if (includeCovers) {
    const images = await stageCompletion(storage, from, STAGE_FOLDERS.images);
    if (!images.complete) throw new ConfigError(`--include-unavailable: the images stage of ${from.dataset}/${from.runId} is not complete; resume that run rather than repair it`);
    const statuses = imageSides.map((side) => `${side}_upload_status`);
    for await (const row of readStageRows(storage, images.manifests, { columns: imagesColumns(imageSides).map((column) => column.name) })) {
      if (!statuses.some((status) => String(row[status] ?? '').startsWith('failed'))) continue;
      coversFailed += 1;
      failed.add(String(row.ean));
    }
  }
  return { keys: [...failed].sort(), window, fetchFailed, coversFailed };
}
