import type { Collection, Filter } from 'mongodb';
import type { Logger } from 'pino';
import type { StoredDocument } from './load-collection.js';

/** Documents read by _id per round trip when the sample is drawn here. */
const FETCH_BY_ID = 1_000;

/**
 * A uniform sample of `size` documents matching `filter`: the server's `$sample`, or, on a
 * server without it (FerretDB), a reservoir sample of the matching `_id`s read here, then those
 * documents by `_id`. Either way each document is as likely as any other to be drawn.
 */
export async function sampleDocuments(collection: Collection<StoredDocument>, filter: Filter<StoredDocument>, size: number, logger: Logger, random: () => number = Math.random): Promise<StoredDocument[]> {
  try {
    return await collection.aggregate<StoredDocument>([{ $match: filter }, { $sample: { size } }]).toArray();
  } catch (error) {
    if (!/\$sample/.test(error instanceof Error ? error.message : String(error))) throw error;
    logger.info({ event: 'sample_fallback', reason: error instanceof Error ? error.message : String(error) }, 'audit: the server has no $sample; drawing the sample from the _ids instead');
  }
  const chosen: string[] = [];
  let seen = 0;
  for await (const { _id } of collection.find(filter, { projection: { _id: 1 } })) {
    seen += 1;
    if (chosen.length < size) chosen.push(_id);
    else {
      const slot = Math.floor(random() * seen);
      if (slot < size) chosen[slot] = _id;
    }
  }
  const documents: StoredDocument[] = [];
  for (let i = 0; i < chosen.length; i += FETCH_BY_ID) documents.push(...(await collection.find({ _id: { $in: chosen.slice(i, i + FETCH_BY_ID) } }).toArray()));
  return documents;
}
