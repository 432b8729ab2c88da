/** Titelive speaks DD/MM/YYYY; the product speaks YYYY-MM-DD. */

export function toDayFirst(isoDay: string): string {
  const [year, month, day] = isoDay.split('-');
  return `${day}/${month}/${year}`;
}

/** Text → ISO day (null: not a date). A run sees a few hundred distinct dates over millions of articles. */
const parsedDates = new Map<string, string | null>();

/**
 * `DD/MM/YYYY` (day first, as the seed's pandas `dayfirst=True`) to `YYYY-MM-DD`, or undefined
 * when the text is missing or not a real date. A trailing time is ignored.
 */
export function parseDayFirst(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  let iso = parsedDates.get(text);
  if (iso === undefined) {
    if (parsedDates.size >= 10_000) parsedDates.clear();
    iso = parseDayFirstText(text) ?? null;
    parsedDates.set(text, iso);
  }
  return iso ?? undefined;
}

function parseDayFirstText(text: string): string | undefined {
  const match = /^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T].*)?$/.exec(text);
  if (!match) return undefined;
  const [, day, month, year] = match;
  const iso = `${year}-${month!.padStart(2, '0')}-${day!.padStart(2, '0')}`;
  const date = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== iso) return undefined;
  return iso;
}
