import { cursorLag } from '../runtime/cursor-lag.js';
import { cursorPath, readCursor, updateCursor, type CursorState } from '../runtime/cursor.js';
import { ConfigError } from '../runtime/errors.js';
import type { JobContext } from '../runtime/harness.js';
import { openStorage } from '../runtime/storage/open-storage.js';
import { reportCursor } from './commit-run.js';

export interface CursorCommandConfig {
  dataset: string;
  dataUrl: string;
  /** --set: move the cursor to this day. */
  set: string | undefined;
  /** The day lag is counted to (today, in TZ). */
  today: string;
}

/** Carried and given-up items listed in full up to this many; the rest are counted. */
const LISTED = 20;

/**
 * `titelive-etl cursor`: prints a dataset's cursor, its last committed run, its lag and the
 * items carried forward or given up; with --set, moves it (never into the future).
 */
export async function runCursorCommand(config: CursorCommandConfig, { logger }: JobContext, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const storage = openStorage(config.dataUrl);
  if (config.set !== undefined) {
    if (config.set > config.today) throw new ConfigError(`--set: ${config.set} is in the future (today is ${config.today}): the cursor says which days are covered, and no run has covered that one`);
    const at = new Date().toISOString();
    const { before, after } = await updateCursor(storage, config.dataset, (current) => {
      const stamp = { runId: 'cursor --set', window: { start: config.set!, end: config.set! }, committedAt: at };
      const base: CursorState = current ?? { dataset: config.dataset, end: config.set!, movedBy: stamp, lastCommitted: stamp, carried: {}, givenUp: [], generation: 0 };
      return { ...base, end: config.set!, setByHand: { from: current?.end ?? null, to: config.set!, at } };
    });
    logger.warn({ event: 'cursor_set', category: config.dataset, from: before?.end ?? null, to: config.set }, `cursor: ${config.dataset} moved by hand from ${before?.end ?? '(none)'} to ${config.set}; the next run plans from ${config.set} minus the lookback`);
    out.write(describeCursor(after, config, storage.locate(cursorPath(config.dataset))));
    return;
  }
  const state = await readCursor(storage, config.dataset);
  out.write(describeCursor(state, config, storage.locate(cursorPath(config.dataset))));
}

/** The cursor as a few lines a person reads. */
export function describeCursor(state: CursorState | undefined, config: Pick<CursorCommandConfig, 'dataset' | 'today'>, where: string): string {
  if (!state) return `cursor: ${config.dataset}: no committed run yet (${where}); the first run plans --window-days before its run date\n`;
  reportCursor(state, config.today);
  const carried = Object.entries(state.carried);
  const lines = [
    `cursor: ${config.dataset} at ${state.end} (${where})`,
    `  covered: every day before ${state.end}; the next run on ${config.today} plans from ${state.end} minus the lookback`,
    `  lag: ${cursorLag(state.end, config.today)} day(s) behind ${config.today}`,
    `  last committed run: ${state.lastCommitted.runId}, window ${state.lastCommitted.window.start} … ${state.lastCommitted.window.end}, at ${state.lastCommitted.committedAt}`,
    `  moved last by: ${state.movedBy.runId} at ${state.movedBy.committedAt}`,
    ...(state.setByHand ? [`  set by hand: from ${state.setByHand.from ?? '(none)'} to ${state.setByHand.to} at ${state.setByHand.at}`] : []),
    `  carried forward: ${carried.length} EAN(s)`,
    ...carried.slice(0, LISTED).map(([key, item]) => `    ${key}  failed in ${item.attempts} run(s) since ${item.firstRunId}; last: ${item.lastError}`),
    ...(carried.length > LISTED ? [`    … and ${carried.length - LISTED} more`] : []),
    `  given up (most recent ${state.givenUp.length}):`,
    ...state.givenUp.slice(-LISTED).map((item) => `    ${item.key}  after ${item.attempts} runs (${item.firstRunId} … ${item.lastRunId}); last: ${item.lastError}`),
  ];
  return `${lines.join('\n')}\n`;
}
