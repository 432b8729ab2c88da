import { ConfigError } from './errors.js';

/** Calendar days as `YYYY-MM-DD` strings, with no time zone arithmetic surprises (all UTC). */
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDay(text: string): boolean {
  const match = ISO_DAY.exec(text);
  if (!match) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

export function parseIsoDay(text: string, from: string): string {
  if (!isIsoDay(text)) throw new ConfigError(`${from}: expected a date as YYYY-MM-DD, got '${text}'`);
  return text;
}

export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** Days from `first` (included) to `end` (excluded). */
export function daysBetween(first: string, end: string): string[] {
  const days: string[] = [];
  for (let day = first; day < end; day = addDays(day, 1)) days.push(day);
  return days;
}

/** Today in the process's time zone (`TZ`), as the scheduled run's logical date. */
export function today(now: Date = new Date()): string {
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 10);
}

/** A day before any date a source records: a window starting on it keeps every item. */
export const EARLIEST_DAY = '0001-01-01';
