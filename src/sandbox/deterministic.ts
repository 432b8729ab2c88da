export { ean13CheckDigit } from '../titelive/ean13.js';
/** Integer hashing for a catalog that is the same on every machine for the same seed. */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** A value in [0, 1) from the same parts. */
export function unit(...parts: number[]): number {
  return hash32(...parts) / 0x1_0000_0000;
}

export function pick<T>(items: readonly T[], ...parts: number[]): T {
  return items[hash32(...parts) % items.length] as T;
}

