/** Titelive speaks DD/MM/YYYY; the product speaks YYYY-MM-DD. */

export function toDayFirst(isoDay: string): string {
  const [year, month, day] = isoDay.split('-');
  return `${day}/${month}/${year}`;
}

/**
 * `DD/MM/YYYY` (day first, as the seed's pandas `dayfirst=True`) to `YYYY-MM-DD`, or undefined
 * when the text is missing or not a real date. A trailing time is ignored.
 */
export function parseDayFirst(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T].*)?$/.exec(text);
  if (!match) return undefined;
  const [, day, month, year] = match;
  const iso = `${year}-${month!.padStart(2, '0')}-${day!.padStart(2, '0')}`;
  const date = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== iso) return undefined;
  return iso;
}
