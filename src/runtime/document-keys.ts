/**
 * Free-form keys as MongoDB can store them. FerretDB refuses a key with a `.` or a leading `$`
 * anywhere in a document, MongoDB stores them but cannot address them in queries or updates,
 * and BSON cannot hold a NUL in a key. So keys of nested values are stored with one reversible
 * rule, percent-encoding: `%` → `%25` first, then `.` → `%2E`, NUL → `%00`, and a leading `$`
 * → `%24`. Any other key is stored as it is; `originalKey` undoes the rule exactly.
 */
export function storedKey(key: string): string {
  if (!/[%.\0]|^\$/.test(key)) return key;
  return key.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/\0/g, '%00').replace(/^\$/, '%24');
}

/** The key `storedKey` was given. */
export function originalKey(key: string): string {
  if (!key.includes('%')) return key;
  return key.replace(/%(25|2E|00|24)/g, (_match, code: string) => String.fromCharCode(Number.parseInt(code, 16)));
}

/** `value` with every object key, at any depth and inside lists, as `storedKey` writes it. */
export function withStoredKeys(value: unknown): unknown {
  return mapKeys(value, storedKey);
}

/** `value` with every object key as it was before `withStoredKeys`. */
export function withOriginalKeys(value: unknown): unknown {
  return mapKeys(value, originalKey);
}

function mapKeys(value: unknown, map: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => mapKeys(item, map));
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const mapped: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) mapped[map(key)] = mapKeys(item, map);
  return mapped;
}
