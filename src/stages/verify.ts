import { sumAccounting, unaccounted, type Accounting } from '../runtime/accounting.js';
import { stageCompletion } from '../runtime/completion.js';
import { ReconciliationError } from '../runtime/errors.js';
import type { JobContext } from '../runtime/harness.js';
import type { ShardManifest } from '../runtime/manifest.js';
import { stageFolder, type RunRef } from '../runtime/run-layout.js';
import { openStorage } from '../runtime/storage/open-storage.js';
import type { Storage } from '../runtime/storage/storage.js';
import { IMAGE_SIDES } from '../titelive/image-sides.js';
import { STAGES, STAGE_FOLDERS, type Stage } from '../stage-table.js';

export interface VerifyConfig {
  category: string;
  runId: string;
  dataUrl: string;
}

export interface Check {
  ok: boolean;
  text: string;
}

export interface StageReconciliation {
  stage: Stage;
  /** "2/2" shard manifests, or "not run". */
  shards: string;
  /** Σ over the shards; undefined when the stage has not run. */
  accounting: Accounting | undefined;
  /** Rows in the stage's output files, from the manifests. */
  outputRows: number;
  checks: Check[];
}

export interface Reconciliation {
  run: RunRef;
  stages: StageReconciliation[];
  ok: boolean;
}

/**
 * Reads every shard manifest of a run and checks, stage by stage, that each shard accounts for
 * all its inputs (in = Σ ended), that its output parts exist and hold what it says, and that
 * each stage took in exactly what the one before it handed on.
 */
export async function reconcileRun(storage: Storage, run: RunRef): Promise<Reconciliation> {
  const byStage = new Map<Stage, StageReconciliation>();
  let lastRun: Stage | undefined;
  for (const stage of STAGES) {
    const completion = await stageCompletion(storage, run, STAGE_FOLDERS[stage]);
    const checks: Check[] = [];
    if (completion.manifests.length === 0) {
      byStage.set(stage, { stage, shards: 'not run', accounting: undefined, outputRows: 0, checks });
      continue;
    }
    lastRun = stage;
    if (!completion.complete) checks.push({ ok: false, text: `shards ${completion.missing.join(', ')} of ${completion.shardCount} have no manifest` });
    for (const manifest of completion.manifests) checks.push(...(await shardChecks(storage, stage, manifest)));
    const accountings = completion.manifests.map((manifest) => manifest.accounting).filter((accounting) => accounting !== undefined);
    const outputRows = completion.manifests.reduce((sum, manifest) => sum + manifest.outputs.reduce((rows, file) => rows + file.rows, 0), 0);
    byStage.set(stage, { stage, shards: `${completion.manifests.length}/${completion.shardCount}`, accounting: sumAccounting(accountings), outputRows, checks });
  }
  const stages = STAGES.map((stage) => byStage.get(stage)!);
  // A stage that did not run while a later one did: the later one read something else.
  for (const [index, stage] of stages.entries()) {
    if (stage.accounting === undefined && lastRun !== undefined && STAGES.indexOf(lastRun) > index) stage.checks.push({ ok: false, text: `not run, but ${lastRun} ran` });
  }
  chainChecks(byStage);
  return { run, stages, ok: stages.every((stage) => stage.checks.every((check) => check.ok)) };
}

function number(value: number): string {
  return value.toLocaleString('en-US');
}

/** One shard: it adds up, its parts are there, and they hold the rows its accounting says. */
async function shardChecks(storage: Storage, stage: Stage, manifest: ShardManifest): Promise<Check[]> {
  const shard = `shard ${manifest.shardIndex}`;
  const checks: Check[] = [];
  for (const file of manifest.outputs) {
    if (!(await storage.exists(file.path))) checks.push({ ok: false, text: `${shard}: its part ${storage.locate(file.path)} is missing` });
  }
  const accounting = manifest.accounting;
  if (!accounting) return [...checks, { ok: false, text: `${shard}: its manifest has no accounting (written by ${manifest.productVersion}); rerun the stage` }];
  const gap = unaccounted(accounting);
  if (gap !== 0) checks.push({ ok: false, text: `${shard}: in ${number(accounting.in)} ≠ Σ ended ${number(accounting.in - gap)} (${number(Math.abs(gap))} ${accounting.unit} ${gap > 0 ? 'unaccounted for' : 'counted twice'})` });
  const rows = manifest.outputs.reduce((sum, file) => sum + file.rows, 0);
  const expected = rowsFromAccounting(stage, accounting);
  if (expected !== undefined && expected !== rows) checks.push({ ok: false, text: `${shard}: its parts hold ${number(rows)} rows, its accounting says ${number(expected)}` });
  return checks;
}

/** The rows a shard's parts must hold, by its accounting (undefined: the stage writes no part). */
function rowsFromAccounting(stage: Stage, accounting: Accounting): number | undefined {
  const ended = (ending: string) => accounting.ended[ending] ?? 0;
  switch (stage) {
    case 'plan':
      return ended('planned');
    case 'fetch':
      return ended('found') + ended('deleted') + ended('failed');
    case 'parse':
      return ended('written');
    case 'images':
      return accounting.in / IMAGE_SIDES.length;
    case 'load':
      return undefined;
  }
}

/** Each stage's `in` against what the stages before it handed on. */
function chainChecks(stages: ReadonlyMap<Stage, StageReconciliation>): void {
  const of = (stage: Stage) => stages.get(stage)!;
  const ended = (stage: Stage, ending: string) => of(stage).accounting?.ended[ending] ?? 0;
  const expect = (stage: Stage, upstream: Stage[], actual: number, wanted: number, what: string) => {
    if (of(stage).accounting === undefined || upstream.some((name) => of(name).accounting === undefined)) return;
    const difference = actual - wanted;
    of(stage).checks.push(
      difference === 0
        ? { ok: true, text: `${what} (${number(wanted)})` }
        : { ok: false, text: `${what.replace(' = ', ' ≠ ')}: ${number(actual)} vs ${number(wanted)} (${number(Math.abs(difference))} ${difference < 0 ? 'missing' : 'too many'})` },
    );
  };
  expect('fetch', ['plan'], of('fetch').accounting?.in ?? 0, ended('plan', 'planned'), "in = plan's planned");
  expect('parse', ['fetch'], of('parse').accounting?.in ?? 0, of('fetch').outputRows, "in = fetch's rows");
  expect('images', ['parse'], of('images').outputRows, of('parse').outputRows, "rows = parse's rows");
  expect('load', ['parse', 'fetch'], of('load').accounting?.in ?? 0, of('parse').outputRows + ended('fetch', 'deleted'), "in = parse's rows + fetch's deleted");
}

/** The reconciliation as a table, one line per stage, then what is wrong. */
export function formatReconciliation(reconciliation: Reconciliation): string {
  const rows = reconciliation.stages.map((stage) => {
    const accounting = stage.accounting;
    const ended = accounting ? Object.entries(accounting.ended).filter(([, count]) => count > 0).map(([ending, count]) => `${ending} ${number(count)}`).join(', ') : '';
    const failures = stage.checks.filter((check) => !check.ok);
    const check = failures.length > 0 ? 'FAILED' : stage.checks.length > 0 ? `ok: ${stage.checks.filter((each) => each.ok).map((each) => each.text).join('; ') || 'adds up'}` : accounting ? 'ok: adds up' : '';
    return [stage.stage, stage.shards, accounting?.unit ?? '', accounting ? number(accounting.in) : '', ended || (accounting ? '—' : ''), check];
  });
  const header = ['stage', 'shards', 'unit', 'in', 'ended', 'check'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 3 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  const { dataset, runId } = reconciliation.run;
  const lines = [`verify: ${dataset} run ${runId}`, line(header), ...rows.map(line)];
  for (const stage of reconciliation.stages) for (const check of stage.checks.filter((each) => !each.ok)) lines.push(`  ${stage.stage}: ${check.text}`);
  lines.push(reconciliation.ok ? 'verify: every input is accounted for, stage by stage' : 'verify: the run does not add up (see above)');
  return `${lines.join('\n')}\n`;
}

/** `titelive-etl verify`: prints the table; exits 4 (with the stages and numbers) when the run does not add up. */
export async function runVerify(config: VerifyConfig, { logger }: JobContext, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  await verifyRun(openStorage(config.dataUrl), { dataset: config.category, runId: config.runId }, logger, out);
}

/** Reconciles `run`, writes the table to `out`, and throws a ReconciliationError when it does not add up. */
export async function verifyRun(storage: Storage, run: RunRef, logger: JobContext['logger'], out: NodeJS.WritableStream): Promise<Reconciliation> {
  const reconciliation = await reconcileRun(storage, run);
  out.write(formatReconciliation(reconciliation));
  const problems = reconciliation.stages.flatMap((stage) => stage.checks.filter((check) => !check.ok).map((check) => `${stage.stage}: ${check.text}`));
  if (problems.length > 0) {
    throw new ReconciliationError(`verify ${run.dataset}/${run.runId} in ${storage.locate(stageFolder(run, ''))}: ${problems.join('; ')}`);
  }
  const verified = reconciliation.stages.filter((stage) => stage.accounting).map((stage) => stage.stage);
  logger.info({ event: 'verified', stages: verified }, `verify: ${run.dataset}/${run.runId} adds up (${verified.join(', ')})`);
  return reconciliation;
}
