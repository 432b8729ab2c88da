import type { AnyBulkWriteOperation, Collection, Db, Document } from 'mongodb';
import type { Logger } from 'pino';

/*
 * The collection load writes to: made with the source's validator and indexes on first use,
 * written in unordered bulk writes that report each rejected document.
 */

/** A stored document: `_id` is its key (Titelive: the article EAN). */
export type StoredDocument = Document & { _id: string };

/** The write outcomes load counts. */
export type WriteOutcome = 'inserted' | 'updated' | 'unchanged' | 'deleted' | 'rejected';

export interface CollectionRules {
  schema: Record<string, unknown>;
  indexes: ReadonlyArray<{ key: Record<string, 1>; name: string }>;
}

/**
 * An unordered bulk write with majority write concern: a document the server rejects is
 * reported with its EAN and reason, and the others are written all the same.
 */
export async function bulkWrite(
  collection: Collection<StoredDocument>,
  operations: AnyBulkWriteOperation<StoredDocument>[],
  kinds: Array<WriteOutcome>,
  eans: string[],
  outcome: (kind: WriteOutcome, ean?: string, reason?: string) => void,
): Promise<void> {
  if (operations.length === 0) return;
  const failed = new Map<number, string>();
  try {
    await collection.bulkWrite(operations, { ordered: false, writeConcern: { w: 'majority' } });
  } catch (error) {
    // Only documents the server refused are rejections; a bulk that failed as a whole (a timeout,
    // a lost connection) comes with no write error, and nothing of it may be counted as written.
    const writeErrors = [(error as { writeErrors?: unknown }).writeErrors ?? []].flat() as Array<{ index: number; errmsg?: string; code?: number }>;
    if (writeErrors.length === 0) throw error;
    for (const writeError of writeErrors) {
      failed.set(writeError.index, `${writeError.errmsg ?? 'rejected'}${writeError.code === undefined ? '' : ` (code ${writeError.code})`}`);
    }
  }
  kinds.forEach((kind, index) => {
    const reason = failed.get(index);
    if (reason === undefined) outcome(kind);
    else outcome('rejected', eans[index], reason);
  });
}

/**
 * Creates the collection with its validator on first use, and its indexes, idempotently (shards
 * may race: "already exists" is fine). A server without validators is said once, and used as is.
 */
export async function prepareCollection(db: Db, name: string, rules: CollectionRules, logger: Logger, label: string): Promise<Collection<StoredDocument>> {
  const validator = { $jsonSchema: rules.schema };
  const exists = (await db.listCollections({ name }, { nameOnly: true }).toArray()).length > 0;
  try {
    if (exists) await db.command({ collMod: name, validator, validationLevel: 'strict' });
    else await db.createCollection(name, { validator, validationLevel: 'strict' });
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === 48) {
      // NamespaceExists: another shard created it a moment ago.
    } else {
      logger.warn({ event: 'validator_unsupported', reason: error instanceof Error ? error.message : String(error) }, `${label}: the server did not accept the collection's $jsonSchema validator (${error instanceof Error ? error.message : String(error)}); going on without it`);
      if (!exists) await db.createCollection(name).catch((again: unknown) => {
        if ((again as { code?: number }).code !== 48) throw again;
      });
    }
  }
  const collection = db.collection<StoredDocument>(name);
  await ensureIndexes(collection, rules.indexes);
  return collection;
}

/**
 * Creates the indexes that are missing, by key: an index a user made on the same key (under
 * another name, unique or not) serves as well and is left alone. Shards starting together race
 * here; FerretDB 1.24 can drop the connection when two sessions create the same indexes at once
 * (measured), so after a network error the list is read again and only what is still missing is
 * created.
 */
async function ensureIndexes(collection: Collection<StoredDocument>, indexes: CollectionRules['indexes']): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const existing = new Set((await collection.listIndexes().toArray()).map((index) => JSON.stringify(index.key)));
    const missing = indexes.filter((index) => !existing.has(JSON.stringify(index.key)));
    if (missing.length === 0) return;
    try {
      await collection.createIndexes(missing);
      return;
    } catch (error) {
      if (attempt >= 3 || (error as { name?: string }).name !== 'MongoNetworkError') throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 300));
    }
  }
}
