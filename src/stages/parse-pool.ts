import { WorkerPool, siblingModule } from '../runtime/worker-pool.js';
import type { ParseReply, ParseTask } from './parse-worker.js';

/**
 * A parse worker's old-generation heap cap. One batch needs a few tens of MB; without a cap V8
 * lets each worker's heap grow to hundreds of MB before collecting (docs/benchmarks.md, "Design
 * measurements").
 */
const WORKER_HEAP_MB = 128;

/**
 * A parse worker's young generation. V8's default for a worker (32 MB here) mostly holds
 * garbage between collections; a worker reading products from their bytes makes little, so a
 * small one costs no time and keeps each worker's memory down (docs/benchmarks.md).
 */
const WORKER_YOUNG_MB = 8;

export type ParseWorkers = WorkerPool<ParseTask, ParseReply>;

/**
 * Starts parse's worker threads (none for 0: batches then run on the calling thread). This
 * module loads little, so the command starts them before loading the parse stage: each worker's
 * loading of its own modules then overlaps the main thread's.
 */
export function startParseWorkers(count: number): ParseWorkers | undefined {
  if (count <= 0) return undefined;
  return new WorkerPool<ParseTask, ParseReply>(siblingModule(import.meta.url, 'parse-worker'), count, {
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_MB },
    name: 'parse worker',
  });
}
