import type { DayWindow } from './choose-window.js';
import type { CarriedItem, CursorState, GivenUpItem } from './cursor.js';
import { GIVEN_UP_KEPT } from './cursor.js';

/** What a run that commits tells the cursor. */
export interface RunCommit {
  runId: string;
  window: DayWindow;
  /** Items the run fetched for good (found or deleted): no longer carried. */
  done: Iterable<string>;
  /** Items that still failed after retries, with the day their plan row gives and the error. */
  failed: Iterable<{ key: string; day: string; error: string }>;
  /** A failure in this many committed runs gives the item up. */
  maxItemAttempts: number;
  committedAt: string;
}

export interface CursorAdvance {
  next: CursorState;
  /** Whether `end` moved. */
  moved: boolean;
  /** Why `end` did or did not move, for the log and the commit record. */
  reason: string;
  /** Items this commit gave up. */
  givenUp: GivenUpItem[];
}

/**
 * The cursor after a committed run, by one rule: `end` moves to the run's window end when that
 * is later and the window starts at or before the current end (no day left uncovered between);
 * it never moves back. Items the run fetched leave the carried set; items it failed on are
 * carried with one more attempt, and given up at `maxItemAttempts`. Committing the same run twice
 * changes nothing the second time.
 */
export function advanceCursor(current: CursorState | undefined, dataset: string, run: RunCommit): CursorAdvance {
  const stamp = { runId: run.runId, window: run.window, committedAt: run.committedAt };
  const state: CursorState = current ?? { dataset, end: run.window.end, movedBy: stamp, lastCommitted: stamp, carried: {}, givenUp: [], generation: 0 };
  let moved = false;
  let reason: string;
  if (current === undefined) {
    moved = true;
    reason = `first committed run: cursor set to ${run.window.end}`;
  } else if (run.window.end <= current.end) {
    reason = `cursor stays at ${current.end}: this run's window ends at ${run.window.end}, not later`;
  } else if (run.window.start > current.end) {
    reason = `cursor stays at ${current.end}: this run's window starts at ${run.window.start}, so ${current.end} … ${run.window.start} would be left uncovered`;
  } else {
    moved = true;
    reason = `cursor moved from ${current.end} to ${run.window.end}`;
    state.end = run.window.end;
    state.movedBy = stamp;
  }
  if (current === undefined || run.committedAt >= current.lastCommitted.committedAt) state.lastCommitted = stamp;

  const givenUp: GivenUpItem[] = [];
  const givenUpByThisRun = new Set(state.givenUp.filter((item) => item.lastRunId === run.runId).map((item) => item.key));
  for (const key of run.done) delete state.carried[key];
  for (const { key, day, error } of run.failed) {
    const previous: CarriedItem | undefined = state.carried[key];
    if (previous?.lastRunId === run.runId || givenUpByThisRun.has(key)) continue;
    const item: CarriedItem = { attempts: (previous?.attempts ?? 0) + 1, day: previous?.day ?? day, firstRunId: previous?.firstRunId ?? run.runId, lastRunId: run.runId, lastError: error };
    if (item.attempts >= run.maxItemAttempts) {
      delete state.carried[key];
      givenUp.push({ key, ...item, givenUpAt: run.committedAt });
    } else state.carried[key] = item;
  }
  state.givenUp = [...state.givenUp, ...givenUp].slice(-GIVEN_UP_KEPT);
  return { next: state, moved, reason, givenUp };
}
