import { padShardNumber, type Shard } from './sharding.js';

/**
 * Where a run's files go, relative to DATA_URL:
 *   {category}/{runId}/{stage}/part-{i:05d}-of-{n:05d}.parquet
 *   {category}/{runId}/{stage}/_shards/{i:05d}.json      (the shard manifest, written last)
 */
export interface RunRef {
  /** Usually the source's category (paper, music): the first folder level. */
  dataset: string;
  runId: string;
}

export function stageFolder(run: RunRef, stage: string): string {
  return `${run.dataset}/${run.runId}/${stage}`;
}

export function partPath(run: RunRef, stage: string, shard: Shard): string {
  return `${stageFolder(run, stage)}/part-${padShardNumber(shard.index)}-of-${padShardNumber(shard.count)}.parquet`;
}

export function manifestFolder(run: RunRef, stage: string): string {
  return `${stageFolder(run, stage)}/_shards`;
}

export function manifestPath(run: RunRef, stage: string, shardIndex: number): string {
  return `${manifestFolder(run, stage)}/${padShardNumber(shardIndex)}.json`;
}

export function isPartFile(path: string): boolean {
  return /\/part-\d{5}-of-\d{5}\.parquet$/.test(path);
}
