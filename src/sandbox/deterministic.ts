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

/** GS1 check digit for the first 12 digits of an EAN-13. */
export function ean13CheckDigit(first12: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return String((10 - (sum % 10)) % 10);
}
