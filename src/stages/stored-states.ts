import type { Collection, Document } from 'mongodb';
import { KeySet } from '../runtime/key-set.js';

/** What load needs to know of a stored document to decide whether to write it. */
export interface StoredState {
  contentHash?: string;
  firstSeenRunId?: string;
  deletedAt?: Date | null;
}

const PROJECTION = { contentHash: 1, firstSeenRunId: 1, deletedAt: 1 };

/**
 * The stored state of the documents a shard is about to write, read one of two ways:
 * - by `_id: {$in}` per batch, when the shard touches a small share of the collection (a daily
 *   run): index lookups on MongoDB;
 * - by one streaming scan of the collection, kept for the shard's EANs only, when it touches a
 *   large share (a first load, a full reload, a rerun): one pass instead of many lookups, and on
 *   FerretDB's SQLite backend, where each `$in` query scans the collection, the only fast way
 *   (docs/benchmarks.md, "Design measurements").
 */
export class StoredStates {
  private constructor(
    private readonly collection: Collection<Document & { _id: string }>,
    private readonly scanned: Map<string, StoredState> | undefined,
  ) {}

  /** `wanted`: the shard's EANs; a scan is chosen when they are at least `scanShare` of the collection. */
  static async open(collection: Collection<Document & { _id: string }>, wanted: KeySet, scanShare = 0.2): Promise<StoredStates> {
    const stored = await documentCount(collection);
    if (stored > 0 && wanted.size < stored * scanShare) return new StoredStates(collection, undefined);
    const scanned = new Map<string, StoredState>();
    for await (const document of collection.find({}, { projection: PROJECTION, batchSize: 5_000 })) {
      if (wanted.has(document._id)) scanned.set(document._id, document as StoredState);
    }
    return new StoredStates(collection, scanned);
  }

  get mode(): 'lookup' | 'scan' {
    return this.scanned ? 'scan' : 'lookup';
  }

  async get(eans: string[]): Promise<Map<string, StoredState>> {
    if (this.scanned) return new Map(eans.flatMap((ean) => (this.scanned!.has(ean) ? [[ean, this.scanned!.get(ean)!] as const] : [])));
    const found = await this.collection.find({ _id: { $in: eans } }, { projection: PROJECTION }).toArray();
    return new Map(found.map((document) => [document._id, document as StoredState]));
  }
}

/**
 * The collection's document count from its statistics (`$collStats`, summed over shards): cheap
 * on MongoDB and on FerretDB, where `estimatedDocumentCount` scans the collection.
 */
async function documentCount(collection: Collection<Document & { _id: string }>): Promise<number> {
  try {
    const stats = await collection.aggregate<{ count?: number }>([{ $collStats: { count: {} } }]).toArray();
    return stats.reduce((sum, entry) => sum + (entry.count ?? 0), 0);
  } catch {
    return collection.estimatedDocumentCount();
  }
}
