import { EARLIEST_DAY } from '../runtime/calendar.js';
import { contentHash, contentText } from '../runtime/content-hash.js';
import type { FetchedItem, ProductsFacet } from '../source.js';

export const AUDIT_OUTCOMES = ['in_sync', 'stale', 'deleted_at_source', 'deleted_in_copy_only', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** How one sampled document compares with the source's answer now. */
export interface AuditFinding {
  key: string;
  outcome: AuditOutcome;
  /** Stale: the first fields whose values differ. */
  fields?: string[];
  /** Failed: why. */
  error?: string;
}

/** Fields load adds to a document's content: not compared. */
const BOOKKEEPING = new Set(['status', 'deletedAt', 'contentHash', 'firstSeenRunId', 'lastChangedRunId', 'updatedAt']);

/** Differing fields named per stale document. */
const FIELDS_NAMED = 5;

/**
 * One stored document against the source's fresh answer for its key, by load's own path: the
 * answer flattened (every article kept, whatever its date), made a document with the images
 * the stored one has, and hashed as load hashes. Equal hashes: in sync.
 */
export function compareWithSource(stored: Record<string, unknown> & { _id: string }, item: FetchedItem, facet: ProductsFacet, dataset: string): AuditFinding {
  const key = stored._id;
  const deletedInCopy = stored.deletedAt !== null && stored.deletedAt !== undefined;
  if (item.status === 'failed') return { key, outcome: 'failed', error: item.error };
  if (item.status === 'deleted') return { key, outcome: deletedInCopy ? 'in_sync' : 'deleted_at_source' };
  if (deletedInCopy) return { key, outcome: 'deleted_in_copy_only' };
  let product: Record<string, unknown>;
  try {
    product = JSON.parse(item.data) as Record<string, unknown>;
  } catch (error) {
    return { key, outcome: 'failed', error: `the answer is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const { rows } = facet.flatten(product, { key, windowStart: EARLIEST_DAY }, facet.newNotes());
  const keyIndex = facet.columns.findIndex((column) => column.name === facet.keyColumn);
  const cells = rows.find((row) => String(row[keyIndex]) === key);
  if (!cells) return { key, outcome: 'failed', error: 'the answer holds no item with this key' };
  const row = Object.fromEntries(facet.columns.map((column, index) => [column.name, cells[index] ?? null]));
  const content = facet.document(row, dataset, facet.imagesRowOf(stored));
  if (contentHash(content) === stored.contentHash) return { key, outcome: 'in_sync' };
  return { key, outcome: 'stale', fields: differingFields(content, stored).slice(0, FIELDS_NAMED) };
}

/** The content fields whose values differ, in the content's order, then fields only the stored document has. */
export function differingFields(content: Record<string, unknown>, stored: Record<string, unknown>): string[] {
  const fields = Object.keys(content).filter((field) => contentText(content[field]) !== contentText(stored[field]));
  const extra = Object.keys(stored).filter((field) => !(field in content) && !BOOKKEEPING.has(field));
  return [...fields, ...extra];
}
