import { createHash } from 'node:crypto';

/**
 * A hash of a document's content, stable across runs when its keys come in a fixed order: dates
 * as ISO text. Equal hashes mean nothing to write.
 */
export function contentHash(content: object): string {
  return createHash('sha256')
    .update(JSON.stringify(content, (_key, value: unknown) => (value instanceof Date ? value.toISOString() : value)))
    .digest('base64url');
}
