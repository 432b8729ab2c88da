/**
 * Distinct byte strings, each given a number in the order first added: a Map keyed by text
 * without making the text. Open addressing over a power-of-two table of FNV-1a hashes; the
 * bytes are kept in one pool.
 */
export class ByteDictionary {
  private pool = new Uint8Array(1 << 12);
  private used = 0;
  private starts = new Int32Array(64);
  private lengths = new Int32Array(64);
  private hashes = new Int32Array(64);
  /** Entry number + 1 per slot; 0 for an empty slot. */
  private slots = new Int32Array(128);
  size = 0;

  /** The number of the bytes start..end of `bytes`, or -1 when they were never added. */
  indexOf(bytes: Uint8Array, start: number, end: number): number {
    const hash = hashOf(bytes, start, end);
    const slot = this.find(bytes, start, end, hash);
    return this.slots[slot]! - 1;
  }

  /** The number of the bytes start..end of `bytes`, added first if they are new. */
  add(bytes: Uint8Array, start: number, end: number): number {
    const hash = hashOf(bytes, start, end);
    const slot = this.find(bytes, start, end, hash);
    const found = this.slots[slot]!;
    if (found > 0) return found - 1;
    const index = this.size++;
    if (index === this.starts.length) this.growEntries();
    const length = end - start;
    if (this.used + length > this.pool.length) {
      const pool = new Uint8Array(Math.max(this.pool.length * 2, this.used + length));
      pool.set(this.pool.subarray(0, this.used));
      this.pool = pool;
    }
    this.pool.set(bytes.subarray(start, end), this.used);
    this.starts[index] = this.used;
    this.lengths[index] = length;
    this.hashes[index] = hash;
    this.used += length;
    this.slots[slot] = index + 1;
    if (this.size * 2 > this.slots.length) this.rehash();
    return index;
  }

  /** Are the bytes start..end of `bytes` those of entry `index`? */
  matches(index: number, bytes: Uint8Array, start: number, end: number): boolean {
    return index >= 0 && index < this.size && this.lengths[index] === end - start && this.sameAs(index, bytes, start, end - start);
  }

  /** Entry `index`'s bytes: a view, valid until the next add or clear. */
  bytesOf(index: number): Uint8Array {
    const start = this.starts[index]!;
    return this.pool.subarray(start, start + this.lengths[index]!);
  }

  /** All entries' bytes, one after the other, in entry order (see bytesOf). */
  get allBytes(): Uint8Array {
    return this.pool.subarray(0, this.used);
  }

  byteLength(index: number): number {
    return this.lengths[index]!;
  }

  clear(): void {
    this.slots.fill(0);
    this.size = 0;
    this.used = 0;
  }

  private find(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const mask = this.slots.length - 1;
    const length = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) return slot;
      const index = entry - 1;
      if (this.hashes[index] === hash && this.lengths[index] === length && this.sameAs(index, bytes, start, length)) return slot;
    }
  }

  private sameAs(index: number, bytes: Uint8Array, start: number, length: number): boolean {
    const pool = this.pool;
    const at = this.starts[index]!;
    for (let k = 0; k < length; k++) if (pool[at + k] !== bytes[start + k]) return false;
    return true;
  }

  private growEntries(): void {
    const size = this.starts.length * 2;
    for (const name of ['starts', 'lengths', 'hashes'] as const) {
      const grown = new Int32Array(size);
      grown.set(this[name]);
      this[name] = grown;
    }
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let index = 0; index < this.size; index++) {
      let slot = this.hashes[index]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = index + 1;
    }
    this.slots = slots;
  }
}

/** FNV-1a, 32 bits. */
function hashOf(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let at = start; at < end; at++) hash = Math.imul(hash ^ bytes[at]!, 0x01000193);
  return hash;
}
