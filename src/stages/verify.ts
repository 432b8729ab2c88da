import { sumAccounting, unaccounted, type Accounting } from '../runtime/accounting.js';
import { stageCompletion } from '../runtime/completion.js';
import { ConfigError, ReconciliationError } from '../runtime/errors.js';
import type { JobContext } from '../runtime/harness.js';
import { manifestRows, type ShardManifest } from '../runtime/manifest.js';
import { stageFolder, type RunRef } from '../runtime/run-layout.js';
import { openStorage } from '../runtime/storage/open-storage.js';
import type { Storage } from '../runtime/storage/storage.js';
import { STAGES, STAGE_FOLDERS, STAGE_TABLE, stageRow, type Stage, type StageRow } from '../stage-table.js';

export interface VerifyConfig {
  dataset: string;
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
    const outputRows = completion.manifests.reduce((sum, manifest) => sum + manifestRows(manifest), 0);
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
  const rows = manifestRows(manifest);
  const expected = (stageRow(stage) as StageRow).rowsOut?.(accounting, manifest);
  if (expected !== undefined && expected !== rows) checks.push({ ok: false, text: `${shard}: its parts hold ${number(rows)} rows, its accounting says ${number(expected)}` });
  return checks;
}

/** Each stage's input against what the stages before it handed on, by its row's handoff rule. */
function chainChecks(stages: ReadonlyMap<Stage, StageReconciliation>): void {
  const of = (stage: string) => stages.get(stage as Stage)!;
  for (const row of STAGE_TABLE) {
    const stage = of(row.name);
    const handoff = (row as StageRow).handoff;
    if (!handoff || stage.accounting === undefined || row.upstream.some((name) => of(name).accounting === undefined)) continue;
    const actual = handoff.actual(stage);
    const wanted = handoff.expected(of);
    const difference = actual - wanted;
    stage.checks.push(
      difference === 0
        ? { ok: true, text: `${handoff.what} (${number(wanted)})` }
        : { ok: false, text: `${handoff.what.replace(' = ', ' ≠ ')}: ${number(actual)} vs ${number(wanted)} (${number(Math.abs(difference))} ${difference < 0 ? 'missing' : 'too many'})` },
    );
  }
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

/** A run with no stage at all: a run id or data URL that names nothing, said as such (exit 2), never "adds up". */
async function noSuchRun(storage: Storage, run: RunRef): Promise<ConfigError> {
  const runs = [...new Set((await storage.list(run.dataset)).map((path) => path.split('/')[1]).filter((id): id is string => id !== undefined && !id.startsWith('_') && !id.endsWith('.json')))].sort();
  const known = runs.length === 0 ? `no run of ${run.dataset} at all under ${storage.locate(run.dataset)}` : `runs there: ${runs.slice(-5).join(', ')}${runs.length > 5 ? ` (and ${runs.length - 5} older)` : ''}`;
  return new ConfigError(`${run.dataset} run '${run.runId}' has no stage in ${storage.locate(stageFolder(run, ''))} (${known}); check --run-id and --data-url`);
}

/** `titelive-etl verify`: prints the table; exits 4 (with the stages and numbers) when the run does not add up. */
export async function runVerify(config: VerifyConfig, { logger }: JobContext, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  await verifyRun(openStorage(config.dataUrl), { dataset: config.dataset, runId: config.runId }, logger, out);
}

/** Reconciles `run`, writes the table to `out`, and throws a ReconciliationError when it does not add up. */
export async function verifyRun(storage: Storage, run: RunRef, logger: JobContext['logger'], out: NodeJS.WritableStream): Promise<Reconciliation> {
  const reconciliation = await reconcileRun(storage, run);
  if (reconciliation.stages.every((stage) => stage.accounting === undefined)) throw await noSuchRun(storage, run);
  out.write(formatReconciliation(reconciliation));
  const problems = reconciliation.stages.flatMap((stage) => stage.checks.filter((check) => !check.ok).map((check) => `${stage.stage}: ${check.text}`));
  if (problems.length > 0) {
    throw new ReconciliationError(`verify ${run.dataset}/${run.runId} in ${storage.locate(stageFolder(run, ''))}: ${problems.join('; ')}`);
  }
  const verified = reconciliation.stages.filter((stage) => stage.accounting).map((stage) => stage.stage);
  logger.info({ event: 'verified', stages: verified }, `verify: ${run.dataset}/${run.runId} adds up (${verified.join(', ')})`);
  return reconciliation;
}
