import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { addDays } from '../../src/runtime/calendar.js';
import { readCursor } from '../../src/runtime/cursor.js';
import { readManifests } from '../../src/runtime/manifest.js';
import { readStageRows } from '../../src/runtime/part-io.js';
import { LocalStorage } from '../../src/runtime/storage/local-storage.js';
import type { TruthEntry } from '../../src/sandbox/history.js';
import { SANDBOX_PASSWORD, SANDBOX_USERNAME, type Sandbox } from '../../src/sandbox/server.js';
import { runAudit, type AuditReport } from '../../src/stages/audit.js';
import { articlesOf, eanOf } from '../../src/titelive/response-shapes.js';
import { readCommitRecord } from '../../src/stages/commit-run.js';
import { continuitySandbox, runDay, setClock, type ContinuityOptions } from '../helpers/continuity.js';
import { quietContext, sandboxTitelive, tempDir } from '../helpers/run-stages.js';
import { startMongo, startPrometheusStack, waitFor, type MongoServer } from '../helpers/services.js';
import { runCli } from '../helpers/cli.js';

const START = '2026-03-02';
const ALERTS = path.resolve(import.meta.dirname, '../../charts/titelive-etl/files/alerts.yaml');
const PRODUCTS = 120;

/** The copy as the stored documents say: title, price, modification date, deleted or not. */
interface CopyEntry {
  titre: unknown;
  prix: number | null;
  datemodification: unknown;
  deleted: boolean;
}

describe('backfill from a list of EANs, repair of a run, audit of the copy (sandbox with a clock, FerretDB)', function () {
  this.timeout(900_000);
  let mongo: MongoServer;
  let sandbox: Sandbox;
  let dataUrl: string;
  let options: ContinuityOptions;
  let failing: string[];
  let coverless: string[];
  const database = `backfill_${Date.now()}`;

  before(async function () {
    mongo = await startMongo(this);
    dataUrl = await tempDir();
    // Two EANs whose /ean always answers 500, until the repair.
    const probe = continuitySandbox({ products: PRODUCTS, start: START });
    failing = probe.history!.truth('paper').filter((entry) => !entry.deleted).slice(5, 7).map((entry) => entry.ean);
    sandbox = continuitySandbox({ products: PRODUCTS, start: START, failingEans: failing });
    // Two EANs whose recto is gone from the image host, until the repair.
    const withCover = (ean: string) => {
      const located = probe.catalog.locate('paper', ean)!;
      return articlesOf(probe.catalog.product('paper', located.index)).some((article) => eanOf(article) === ean && Number(article.image) === 1);
    };
    coverless = probe.history!.truth('paper').filter((entry) => !entry.deleted && withCover(entry.ean)).slice(20, 22).map((entry) => entry.ean);
    sandbox.faults.imageFaults = Object.fromEntries(coverless.map((ean) => [`${ean}-recto`, 'not-found' as const]));
    await sandbox.start();
    await setClock(sandbox, START);
    options = { products: PRODUCTS, start: START, days: 0, outageDays: [], lookbackDays: 7, mode: 'cursor', runner: 'in-process', mongoUri: mongo.uri, database, dataUrl };
  });

  after(async () => {
    await sandbox?.stop();
    await mongo?.stop();
  });

  const truthNow = (): TruthEntry[] => sandbox.history!.truth('paper');

  async function copy(): Promise<Map<string, CopyEntry>> {
    const client = await MongoClient.connect(mongo.uri);
    try {
      const entries = new Map<string, CopyEntry>();
      const documents = client.db(database).collection<{ _id: string }>('products').find({}, { projection: { titre: 1, article_prix: 1, article_datemodification: 1, deletedAt: 1 } });
      for await (const document of documents) {
        const stored = document as Record<string, unknown>;
        entries.set(String(document._id), { titre: stored.titre, prix: stored.article_prix === null || stored.article_prix === undefined ? null : Number(stored.article_prix), datemodification: stored.article_datemodification ?? null, deleted: Boolean(stored.deletedAt) });
      }
      return entries;
    } finally {
      await client.close();
    }
  }

  /** Copy entries that differ from what the API shows now, by EAN. */
  function notInSync(entries: Map<string, CopyEntry>, truth: TruthEntry[]): Set<string> {
    const byEan = new Map(truth.map((entry) => [entry.ean, entry]));
    const wrong = new Set<string>();
    for (const [ean, entry] of entries) {
      const now = byEan.get(ean);
      if (!now) throw new Error(`${ean} is in the copy but not in the sandbox's truth`);
      if (now.deleted !== entry.deleted || (!now.deleted && (now.titre !== entry.titre || now.prix !== entry.prix || now.datemodification !== entry.datemodification))) wrong.add(ean);
    }
    return wrong;
  }

  async function plannedEans(runId: string): Promise<string[]> {
    const storage = new LocalStorage(dataUrl);
    const eans: string[] = [];
    for await (const row of readStageRows(storage, await readManifests(storage, { dataset: 'paper', runId }, 'plan'), { columns: ['ean'] })) eans.push(String(row.ean));
    return eans;
  }

  async function audit(sample: number): Promise<AuditReport> {
    const output: string[] = [];
    const out = { write: (text: string) => output.push(text) } as unknown as NodeJS.WritableStream;
    const report = await runAudit(
      { dataset: 'paper', dataUrl, mongodbUri: mongo.uri, database, collection: 'products', sample, batchSize: 250, maxStaleRatio: 0.01, failOnStale: false, titelive: sandboxTitelive(sandbox) },
      quietContext(),
      out,
    );
    expect(output.join('')).to.contain(`${report.sampled} of ${report.collectionSize} documents sampled`).and.contain('stale share:');
    return report;
  }

  it('plan --eans-from: a CSV with repeats, bad and blank lines plans each valid EAN once, searches nothing, and the run loads every live EAN; the cursor stays', async () => {
    const truth = truthNow();
    const eans = truth.map((entry) => entry.ean);
    const bad = ['abc', eans[0]!.slice(0, 12), `${eans[1]!.slice(0, 12)}${(Number(eans[1]![12]) + 1) % 10}`];
    const repeats = eans.slice(10, 25);
    const lines = ['ean', ...eans.slice(0, 40), '', ...repeats.map((ean) => ` ${ean} `), ...bad, ...eans.slice(40), '   '];
    const list = path.join(dataUrl, 'paper-eans.csv');
    await writeFile(list, `${lines.join('\r\n')}\r\n`);

    sandbox.resetStats();
    const result = await runDay(sandbox, 'backfill-1', { EANS_FROM: list, MAX_FAILURE_RATIO: '0.05' }, options);
    expect(result.ok, JSON.stringify(result.failed)).to.equal(true);
    const stats = sandbox.getStats();
    expect(stats.searches, 'search calls').to.equal(0);
    // One /ean call per shard (under 250 EANs each), and for each EAN that fails, its batch halved
    // down to it (8 levels at most here), each level's failing call tried 6 times.
    expect(stats.eanLookups).to.be.at.most(4 + 2 * 8 * 6);

    const plan = (await readManifests(new LocalStorage(dataUrl), { dataset: 'paper', runId: 'backfill-1' }, 'plan'))[0]!;
    expect(plan.counts).to.deep.include({ planned: eans.length, duplicate: repeats.length, bad: bad.length, blank: 2, search_requests: 0 });
    expect(plan.accounting.in).to.equal(lines.length - 1);
    expect(plan.details.badLines).to.have.length(bad.length);
    expect((plan.details.badLines as string[])[0]).to.match(/^line \d+: "abc" \(3 characters, not 13 digits/);
    expect((plan.details.badLines as string[])[2]).to.contain('wrong check digit');
    expect([...(await plannedEans('backfill-1'))].sort()).to.deep.equal([...new Set(eans)].sort());

    const stored = await copy();
    for (const entry of truth) {
      if (entry.deleted) continue;
      if (failing.includes(entry.ean)) {
        expect(stored.has(entry.ean), `${entry.ean} failed at fetch`).to.equal(false);
        continue;
      }
      expect(stored.get(entry.ean), entry.ean).to.deep.equal({ titre: entry.titre, prix: entry.prix, datemodification: entry.datemodification, deleted: false });
    }
    expect(await readCursor(new LocalStorage(dataUrl), 'paper')).to.equal(undefined);
    const commit = (await readCommitRecord(new LocalStorage(dataUrl), { dataset: 'paper', runId: 'backfill-1' }))!;
    expect(commit).to.deep.include({ moved: false, failed: 2, cursorAfter: null });
  });

  it('plan --retry-failed-from plans exactly the EANs whose fetch failed (with --include-unavailable, and those whose cover failed), and the repair loads them', async () => {
    sandbox.faults.failingEans = [];
    sandbox.faults.imageFaults = {};
    sandbox.resetStats();
    const result = await runDay(sandbox, 'repair-1', { RETRY_FAILED_FROM: 'backfill-1' }, options);
    expect(result.ok, JSON.stringify(result.failed)).to.equal(true);
    expect((await plannedEans('repair-1')).sort()).to.deep.equal([...failing].sort());
    const withCovers = await runDay(sandbox, 'repair-2', { RETRY_FAILED_FROM: 'backfill-1', INCLUDE_UNAVAILABLE: 'true' }, options);
    expect(withCovers.ok, JSON.stringify(withCovers.failed)).to.equal(true);
    expect((await plannedEans('repair-2')).sort()).to.deep.equal([...failing, ...coverless].sort());
    expect(sandbox.getStats().searches).to.equal(0);
    const stored = await copy();
    for (const ean of failing) expect(stored.get(ean)?.deleted, ean).to.equal(false);
    expect(notInSync(stored, truthNow()).size, 'the whole copy equals the API').to.equal(0);
  });

  it('audit right after the load: every sampled document in sync', async () => {
    const report = await audit(100_000);
    const stored = await copy();
    expect(report.sampled).to.equal(stored.size);
    expect(report.collectionSize).to.equal(stored.size);
    expect(report.outcomes).to.deep.equal({ in_sync: stored.size, stale: 0, deleted_at_source: 0, deleted_in_copy_only: 0, failed: 0 });
    expect(report.staleShare!.share).to.equal(0);
    expect(report.staleShare!.lower).to.equal(0);
  });

  it('audit after the catalogue moved on 6 days: each sampled EAN judged as the API shows it, the interval holds the true stale share, and the real Prometheus alerts', async function () {
    await setClock(sandbox, addDays(START, 6));
    const stored = await copy();
    const wrong = notInSync(stored, truthNow());
    expect(wrong.size, 'the catalogue changed some EANs of the copy').to.be.greaterThan(5);
    const trueShare = wrong.size / stored.size;

    // Every document: the outcomes are exactly the EANs that differ.
    const census = await audit(100_000);
    const judged = new Map(census.findings.map((finding) => [finding.key, finding]));
    expect(census.sampled).to.equal(stored.size);
    for (const [ean] of stored) expect(judged.get(ean)!.outcome !== 'in_sync', `${ean}: ${JSON.stringify(judged.get(ean))}`).to.equal(wrong.has(ean));
    expect(census.outcomes.failed).to.equal(0);
    const stale = census.findings.filter((finding) => finding.outcome === 'stale');
    expect(stale.length).to.be.greaterThan(0);
    for (const finding of stale) expect(finding.fields, finding.key).to.include('article_datemodification');
    expect(census.staleShare!.share).to.be.closeTo(trueShare, 1e-9);
    expect(census.staleShare!.lower).to.be.at.most(trueShare);
    expect(census.staleShare!.upper).to.be.at.least(trueShare);

    // A sample: each sampled EAN judged right, whatever the draw (the interval's coverage is a unit test of its own).
    const sampled = await audit(80);
    expect(sampled.sampled).to.equal(80);
    expect(new Set(sampled.findings.map((finding) => finding.key)).size).to.equal(80);
    for (const finding of sampled.findings) expect(finding.outcome !== 'in_sync', finding.key).to.equal(wrong.has(finding.key));
    const files = await new LocalStorage(dataUrl).list('paper/_audits');
    expect(files.filter((file) => file.endsWith('.json'))).to.have.length(3);

    // As a pod runs it: the table, one audit_done line, exit 4 with --fail-on-stale when the share
    // is above the threshold, and what it pushes raises TiteliveEtlCopyStale in a real Prometheus.
    const stack = await startPrometheusStack(this, [], [ALERTS]);
    const copyStale = async () => {
      const response = (await (await fetch(`${stack.prometheusUrl}/api/v1/alerts`)).json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
      return response.data.alerts.find((alert) => alert.labels.alertname === 'TiteliveEtlCopyStale' && alert.labels.category === 'paper')?.state;
    };
    const env = { PUSHGATEWAY_URL: stack.pushgatewayUrl, MONGODB_URI: mongo.uri, TITELIVE_API_URL: sandbox.apiUrl, TITELIVE_LOGIN_URL: sandbox.loginUrl, TITELIVE_USERNAME: SANDBOX_USERNAME, TITELIVE_PASSWORD: SANDBOX_PASSWORD, LOG_FORMAT: 'json' };
    const args = ['audit', '--category', 'paper', '--data-url', dataUrl, '--database', database, '--sample', '100000'];
    const failing = await runCli([...args, '--fail-on-stale', '--max-stale-ratio', '0.001'], env);
    expect(failing.code, failing.stderr).to.equal(4);
    expect(failing.stdout).to.contain('ABOVE the threshold').and.contain('-not-in-sync.txt');
    const done = (failing.stdout + failing.stderr).split('\n').filter((line) => line.includes('"event":"audit_done"')).map((line) => JSON.parse(line) as Record<string, number>);
    expect(done).to.have.length(1);
    expect(done[0]).to.include({ sampled: stored.size, collectionSize: stored.size, failed: 0 });
    expect(done[0]!.stale! + done[0]!.deletedAtSource! + done[0]!.deletedInCopyOnly!).to.equal(wrong.size);
    try {
      await waitFor(async () => (await copyStale()) === 'pending', 'TiteliveEtlCopyStale pending', 30_000);
      const lenient = await runCli([...args, '--fail-on-stale', '--max-stale-ratio', '0.9'], env);
      expect(lenient.code, lenient.stderr).to.equal(0);
      expect(lenient.stdout).to.contain('within the threshold');
      await waitFor(async () => (await copyStale()) === undefined, 'TiteliveEtlCopyStale resolved under a higher threshold', 30_000);
    } finally {
      await stack.stop();
    }
    await setClock(sandbox, START);
  });

  it('refuses, with exit 2 and before any work, a list that is not there, a list with a window, a list with a repair, and an audit without MongoDB', async () => {
    const env = { TITELIVE_USERNAME: 'u', TITELIVE_PASSWORD: 'p', TITELIVE_API_URL: 'http://127.0.0.1:9/v1', TITELIVE_LOGIN_URL: 'http://127.0.0.1:9/v1/login' };
    const base = ['plan', '--category', 'paper', '--data-url', dataUrl, '--run-id', 'refused'];
    const missing = await runCli([...base, '--eans-from', path.join(dataUrl, 'no-such-list.csv')], env);
    expect(missing.code).to.equal(2);
    expect(missing.stdout + missing.stderr).to.contain('no-such-list.csv does not exist');
    const withWindow = await runCli([...base, '--eans-from', 'x.csv', '--min-modified-date', '2024-01-01'], env);
    expect(withWindow.code).to.equal(2);
    expect(withWindow.stdout + withWindow.stderr).to.contain('plans a list, not a window');
    const both = await runCli([...base, '--eans-from', 'x.csv', '--retry-failed-from', 'backfill-1'], env);
    expect(both.code).to.equal(2);
    const noRun = await runCli([...base, '--retry-failed-from', 'never-ran'], env);
    expect(noRun.code).to.equal(2);
    expect(noRun.stdout + noRun.stderr).to.contain('no plan of paper/never-ran');
    const audit = await runCli(['audit', '--category', 'paper', '--data-url', dataUrl], { ...env, MONGODB_URI: '' });
    expect(audit.code).to.equal(2);
    expect(audit.stdout + audit.stderr).to.contain('MongoDB connection string missing');
  });

  it('plan --eans-from --move-cursor: the run moves the cursor to its run date when it commits', async () => {
    const list = path.join(dataUrl, 'few.txt');
    await writeFile(list, `${truthNow().slice(0, 5).map((entry) => entry.ean).join('\n')}\n`);
    const runId = addDays(START, 1);
    const result = await runDay(sandbox, runId, { EANS_FROM: list, MOVE_CURSOR: 'true' }, options);
    expect(result.ok, JSON.stringify(result.failed)).to.equal(true);
    expect((await readCursor(new LocalStorage(dataUrl), 'paper'))?.end).to.equal(runId);
  });
});
