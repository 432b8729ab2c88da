import type { Accounting } from './accounting.js';
import { manifestFolder, manifestPath, type RunRef } from './run-layout.js';
import type { Storage } from './storage/storage.js';
import { NotFoundError } from './storage/storage.js';
import { PRODUCT_VERSION } from './version.js';

export interface ManifestFile {
  path: string;
  rows: number;
  bytes: number;
  sha256: string;
}

/** What one shard of one stage did; written after its outputs, so it proves they are whole. */
export interface ShardManifest {
  stage: string;
  dataset: string;
  runId: string;
  shardIndex: number;
  shardCount: number;
  inputs: string[];
  outputs: ManifestFile[];
  /** Items by outcome (found, deleted, failed, planned…). */
  counts: Record<string, number>;
  /** Every input of the shard and how it ended; `in` = Σ `ended` (see accounting.ts). */
  accounting: Accounting;
  /** Things a person should look at even though the shard succeeded. */
  anomalies: Array<Record<string, unknown>>;
  /** Stage-specific facts (window, limits) that later stages or people need. */
  details: Record<string, unknown>;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  productVersion: string;
}

export type ManifestDraft = Omit<ShardManifest, 'finishedAt' | 'durationMs' | 'productVersion' | 'startedAt'> & {
  startedAt: Date;
};

export async function writeManifest(storage: Storage, draft: ManifestDraft): Promise<ShardManifest> {
  const finishedAt = new Date();
  const manifest: ShardManifest = {
    ...draft,
    startedAt: draft.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - draft.startedAt.getTime(),
    productVersion: PRODUCT_VERSION,
  };
  const run: RunRef = { dataset: draft.dataset, runId: draft.runId };
  await storage.writeText(manifestPath(run, draft.stage, draft.shardIndex), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

export async function readManifests(storage: Storage, run: RunRef, stage: string): Promise<ShardManifest[]> {
  const paths = (await storage.list(manifestFolder(run, stage))).filter((path) => /\/\d{5}\.json$/.test(path));
  const manifests: ShardManifest[] = [];
  for (const path of paths) {
    try {
      manifests.push(JSON.parse(await storage.readText(path)) as ShardManifest);
    } catch (error) {
      if (error instanceof NotFoundError) continue;
      throw new Error(`${storage.locate(path)}: unreadable shard manifest (${(error as Error).message}); delete it and rerun that shard`);
    }
  }
  return manifests;
}

/** The rows of a shard's output parts. */
export function manifestRows(manifest: Pick<ShardManifest, 'outputs'>): number {
  return manifest.outputs.reduce((sum, file) => sum + file.rows, 0);
}
