/**
 * A set of item keys (EANs) that costs 10–16 bytes per EAN-13 instead of the ~80 of a Set of
 * strings: 13-digit keys live as numbers in open-addressing Float64Array tables, anything else
 * in a plain Set. The numbers are spread over many small tables that each grow by half when
 * three quarters full, so memory follows the key count closely and growing never holds two
 * copies of the whole set (figures in docs/benchmarks.md, "Design measurements").
 */
export class KeySet {
  private readonly tables: Float64Array[];
  private readonly counts = new Uint32Array(TABLES);
  private numericCount = 0;
  private readonly others = new Set<string>();

  /**
   * `expectedKeys`: tables sized for that many keys from the start. The tables a growing set
   * outgrows are garbage outside the heap, which V8 collects late, so a caller that knows
   * about how many keys will come says so.
   */
  constructor(expectedKeys = 0) {
    const length = Math.max(16, Math.ceil(expectedKeys / TABLES / 0.75) + 1);
    this.tables = Array.from({ length: TABLES }, () => emptyTable(length));
  }

  get size(): number {
    return this.numericCount + this.others.size;
  }

  /** Adds `key`; returns false when it was already there. */
  add(key: string): boolean {
    // Fixed length keeps "0123…" and "123…" apart while still mapping to a number.
    if (key.length !== 13 || !/^\d{13}$/.test(key)) {
      if (this.others.has(key)) return false;
      this.others.add(key);
      return true;
    }
    const value = Number(key);
    const hash = hashNumber(value);
    const part = hash >>> TABLE_SHIFT;
    const table = this.tables[part]!;
    const slot = find(table, value, hash);
    if (table[slot] === value) return false;
    table[slot] = value;
    this.numericCount += 1;
    if (++this.counts[part]! * 4 > table.length * 3) this.tables[part] = grown(table);
    return true;
  }

  has(key: string): boolean {
    if (key.length !== 13 || !/^\d{13}$/.test(key)) return this.others.has(key);
    const value = Number(key);
    const hash = hashNumber(value);
    const table = this.tables[hash >>> TABLE_SHIFT]!;
    return table[find(table, value, hash)] === value;
  }
}

/** 64 tables, chosen by the hash's top 6 bits; the slot comes from the whole hash. */
const TABLE_SHIFT = 26;
const TABLES = 2 ** (32 - TABLE_SHIFT);

function emptyTable(length: number): Float64Array {
  return new Float64Array(length).fill(Number.NaN);
}

/** The slot holding `value`, or the empty slot where it would go (linear probing). */
function find(table: Float64Array, value: number, hash: number): number {
  const length = table.length;
  let slot = hash % length;
  for (;;) {
    const current = table[slot]!;
    if (current === value || Number.isNaN(current)) return slot;
    slot = slot + 1 === length ? 0 : slot + 1;
  }
}

function grown(old: Float64Array): Float64Array {
  const table = emptyTable(Math.ceil(old.length * 1.5));
  for (const value of old) if (!Number.isNaN(value)) table[find(table, value, hashNumber(value))] = value;
  return table;
}

/** Mixes both 32-bit halves of an integer-valued double (MurmurHash3's finaliser). */
function hashNumber(value: number): number {
  let hash = (value % 0x1_0000_0000) ^ Math.imul(Math.floor(value / 0x1_0000_0000), 0x9e3779b1);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
