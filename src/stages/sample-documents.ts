import type { Collection, Filter } from 'mongodb';
import type { Logger } from 'pino';
import type { StoredDocument } from './load-collection.js';

/**
 * The keys (`_id`) of a uniform sample of `size` documents matching `filter`: the server's
 * `$sample`, or, on a server without it (FerretDB), a reservoir sample of the matching `_id`s
 * read here. Either way each document is as likely as any other to be drawn. Only keys: the
 * documents are read batch by batch as they are compared, so memory holds a batch, not the sample.
 */
export async function sampleKeys(collection: Collection<StoredDocument>, filter: Filter<StoredDocument>, size: number, logger: Logger, random: () => number = Math.random): Promise<string[]> {
  try {
    const sampled = await collection.aggregate<{ _id: string }>([{ $match: filter }, { $sample: { size } }, { $project: { _id: 1 } }]).toArray();
    return sampled.map((document) => document._id);
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
  return chosen;
}
