/**
 * A set of item keys (EANs) that costs 16 bytes per EAN-13 instead of the ~80 of a Set of
 * strings: 13-digit keys live as numbers in an open-addressing Float64Array table, anything
 * else in a plain Set. De-duplicating a million-product run then stays a few tens of MB.
 */
export class KeySet {
  private table = new Float64Array(1 << 12).fill(Number.NaN);
  private numericCount = 0;
  private readonly others = new Set<string>();

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
    const slot = this.find(this.table, value);
    if (this.table[slot] === value) return false;
    this.table[slot] = value;
    this.numericCount += 1;
    if (this.numericCount * 2 > this.table.length) this.grow();
    return true;
  }

  has(key: string): boolean {
    if (key.length !== 13 || !/^\d{13}$/.test(key)) return this.others.has(key);
    const value = Number(key);
    return this.table[this.find(this.table, value)] === value;
  }

  /** The slot holding `value`, or the empty slot where it would go (linear probing). */
  private find(table: Float64Array, value: number): number {
    const mask = table.length - 1;
    let slot = hashNumber(value) & mask;
    for (;;) {
      const current = table[slot]!;
      if (current === value || Number.isNaN(current)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.table;
    const table = new Float64Array(old.length * 2).fill(Number.NaN);
    for (const value of old) if (!Number.isNaN(value)) table[this.find(table, value)] = value;
    this.table = table;
  }
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
