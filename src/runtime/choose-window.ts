import { addDays, daysBetween } from './calendar.js';

/** Days as YYYY-MM-DD; `end` is excluded. */
export interface DayWindow {
  start: string;
  end: string;
}

export interface WindowInputs {
  /** The run's logical date: the window ends there (excluded), unless an explicit end is given. */
  runDate: string;
  /** End of the latest committed window of the dataset (excluded), if any run has committed. */
  cursor: string | undefined;
  /** The first run's window: the N days before the run date. */
  windowDays: number;
  /** Days before the cursor searched again, for changes the API shows late. */
  lookbackDays: number;
  /** Past this many days between the cursor and the run date, a run refuses to start. */
  maxCatchUpDays: number;
  /** --min-modified-date / --max-modified-date: they win over the cursor. */
  explicitStart?: string | undefined;
  explicitEnd?: string | undefined;
}

export type WindowChoice =
  | { kind: 'window'; window: DayWindow; basis: 'explicit' | 'first-run' | 'cursor'; reason: string; catchUpDays: number }
  | { kind: 'too-far-behind'; gap: DayWindow; gapDays: number; reason: string };

/**
 * The window a run plans, by one rule:
 * - explicit dates win (manual reruns, backfills);
 * - with no committed run yet, the `windowDays` days before the run date;
 * - else from `cursor − lookbackDays` to the run date, so that the days since the last
 *   committed run are caught up and the last `lookbackDays` already covered are searched again;
 *   always at least the day before the run date.
 * A cursor more than `maxCatchUpDays` behind the run date is refused: such a gap is a backfill.
 */
export function chooseWindow(inputs: WindowInputs): WindowChoice {
  const end = inputs.explicitEnd ?? inputs.runDate;
  if (inputs.explicitStart !== undefined) {
    return { kind: 'window', window: { start: inputs.explicitStart, end }, basis: 'explicit', reason: `explicit window ${inputs.explicitStart} … ${end}`, catchUpDays: 0 };
  }
  if (inputs.cursor === undefined) {
    const start = addDays(end, -inputs.windowDays);
    return { kind: 'window', window: { start, end }, basis: 'first-run', reason: `no committed run yet: the ${inputs.windowDays} day(s) before ${end} → ${start} … ${end}`, catchUpDays: 0 };
  }
  const gapDays = inputs.cursor < end ? daysBetween(inputs.cursor, end).length : 0;
  if (gapDays > inputs.maxCatchUpDays) {
    return {
      kind: 'too-far-behind',
      gap: { start: inputs.cursor, end },
      gapDays,
      reason: `the last committed run covered up to ${inputs.cursor}, ${gapDays} days before ${end}: more than the ${inputs.maxCatchUpDays} days a run catches up`,
    };
  }
  const fromCursor = addDays(inputs.cursor, -inputs.lookbackDays);
  const latestStart = addDays(end, -1);
  const start = fromCursor < latestStart ? fromCursor : latestStart;
  const catchUp = gapDays > 1 ? `, ${gapDays - 1} missed day(s) caught up` : '';
  return {
    kind: 'window',
    window: { start, end },
    basis: 'cursor',
    reason: `last committed run covered up to ${inputs.cursor}; lookback ${inputs.lookbackDays} day(s)${catchUp} → ${start} … ${end}`,
    catchUpDays: Math.max(0, gapDays - 1),
  };
}
