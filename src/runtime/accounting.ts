/**
 * How every input of a shard ended: `in` items were read, and each ended one way, counted in
 * `ended`, so that `in` is the sum of `ended`. Inputs that ended unreadable or failed are named
 * (an EAN, a row id), a capped number per ending. Written in each shard's manifest and checked,
 * stage against stage, by `titelive-etl verify`.
 */
export interface Accounting {
  /** What one input is: "EANs", "raw rows", "image sides"… */
  unit: string;
  in: number;
  ended: Record<string, number>;
  /** By ending, the names of the first inputs that ended so (only endings worth a look). */
  names: Record<string, string[]>;
}

/** Names kept per ending; the count is always whole. */
export const NAMES_PER_ENDING = 100;

/** Builds an Accounting as inputs are read and end. */
export class Tally {
  private read = 0;
  private readonly ended: Record<string, number>;
  private readonly names: Record<string, string[]> = {};

  /** `endings`: the ways an input can end, listed (as 0) even when none did. */
  constructor(private readonly unit: string, endings: readonly string[]) {
    this.ended = Object.fromEntries(endings.map((ending) => [ending, 0]));
  }

  /** `count` inputs read. */
  add(count = 1): void {
    this.read += count;
  }

  /** `count` inputs ended as `ending`; `name` names one of them. */
  end(ending: string, count = 1, name?: string): void {
    this.ended[ending] = (this.ended[ending] ?? 0) + count;
    if (name !== undefined) this.name(ending, name);
  }

  /** Names an input counted (or to be counted) as `ending`, up to NAMES_PER_ENDING. */
  name(ending: string, name: string): void {
    const names = (this.names[ending] ??= []);
    if (names.length < NAMES_PER_ENDING) names.push(name);
  }

  /** Read and ended at once: an input known only once it has ended. */
  readAndEnd(ending: string, count = 1, name?: string): void {
    this.add(count);
    this.end(ending, count, name);
  }

  toJSON(): Accounting {
    return { unit: this.unit, in: this.read, ended: { ...this.ended }, names: structuredClone(this.names) };
  }
}

/** How far `accounting` is from adding up: in − Σ ended (0 when it does). */
export function unaccounted(accounting: Accounting): number {
  return accounting.in - Object.values(accounting.ended).reduce((sum, count) => sum + count, 0);
}

/** Σ of each ending over shards, and of `in`. */
export function sumAccounting(accountings: readonly Accounting[]): Accounting | undefined {
  const first = accountings[0];
  if (!first) return undefined;
  const total: Accounting = { unit: first.unit, in: 0, ended: {}, names: {} };
  for (const accounting of accountings) {
    total.in += accounting.in;
    for (const [ending, count] of Object.entries(accounting.ended)) total.ended[ending] = (total.ended[ending] ?? 0) + count;
    for (const [ending, names] of Object.entries(accounting.names)) (total.names[ending] ??= []).push(...names);
  }
  return total;
}
