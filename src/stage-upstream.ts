import { requireStageComplete } from './runtime/completion.js';
import type { ShardManifest } from './runtime/manifest.js';
import type { RunRef } from './runtime/run-layout.js';
import { openStorage } from './runtime/storage/open-storage.js';
import type { Storage } from './runtime/storage/storage.js';
import type { ShardedRunConfig } from './stage-configs.js';
import { STAGE_FOLDERS, stageRow, type Stage } from './stage-table.js';

/**
 * The barrier a stage passes before it starts: every stage its row lists upstream is complete
 * (exit 3 naming the first that is not). Returns their shard manifests, by stage.
 */
export async function requireUpstream(storage: Storage, run: RunRef, stage: Stage): Promise<Record<string, ShardManifest[]>> {
  const manifests: Record<string, ShardManifest[]> = {};
  for (const upstream of stageRow(stage).upstream) {
    manifests[upstream] = await requireStageComplete(storage, run, upstream, stage, STAGE_FOLDERS[upstream as Stage]);
  }
  return manifests;
}

/** What a sharded stage starts from: its storage, run, upstream manifests and log label. */
export interface ShardStart {
  startedAt: Date;
  storage: Storage;
  run: RunRef;
  upstream: Record<string, ShardManifest[]>;
  /** `<stage> <dataset> shard i/n`, for log lines and messages. */
  label: string;
}

/** The first steps of every sharded stage: open the run's storage and pass the upstream barrier. */
export async function startShard(config: ShardedRunConfig, stage: Stage): Promise<ShardStart> {
  const startedAt = new Date();
  const storage = openStorage(config.dataUrl);
  const run: RunRef = { dataset: config.dataset, runId: config.runId };
  const upstream = await requireUpstream(storage, run, stage);
  return { startedAt, storage, run, upstream, label: `${stage} ${config.dataset} shard ${config.shard.index + 1}/${config.shard.count}` };
}
