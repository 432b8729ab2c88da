import type { DayWindow } from './choose-window.js';
import type { Storage } from './storage/storage.js';

/** An item (an EAN) that failed in a committed run and is planned again by the next ones. */
export interface CarriedItem {
  /** Committed runs it failed in so far. */
  attempts: number;
  /** The day the search first listed it (its plan row's day). */
  day: string;
  firstRunId: string;
  lastRunId: string;
  lastError: string;
}

/** An item that failed in --max-item-attempts committed runs and is no longer planned. */
export interface GivenUpItem extends CarriedItem {
  key: string;
  givenUpAt: string;
}

/**
 * A dataset's progress over time, one object under DATA_URL beside its runs. `end` only moves
 * forward, and only by a committed run whose window starts at or before it (so every day before
 * it has been covered by some committed run).
 */
export interface CursorState {
  dataset: string;
  /** End (excluded) of the covered days: the next run catches up from here. */
  end: string;
  /** The committed run that last moved `end`, and its window. */
  movedBy: { runId: string; window: DayWindow; committedAt: string };
  /** The latest run that committed, whether or not it moved `end`. */
  lastCommitted: { runId: string; window: DayWindow; committedAt: string };
  /** Set by `cursor --set`: who moved it by hand, and when. */
  setByHand?: { from: string | null; to: string; at: string } | undefined;
  carried: Record<string, CarriedItem>;
  /** The most recent items given up (newest last), capped at GIVEN_UP_KEPT. */
  givenUp: GivenUpItem[];
  /** Conditional writes so far: a reader can tell two states apart at a glance. */
  generation: number;
}

/** Given-up items kept in the cursor object; each run's commit record keeps its own in full. */
export const GIVEN_UP_KEPT = 1_000;

/** Where a dataset's cursor lives, relative to DATA_URL (run ids never start with `_`). */
export function cursorPath(dataset: string): string {
  return `${dataset}/_cursor.json`;
}

export async function readCursor(storage: Storage, dataset: string): Promise<CursorState | undefined> {
  const found = await storage.readVersioned(cursorPath(dataset));
  return found === undefined ? undefined : parseCursor(found.text, storage.locate(cursorPath(dataset)));
}

function parseCursor(text: string, where: string): CursorState {
  try {
    const state = JSON.parse(text) as CursorState;
    if (typeof state.end !== 'string' || typeof state.carried !== 'object') throw new Error('no end or carried items');
    return { ...state, givenUp: state.givenUp ?? [] };
  } catch (error) {
    throw new Error(`${where}: unreadable cursor (${(error as Error).message}); set it again with \`titelive-etl cursor --set YYYY-MM-DD\``);
  }
}

/** Bounded: concurrent commits of one dataset are a handful at most. */
const MAX_CONFLICTS = 20;

/**
 * Read, change, write with a precondition on the version read, again from the new state when
 * another writer got there first. `change` is called with the current state (undefined: none yet)
 * and returns the next one, or undefined to leave it as it is; it must be safe to call again.
 */
export async function updateCursor(storage: Storage, dataset: string, change: (current: CursorState | undefined) => CursorState | undefined): Promise<{ before: CursorState | undefined; after: CursorState | undefined }> {
  const path = cursorPath(dataset);
  for (let attempt = 1; attempt <= MAX_CONFLICTS; attempt++) {
    const found = await storage.readVersioned(path);
    const before = found === undefined ? undefined : parseCursor(found.text, storage.locate(path));
    const next = change(before === undefined ? undefined : structuredClone(before));
    if (next === undefined) return { before, after: before };
    const written = { ...next, dataset, generation: (before?.generation ?? 0) + 1 };
    if (await storage.writeTextIfVersion(path, `${JSON.stringify(written, null, 2)}\n`, found?.version)) return { before, after: written };
    await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 40));
  }
  throw new Error(`${storage.locate(path)}: ${MAX_CONFLICTS} conditional writes in a row lost to other writers; rerun the shard`);
}
