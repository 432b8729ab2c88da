import type { Accounting } from './runtime/accounting.js';
import type { JobContext } from './runtime/harness.js';
import type { ShardManifest } from './runtime/manifest.js';
import { OBSERVABILITY_OPTIONS, RUN_OPTIONS, SHARD_OPTIONS, TITELIVE_OPTIONS, type OptionName } from './options.js';
import type { ConfigKind, ConfigOf } from './stage-configs.js';

/** What verify learns of a stage that ran: its summed accounting and the rows of its parts. */
export interface StageTotals {
  accounting: Accounting | undefined;
  outputRows: number;
}

/**
 * One stage of a run. The CLI's commands, run-local, the upstream barrier, verify and the
 * pipeline's order all read this table; a new stage is its module and one row here (plus its
 * entry under `stages` in the chart's values).
 */
export interface StageRow<Kind extends ConfigKind = ConfigKind, Name extends string = string> {
  name: Name;
  /** The run's folder its parts and shard manifests go to. */
  folder: string;
  /** Stages that must be complete before it starts; it reads their parts. */
  upstream: readonly string[];
  /** An Indexed Job of several shards (false: one pod). */
  sharded: boolean;
  /** The chart's default shard count (`stages.<name>.shards`; a test keeps them equal). */
  defaultShards: number;
  /** The command's one-line help. */
  describe: string;
  options: readonly OptionName[];
  examples: ReadonlyArray<readonly [command: string, description: string]>;
  /** Which resolver of config.ts reads its settings. */
  config: Kind;
  /** Loads its module only when it runs: a stage pod loads only its own dependencies. */
  run: (config: ConfigOf[Kind], context: JobContext) => Promise<ShardManifest | void>;
  /** The rows its parts hold, by its shard manifest (undefined: verify cannot count them). */
  rowsOut?: (accounting: Accounting, manifest: ShardManifest) => number | undefined;
  /** What it must have taken in, from the stages before it (verify's chain check). */
  handoff?: { what: string; actual: (self: StageTotals) => number; expected: (of: (stage: string) => StageTotals) => number };
}

const ended = (totals: StageTotals, ending: string) => totals.accounting?.ended[ending] ?? 0;

function row<Kind extends ConfigKind, Name extends string>(stage: StageRow<Kind, Name>): StageRow<Kind, Name> {
  return stage;
}

export const STAGE_TABLE = [
  row({
    name: 'plan',
    folder: 'plan',
    upstream: [],
    sharded: false,
    defaultShards: 1,
    describe: 'Search Titelive day by day over the window (or read a list of EANs, or an earlier run\'s failures) and write the list of EANs to fetch',
    options: [...RUN_OPTIONS, 'min-modified-date', 'max-modified-date', 'window-days', 'lookback-days', 'max-catch-up-days', 'eans-from', 'move-cursor', 'retry-failed-from', 'include-unavailable', 'allow-partial', 'limit', ...TITELIVE_OPTIONS, ...OBSERVABILITY_OPTIONS],
    examples: [
      ['$0 plan --category paper --min-modified-date 2024-01-01 --max-modified-date 2024-01-08 --run-id 2024-01-08 --data-url ./data', ''],
      ['$0 plan --category paper --eans-from gs://bucket/lists/paper-eans.csv --run-id backfill-2024-01 --data-url gs://bucket/runs', 'a backfill: the listed EANs, no search'],
      ['$0 plan --category paper --retry-failed-from 2024-01-08 --run-id 2024-01-08-repair --data-url gs://bucket/runs', 'a repair: what failed in 2024-01-08'],
    ],
    config: 'plan',
    run: async (config, context) => (await import('./stages/plan.js')).runPlan(config, context),
    rowsOut: (accounting) => (accounting.ended.planned ?? 0) + (accounting.ended.carried ?? 0),
  }),
  row({
    name: 'fetch',
    folder: 'fetch',
    upstream: ['plan'],
    sharded: true,
    defaultShards: 4,
    describe: "Fetch this shard's EANs from /ean (250 a call) and write raw Parquet: found, deleted or failed",
    options: [...RUN_OPTIONS, ...SHARD_OPTIONS, 'limit', 'batch-size', 'max-failure-ratio', ...TITELIVE_OPTIONS, ...OBSERVABILITY_OPTIONS],
    examples: [['$0 fetch --category paper --run-id 2024-01-08 --data-url ./data --shard-index 0 --shard-count 4', '']],
    config: 'fetch',
    run: async (config, context) => (await import('./stages/fetch.js')).runFetch(config, context),
    rowsOut: (accounting) => (accounting.ended.found ?? 0) + (accounting.ended.deleted ?? 0) + (accounting.ended.failed ?? 0),
    handoff: { what: "in = plan's planned + carried", actual: (self) => self.accounting?.in ?? 0, expected: (of) => ended(of('plan'), 'planned') + ended(of('plan'), 'carried') },
  }),
  row({
    name: 'parse',
    folder: 'products',
    upstream: ['plan', 'fetch'],
    sharded: true,
    defaultShards: 2,
    describe: 'Flatten raw products into Parquet, one row per article, one typed column per Titelive field (docs/columns.md); or convert one seed-format file',
    options: [...RUN_OPTIONS, ...SHARD_OPTIONS, 'input-file-path', 'output-file-path', 'min-modified-date', 'parse-workers', ...OBSERVABILITY_OPTIONS],
    examples: [
      ['$0 parse --category paper --run-id 2024-01-08 --data-url ./data --shard-index 0 --shard-count 2', ''],
      ['$0 parse --input-file-path raw.parquet --output-file-path out.parquet --min-modified-date 2024-01-01', 'like the seed script'],
    ],
    config: 'parse',
    run: async (config, context) => (await import('./stages/parse-start.js')).startParse(config, context),
    rowsOut: (accounting) => accounting.ended.written ?? 0,
    handoff: { what: "in = fetch's rows", actual: (self) => self.accounting?.in ?? 0, expected: (of) => of('fetch').outputRows },
  }),
  row({
    name: 'images',
    folder: 'images',
    upstream: ['parse'],
    sharded: true,
    defaultShards: 4,
    describe: "Mirror the recto/verso covers of this shard's articles into GCS (or a folder), each image once, and write their statuses",
    options: [...RUN_OPTIONS, ...SHARD_OPTIONS, 'images-url', 'image-hosts', 'max-sockets', 'max-failure-ratio', 'max-image-bytes', 'http-timeout-ms', 'max-attempts', 'input-parquet-path', 'gcs-thumb-base-path', 'output-parquet-path', ...OBSERVABILITY_OPTIONS],
    examples: [
      ['$0 images --category paper --run-id 2024-01-08 --data-url gs://bucket/runs --images-url gs://bucket/images/titelive --shard-index 0 --shard-count 4', ''],
      ['$0 images --input-parquet-path products.parquet --gcs-thumb-base-path gs://bucket/images/titelive --output-parquet-path images.parquet', 'like the seed script'],
    ],
    config: 'images',
    run: async (config, context) => (await import('./stages/images.js')).runImages(config, context),
    // One part row per article; the accounting counts its sides.
    rowsOut: (accounting, manifest) => (typeof manifest.details.sidesPerRow === 'number' && manifest.details.sidesPerRow > 0 ? accounting.in / manifest.details.sidesPerRow : undefined),
    handoff: { what: "rows = parse's rows", actual: (self) => self.outputRows, expected: (of) => of('parse').outputRows },
  }),
  row({
    name: 'load',
    folder: 'load',
    upstream: ['fetch', 'parse', 'images'],
    sharded: true,
    defaultShards: 2,
    describe: "Upsert this shard's articles into MongoDB: one document per EAN, written only when its content changed; deleted EANs marked",
    options: [...RUN_OPTIONS, ...SHARD_OPTIONS, 'mongodb-uri', 'database', 'collection', 'write-batch-size', 'mongodb-timeout-ms', 'max-failure-ratio', 'max-item-attempts', ...OBSERVABILITY_OPTIONS],
    examples: [['MONGODB_URI=mongodb://… $0 load --category paper --run-id 2024-01-08 --data-url ./data --shard-index 0 --shard-count 2', '']],
    config: 'load',
    run: async (config, context) => (await import('./stages/load.js')).runLoad(config, context),
    handoff: { what: "in = parse's rows + fetch's deleted", actual: (self) => self.accounting?.in ?? 0, expected: (of) => of('parse').outputRows + ended(of('fetch'), 'deleted') },
  }),
] as const;

export type Stage = (typeof STAGE_TABLE)[number]['name'];

/** The stages in run order. */
export const STAGES: readonly Stage[] = STAGE_TABLE.map((stage) => stage.name);

export const STAGE_FOLDERS = Object.fromEntries(STAGE_TABLE.map((stage) => [stage.name, stage.folder])) as Record<Stage, string>;

export function isStage(name: string): name is Stage {
  return (STAGES as readonly string[]).includes(name);
}

export function stageRow(name: Stage): StageRow {
  return STAGE_TABLE.find((stage) => stage.name === name)! as StageRow;
}
