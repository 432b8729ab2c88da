import { requireStageComplete } from './runtime/completion.js';
import type { ShardManifest } from './runtime/manifest.js';
import type { RunRef } from './runtime/run-layout.js';
import type { Storage } from './runtime/storage/storage.js';
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
