import type { ProductColumn } from '../../src/titelive/product-columns.js';

/**
 * Whether a cell of ours and the seed's cell for the same column hold the same value: JSON-equal
 * (nested values compared as parsed JSON, whatever the key order or escaping), and a number
 * equal to the digit string the seed keeps where it cannot type a column mixing both.
 */
export function sameCell(column: ProductColumn, ours: unknown, theirs: unknown): boolean {
  if (ours === null || ours === undefined || theirs === null || theirs === undefined) return (ours ?? null) === (theirs ?? null);
  switch (column.rule) {
    case 'json':
      return JSON.stringify(canonical(parsed(ours))) === JSON.stringify(canonical(parsed(theirs)));
    case 'integer':
    case 'decimal':
      return Number(ours) === Number(theirs);
    default:
      return typeof theirs === 'number' || typeof theirs === 'bigint' ? Number(ours) === Number(theirs) : ours === theirs;
  }
}

function parsed(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** Objects with their keys sorted, so that key order does not count. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
  return value;
}
