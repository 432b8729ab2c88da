import { daysBetween, today } from './calendar.js';

/** Whole days from the cursor (end of the covered days, excluded) to `reference` (default today): 0 when nothing is behind. */
export function cursorLag(cursorEnd: string, reference: string = today()): number {
  return cursorEnd >= reference ? 0 : daysBetween(cursorEnd, reference).length;
}
