import { chunk } from '../runtime/concurrency/batches.js';
import { forEachCompleted } from '../runtime/concurrency/for-each-completed.js';
import { StaleCopyError, messageOf } from '../runtime/errors.js';
import type { JobContext } from '../runtime/harness.js';
import { auditItems, auditMaxStaleRatio, auditStaleRatio, auditStaleRatioLowerBound, auditStaleRatioUpperBound, auditTimestampSeconds } from '../runtime/metrics.js';
import { MongoConnection } from '../runtime/mongo.js';
import { openStorage } from '../runtime/storage/open-storage.js';
import { wilsonInterval, type ShareInterval } from '../runtime/wilson-interval.js';
import type { FetchedItem, SourceConnection } from '../source.js';
import { sourceOf } from '../sources.js';
import type { AuditConfig } from '../stage-configs.js';
import { AUDIT_OUTCOMES, compareWithSource, type AuditFinding, type AuditOutcome } from './audit-compare.js';
import type { StoredDocument } from './load-collection.js';
import { sampleKeys } from './sample-documents.js';
import { Progress } from '../runtime/progress.js';

/** What an audit found, as written to `{category}/_audits/{auditId}.json`. */
export interface AuditReport {
  dataset: string;
  auditId: string;
  startedAt: string;
  finishedAt: string;
  database: string;
  collection: string;
  collectionSize: number;
  sampled: number;
  outcomes: Record<AuditOutcome, number>;
  /** Over the documents compared (sampled − failed): stale, deleted at the source or deleted in the copy only. */
  staleShare: ShareInterval | null;
  maxStaleRatio: number;
  /** The interval's lower bound is above maxStaleRatio. */
  aboveThreshold: boolean;
  findings: AuditFinding[];
}

/** The source's answers for a batch of keys; a batch that fails as a whole fails each of its keys. */
async function fetchFresh(connection: SourceConnection, dataset: string, keys: string[], signal: AbortSignal): Promise<FetchedItem[]> {
  try {
    return await connection.fetchBatch(dataset, keys, signal);
  } catch (error) {
    if (signal.aborted) throw error;
    return keys.map((key): FetchedItem => ({ key, status: 'failed', error: messageOf(error) }));
  }
}

/** Findings shown in the table per outcome. */
const SHOWN = 5;

/**
 * `titelive-etl audit`: samples documents uniformly from the collection ($sample), fetches
 * their keys fresh from the source within the request budget, and compares each with what
 * load would write now (compareWithSource). Prints a table, writes the report under
 * `{category}/_audits/`, sets the audit gauges and logs `audit_done`. With --fail-on-stale, a
 * stale share whose 95 % interval lies above --max-stale-ratio exits 4.
 */
export async function runAudit(config: AuditConfig, { logger, signal }: JobContext, out: NodeJS.WritableStream = process.stdout): Promise<AuditReport> {
  const startedAt = new Date();
  const source = sourceOf(config.dataset);
  const facet = await source.products();
  const storage = openStorage(config.dataUrl);
  const connection = await MongoConnection.connect(config.mongodbUri, config.timeoutMs === undefined ? {} : { socketTimeoutMS: config.timeoutMs });
  const findings: AuditFinding[] = [];
  let collectionSize: number;
  try {
    const collection = connection.client.db(config.database).collection<StoredDocument>(config.collection);
    collectionSize = await collection.countDocuments({ category: config.dataset });
    const keys = await sampleKeys(collection, { category: config.dataset }, config.sample, logger);
    logger.info({ event: 'audit_sampled', sampled: keys.length, collectionSize }, `audit: ${keys.length} of ${collectionSize} ${config.dataset} documents sampled from ${config.database}.${config.collection}`);
    const progress = new Progress(logger, 'audit', keys.length, 'documents');
    if (keys.length > 0) {
      const titelive = await source.connect(config.titelive, 0, logger);
      try {
        // A batch at a time: its stored documents and the source's answer, compared, then let go.
        await forEachCompleted(
          chunk(keys, config.batchSize),
          config.titelive.concurrency,
          async (batch) => {
            const [stored, fresh] = await Promise.all([collection.find({ _id: { $in: batch } }).toArray(), fetchFresh(titelive, config.dataset, batch, signal)]);
            const answers = new Map(fresh.map((item) => [item.key, item]));
            return stored.map((document) => compareWithSource(document, answers.get(document._id) ?? { key: document._id, status: 'failed', error: 'no answer' }, facet, config.dataset));
          },
          (compared) => {
            findings.push(...compared);
            for (const finding of compared) progress.add(finding.outcome);
          },
          signal,
        );
      } finally {
        titelive.close();
      }
    }
    progress.log('done');
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw connection.redact(error);
  } finally {
    await connection.close();
  }

  const outcomes = Object.fromEntries(AUDIT_OUTCOMES.map((outcome) => [outcome, 0])) as Record<AuditOutcome, number>;
  for (const finding of findings) outcomes[finding.outcome] += 1;
  const compared = findings.length - outcomes.failed;
  const notInSync = outcomes.stale + outcomes.deleted_at_source + outcomes.deleted_in_copy_only;
  const staleShare = wilsonInterval(notInSync, compared) ?? null;
  const aboveThreshold = staleShare !== null && staleShare.lower > config.maxStaleRatio;
  const finishedAt = new Date();
  const auditId = startedAt.toISOString().replace(/[:.]/g, '-');
  const report: AuditReport = {
    dataset: config.dataset,
    auditId,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    database: config.database,
    collection: config.collection,
    collectionSize,
    sampled: findings.length,
    outcomes,
    staleShare,
    maxStaleRatio: config.maxStaleRatio,
    aboveThreshold,
    findings,
  };
  const reportPath = `${config.dataset}/_audits/${auditId}.json`;
  const repairPath = `${config.dataset}/_audits/${auditId}-not-in-sync.txt`;
  await storage.writeText(reportPath, `${JSON.stringify(report, null, 2)}\n`, 'application/json');
  const toRepair = findings.filter((finding) => finding.outcome !== 'in_sync').map((finding) => finding.key);
  await storage.writeText(repairPath, toRepair.length > 0 ? `${toRepair.join('\n')}\n` : '', 'text/plain');

  const category = config.dataset;
  for (const outcome of AUDIT_OUTCOMES) auditItems.set({ category, outcome }, outcomes[outcome]);
  if (staleShare) {
    auditStaleRatio.set({ category }, staleShare.share);
    auditStaleRatioLowerBound.set({ category }, staleShare.lower);
    auditStaleRatioUpperBound.set({ category }, staleShare.upper);
  }
  auditMaxStaleRatio.set({ category }, config.maxStaleRatio);
  auditTimestampSeconds.set({ category }, finishedAt.getTime() / 1000);

  out.write(describeAudit(report, storage.locate(reportPath), storage.locate(repairPath)));
  logger.info(
    {
      event: 'audit_done',
      sampled: report.sampled,
      inSync: outcomes.in_sync,
      stale: outcomes.stale,
      deletedAtSource: outcomes.deleted_at_source,
      deletedInCopyOnly: outcomes.deleted_in_copy_only,
      failed: outcomes.failed,
      staleRatio: staleShare?.share ?? null,
      staleRatioLower: staleShare?.lower ?? null,
      staleRatioUpper: staleShare?.upper ?? null,
      maxStaleRatio: config.maxStaleRatio,
      aboveThreshold,
      collectionSize,
      report: storage.locate(reportPath),
    },
    `audit: ${describeShare(staleShare)} of ${compared} compared documents not in sync (threshold ${percent(config.maxStaleRatio)})`,
  );
  if (aboveThreshold && config.failOnStale) {
    throw new StaleCopyError(
      `audit: the stale share of ${config.dataset} is ${describeShare(staleShare)}, above --max-stale-ratio ${percent(config.maxStaleRatio)}: ` +
        `repair the documents listed in ${storage.locate(repairPath)} with \`titelive-etl plan --eans-from ${storage.locate(repairPath)}\` and a run of their own, and look for the cause (docs/operations.md, "Audit the copy")`,
    );
  }
  return report;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(2)} %`;
}

function describeShare(share: ShareInterval | null): string {
  return share ? `${percent(share.share)} (95 % interval ${percent(share.lower)} – ${percent(share.upper)})` : 'n/a (nothing compared)';
}

/** The report as a table a person reads. */
export function describeAudit(report: AuditReport, where: string, repairList: string): string {
  const lines = [`audit: ${report.dataset}: ${report.sampled} of ${report.collectionSize} documents sampled from ${report.database}.${report.collection}`];
  for (const outcome of AUDIT_OUTCOMES) {
    const examples = report.findings.filter((finding) => finding.outcome === outcome && outcome !== 'in_sync').slice(0, SHOWN);
    const shown = examples.map((finding) => (finding.fields ? `${finding.key} (${finding.fields.join(', ') || 'hash only'})` : finding.error ? `${finding.key} (${finding.error})` : finding.key));
    lines.push(`  ${outcome.padEnd(22)}${String(report.outcomes[outcome]).padStart(8)}${shown.length > 0 ? `   e.g. ${shown.join('; ')}` : ''}`);
  }
  const verdict = report.staleShare === null ? 'nothing compared' : report.aboveThreshold ? 'ABOVE the threshold' : 'within the threshold';
  lines.push(`  stale share: ${describeShare(report.staleShare)}; threshold ${percent(report.maxStaleRatio)}: ${verdict}`);
  lines.push(`  report: ${where}`);
  lines.push(`  not in sync, one EAN per line (plan --eans-from takes it): ${repairList}`);
  return `${lines.join('\n')}\n`;
}
