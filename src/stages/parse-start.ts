import type { JobContext } from '../runtime/harness.js';
import type { ShardManifest } from '../runtime/manifest.js';
import type { ParseConfig } from '../stage-configs.js';
import { startParseWorkers } from './parse-pool.js';

/**
 * Parse's entry: its worker threads start first, so their start-up overlaps the loading of the
 * parse stage's own modules.
 */
export async function startParse(config: ParseConfig, context: JobContext): Promise<ShardManifest | void> {
  const workers = startParseWorkers(config.workers);
  let stage: typeof import('./parse.js');
  try {
    stage = await import('./parse.js');
  } catch (error) {
    await workers?.close();
    throw error;
  }
  return stage.runParse(config, context, workers);
}
