import { createHash } from 'node:crypto';

/**
 * A hash of a document's content, stable across runs when its keys come in a fixed order: dates
 * as ISO text. Equal hashes mean nothing to write.
 */
export function contentHash(content: object): string {
  return createHash('sha256').update(contentText(content)).digest('base64url');
}

/** A value as the hash reads it: JSON, dates as ISO text. */
export function contentText(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, inner: unknown) => (inner instanceof Date ? inner.toISOString() : inner));
}
