import { UpstreamIncompleteError } from './errors.js';
import { readManifests, type ShardManifest } from './manifest.js';
import { manifestPath, stageFolder, type RunRef } from './run-layout.js';
import type { Storage } from './storage/storage.js';

export interface StageCompletion {
  complete: boolean;
  shardCount: number | undefined;
  manifests: ShardManifest[];
  missing: number[];
}

/** A stage is complete when all n of its shard manifests exist and agree on n. */
export async function stageCompletion(storage: Storage, run: RunRef, stage: string): Promise<StageCompletion> {
  const manifests = await readManifests(storage, run, stage);
  const counts = new Set(manifests.map((manifest) => manifest.shardCount));
  if (counts.size > 1) {
    throw new UpstreamIncompleteError(
      `${stage} for ${run.dataset}/${run.runId} has shard manifests for different shard counts (${[...counts].join(', ')}) in ` +
        `${storage.locate(stageFolder(run, stage))}: delete that folder and rerun ${stage}`,
    );
  }
  const shardCount = manifests[0]?.shardCount;
  const present = new Set(manifests.map((manifest) => manifest.shardIndex));
  const missing = shardCount === undefined ? [] : range(shardCount).filter((index) => !present.has(index));
  const complete = shardCount !== undefined && missing.length === 0;
  return { complete, shardCount, manifests: manifests.sort((a, b) => a.shardIndex - b.shardIndex), missing };
}

/**
 * The barrier a downstream stage passes before it starts; the error names what is missing.
 * `folder` is where the upstream stage writes, when it is not named after it.
 */
export async function requireStageComplete(storage: Storage, run: RunRef, upstream: string, downstream: string, folder = upstream): Promise<ShardManifest[]> {
  const completion = await stageCompletion(storage, run, folder);
  if (!completion.complete) {
    const found = completion.manifests.length;
    const expected = completion.shardCount ?? '?';
    const missing = completion.missing.length > 0 ? `; missing shards ${summariseIndexes(completion.missing)}` : '';
    throw new UpstreamIncompleteError(
      `${downstream}: upstream ${upstream} incomplete for ${run.dataset}/${run.runId} ` +
        `(${found} of ${expected} shard manifests in ${storage.locate(stageFolder(run, folder))}${missing}) — run ${upstream} first`,
    );
  }
  return completion.manifests;
}

/** Whether one shard's manifest is there, written for the same shard count. */
export async function isShardComplete(storage: Storage, run: RunRef, stage: string, shard: { index: number; count: number }): Promise<boolean> {
  const path = manifestPath(run, stage, shard.index);
  if (!(await storage.exists(path))) return false;
  const manifest = JSON.parse(await storage.readText(path)) as Partial<ShardManifest>;
  return manifest.shardCount === shard.count;
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}

function summariseIndexes(indexes: number[]): string {
  const shown = indexes.slice(0, 10).join(', ');
  return indexes.length > 10 ? `${shown} and ${indexes.length - 10} more` : shown;
}
