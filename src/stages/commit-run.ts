import type { Logger } from 'pino';
import { advanceCursor } from '../runtime/advance-cursor.js';
import type { DayWindow } from '../runtime/choose-window.js';
import { stageCompletion } from '../runtime/completion.js';
import { readCursor, updateCursor, type CursorState, type GivenUpItem } from '../runtime/cursor.js';
import { readManifests, type ShardManifest } from '../runtime/manifest.js';
import { cursorCarriedItems, cursorEndTimestampSeconds, cursorLagDays, itemsGivenUpTotal } from '../runtime/metrics.js';
import { readStageRows } from '../runtime/part-io.js';
import type { RunRef } from '../runtime/run-layout.js';
import type { Storage } from '../runtime/storage/storage.js';
import { PRODUCT_VERSION } from '../runtime/version.js';
import { STAGES, STAGE_FOLDERS } from '../stage-table.js';
import { cursorLag } from '../runtime/cursor-lag.js';
import { isIsoDay } from '../runtime/calendar.js';
import { reconcileRun } from './verify.js';

/** What a committed run recorded beside its stages: `{dataset}/{runId}/_commit.json`. */
export interface CommitRecord {
  dataset: string;
  runId: string;
  window: DayWindow;
  committedAt: string;
  cursorBefore: string | null;
  /** Null when a backfill committed before any incremental run. */
  cursorAfter: string | null;
  moved: boolean;
  reason: string;
  /** Items fetched for good, and items that failed and are carried to the next runs. */
  done: number;
  failed: number;
  carriedAfter: number;
  givenUp: GivenUpItem[];
  productVersion: string;
}

export function commitPath(run: RunRef): string {
  return `${run.dataset}/${run.runId}/_commit.json`;
}

/**
 * Commits a run once its last stage is complete and its manifests reconcile: the dataset's
 * cursor moves (advanceCursor's rule; a list's or repair's run leaves it), the items that failed are carried to the next runs or
 * given up, and the run's commit record is written. Returns undefined, changing nothing, while
 * the run is not complete or does not add up. Safe to call again for the same run.
 */
export async function commitRunIfComplete(storage: Storage, run: RunRef, settings: { maxItemAttempts: number }, logger: Logger): Promise<CommitRecord | undefined> {
  const last = STAGES[STAGES.length - 1]!;
  if (!(await stageCompletion(storage, run, STAGE_FOLDERS[last])).complete) return undefined;
  const reconciliation = await reconcileRun(storage, run);
  if (!reconciliation.ok) {
    logger.warn({ event: 'run_not_committed', run }, `commit: ${run.dataset}/${run.runId} does not reconcile (see \`titelive-etl verify\`); the cursor does not move`);
    return undefined;
  }
  const plan = (await readManifests(storage, run, STAGE_FOLDERS.plan))[0];
  const window = plan?.details.window as DayWindow | undefined;
  if (!window) return undefined;

  const done: string[] = [];
  const failedErrors = new Map<string, string>();
  for await (const row of readStageRows(storage, await readManifests(storage, run, STAGE_FOLDERS.fetch), { columns: ['ean', 'status', 'error'] })) {
    if (row.status === 'failed') failedErrors.set(String(row.ean), String(row.error ?? 'failed'));
    else done.push(String(row.ean));
  }

  const committedAt = new Date().toISOString();
  // A backfill or repair run (its plan says so) leaves the cursor and its carried items as they are: what failed is repaired with --retry-failed-from, not carried.
  const movesCursor = plan!.details.movesCursor !== false;
  const change = movesCursor ? await moveCursor(storage, run, plan!, window, done, failedErrors, settings.maxItemAttempts, committedAt) : await leaveCursor(storage, run.dataset);
  const record: CommitRecord = {
    dataset: run.dataset,
    runId: run.runId,
    window,
    committedAt,
    cursorBefore: change.before?.end ?? null,
    cursorAfter: change.after?.end ?? null,
    moved: change.moved,
    reason: change.reason,
    done: done.length,
    failed: failedErrors.size,
    carriedAfter: Object.keys(change.after?.carried ?? {}).length,
    givenUp: change.givenUp,
    productVersion: PRODUCT_VERSION,
  };
  await storage.writeText(commitPath(run), `${JSON.stringify(record, null, 2)}\n`);
  if (!movesCursor) {
    logger.info({ event: 'run_committed', window, cursor: record.cursorAfter, moved: false, failed: record.failed }, `commit: ${run.dataset}/${run.runId} committed; ${record.reason}; ${record.failed} EAN(s) failed${record.failed > 0 ? ` — repair them with plan --retry-failed-from ${run.runId}` : ''}`);
    return record;
  }
  reportCursor(change.after!, isIsoDay(run.runId) ? run.runId : undefined);
  itemsGivenUpTotal.inc({ category: run.dataset }, record.givenUp.length);
  logger.info({ event: 'run_committed', window, cursor: record.cursorAfter, moved: record.moved, failed: record.failed, carried: record.carriedAfter, givenUp: record.givenUp.length }, `commit: ${run.dataset}/${run.runId} committed (window ${window.start} … ${window.end}); ${record.reason}; ${record.carriedAfter} item(s) carried to the next runs`);
  for (const item of record.givenUp) {
    logger.warn({ event: 'anomaly', anomaly: 'item_given_up', key: item.key, attempts: item.attempts, firstRunId: item.firstRunId, error: item.lastError }, `commit: ${item.key} failed in ${item.attempts} committed runs (first ${item.firstRunId}, last error: ${item.lastError}); given up — it is no longer planned (see \`titelive-etl cursor\`)`);
  }
  return record;
}

/** What a commit did to the cursor. */
interface CursorChange {
  before: CursorState | undefined;
  after: CursorState | undefined;
  moved: boolean;
  reason: string;
  givenUp: GivenUpItem[];
}

/** The cursor after the run, by advanceCursor's rule, written conditionally; failed items carried with the day the plan gave them. */
async function moveCursor(storage: Storage, run: RunRef, plan: ShardManifest, window: DayWindow, done: string[], failedErrors: Map<string, string>, maxItemAttempts: number, committedAt: string): Promise<CursorChange> {
  // The day each failed EAN was planned on, read only when some failed.
  const days = new Map<string, string>();
  if (failedErrors.size > 0) {
    for await (const row of readStageRows(storage, [plan], { columns: ['ean', 'day'] })) if (failedErrors.has(String(row.ean))) days.set(String(row.ean), String(row.day));
  }
  const failed = [...failedErrors].map(([key, error]) => ({ key, day: days.get(key) ?? window.start, error }));
  let outcome: ReturnType<typeof advanceCursor> | undefined;
  const { before, after } = await updateCursor(storage, run.dataset, (current) => {
    outcome = advanceCursor(current, run.dataset, { runId: run.runId, window, done, failed, maxItemAttempts, committedAt });
    return outcome.next;
  });
  return { before, after, moved: outcome!.moved, reason: outcome!.reason, givenUp: outcome!.givenUp };
}

/** The cursor as it is, read only. */
async function leaveCursor(storage: Storage, dataset: string): Promise<CursorChange> {
  const cursor = await readCursor(storage, dataset);
  const reason = `a run of a list or of an earlier run's failures leaves the cursor ${cursor ? `at ${cursor.end}` : 'unset'} (plan --move-cursor moves it)`;
  return { before: cursor, after: cursor, moved: false, reason, givenUp: [] };
}

/** The commit record of a run, if it committed. */
export async function readCommitRecord(storage: Storage, run: RunRef): Promise<CommitRecord | undefined> {
  const found = await storage.readVersioned(commitPath(run));
  return found === undefined ? undefined : (JSON.parse(found.text) as CommitRecord);
}

/** The cursor's gauges: its lag behind today and the items it carries. */
export function reportCursor(state: CursorState, today?: string): void {
  const category = state.dataset;
  cursorLagDays.set({ category }, cursorLag(state.end, today));
  cursorEndTimestampSeconds.set({ category }, Date.parse(`${state.end}T00:00:00Z`) / 1000);
  cursorCarriedItems.set({ category }, Object.keys(state.carried).length);
}

export { readCursor };
