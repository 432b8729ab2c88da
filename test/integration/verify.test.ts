import { expect } from 'chai';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { unaccounted } from '../../src/runtime/accounting.js';
import { readManifests } from '../../src/runtime/manifest.js';
import { LocalStorage } from '../../src/runtime/storage/local-storage.js';
import { STAGES, STAGE_FOLDERS } from '../../src/stage-table.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/run-stages.js';
import { startMongo, type MongoServer } from '../helpers/services.js';

const runId = '2024-01-08';
const run = { dataset: 'paper', runId };

describe('accounting and verify', function () {
  this.timeout(180_000);
  let mongo: MongoServer;
  let dataUrl: string;
  let runLocal: Awaited<ReturnType<typeof runCli>>;
  const verify = () => runCli(['verify', '--category', 'paper', '--run-id', runId, '--data-url', dataUrl]);

  before(async function () {
    mongo = await startMongo(this);
    dataUrl = await tempDir('titelive-verify-');
    runLocal = await runCli(
      ['run-local', '--category', 'paper', '--run-id', runId, '--min-modified-date', '2024-01-01', '--max-modified-date', runId, '--data-url', dataUrl, '--products', '400', '--shards', '2'],
      { MONGODB_URI: mongo.uri, MONGODB_DATABASE: `verify_${process.pid}` },
    );
  });
  after(async () => {
    await mongo?.stop();
  });

  it('run-local ends with the reconciliation of every stage, plan to load', () => {
    expect(runLocal.code, runLocal.stderr.slice(-3000)).to.equal(0);
    const table = runLocal.stdout.slice(runLocal.stdout.indexOf('verify: paper run'));
    for (const stage of STAGES) expect(table, stage).to.match(new RegExp(`^${stage} +\\d/\\d +`, 'm'));
    expect(table).to.contain("in = plan's planned").and.contain("in = fetch's rows").and.contain("rows = parse's rows").and.contain("in = parse's rows + fetch's deleted");
    expect(table).to.contain('verify: every input is accounted for');
  });

  it('writes, in each shard manifest, in = Σ ended, and the chain from plan to load holds', async () => {
    const storage = new LocalStorage(dataUrl);
    const totals: Record<string, { in: number; ended: Record<string, number> }> = {};
    for (const stage of STAGES) {
      const manifests = await readManifests(storage, run, STAGE_FOLDERS[stage]);
      expect(manifests.length, stage).to.be.greaterThan(0);
      totals[stage] = { in: 0, ended: {} };
      for (const manifest of manifests) {
        expect(manifest.accounting.in, `${stage} shard ${manifest.shardIndex}`).to.be.greaterThan(0);
        expect(unaccounted(manifest.accounting), `${stage} shard ${manifest.shardIndex}`).to.equal(0);
        totals[stage]!.in += manifest.accounting.in;
        for (const [ending, count] of Object.entries(manifest.accounting.ended)) totals[stage]!.ended[ending] = (totals[stage]!.ended[ending] ?? 0) + count;
      }
    }
    expect(totals.fetch!.in).to.equal(totals.plan!.ended.planned);
    expect(totals.parse!.in).to.equal(totals.fetch!.in);
    expect(totals.load!.in).to.equal(totals.parse!.ended.written! + totals.fetch!.ended.deleted!);
    expect(totals.images!.in).to.equal(2 * totals.parse!.ended.written!);
  });

  it('verify passes on the run, then fails with the stage and the numbers when a manifest is edited', async () => {
    const clean = await verify();
    expect(clean.code, clean.stderr).to.equal(0);
    const manifestFile = path.join(dataUrl, 'paper', runId, 'fetch', '_shards', '00001.json');
    const original = await readFile(manifestFile, 'utf8');
    try {
      const manifest = JSON.parse(original) as { accounting: { in: number; ended: Record<string, number> } };
      manifest.accounting.in -= 2;
      manifest.accounting.ended.found! -= 2;
      await writeFile(manifestFile, JSON.stringify(manifest));
      const edited = await verify();
      expect(edited.code).to.equal(4);
      expect(edited.stdout).to.match(/^fetch +2\/2 .* FAILED$/m);
      expect(edited.stdout).to.match(/fetch: in ≠ plan's planned \+ carried: [\d,]+ vs [\d,]+ \(2 missing\)/);
      expect(edited.stdout).to.contain('fetch: shard 1: its parts hold');
      expect(edited.stderr).to.contain('verify paper/2024-01-08').and.contain("fetch: in ≠ plan's planned");

      manifest.accounting.in += 3;
      await writeFile(manifestFile, JSON.stringify(manifest));
      const unbalanced = await verify();
      expect(unbalanced.code).to.equal(4);
      expect(unbalanced.stdout).to.match(/fetch: shard 1: in [\d,]+ ≠ Σ ended [\d,]+ \(3 EANs unaccounted for\)/);
    } finally {
      await writeFile(manifestFile, original);
    }
  });

  it('verify fails, naming the part, when a stage output is removed', async () => {
    const part = path.join(dataUrl, 'paper', runId, 'images', 'part-00000-of-00002.parquet');
    const bytes = await readFile(part);
    await rm(part);
    try {
      const broken = await verify();
      expect(broken.code).to.equal(4);
      expect(broken.stdout).to.contain(`images: shard 0: its part ${part} is missing`);
    } finally {
      await writeFile(part, bytes);
    }
    expect((await verify()).code).to.equal(0);
  });

  it('verify of a run that does not exist exits 2, naming where it looked and the runs there are', async () => {
    const missing = await runCli(['verify', '--category', 'paper', '--run-id', 'nope', '--data-url', dataUrl]);
    expect(missing.code).to.equal(2);
    expect(missing.stdout).not.to.contain('every input is accounted for');
    expect(missing.stderr).to.contain(`paper run 'nope' has no stage in ${dataUrl}`).and.contain(`runs there: ${runId}`).and.contain('check --run-id and --data-url');
    const empty = await runCli(['verify', '--category', 'paper', '--run-id', runId, '--data-url', await tempDir()]);
    expect(empty.code).to.equal(2);
    expect(empty.stderr).to.contain('no run of paper at all');
  });

  it('verify fails when a stage is missing before one that ran', async () => {
    const folder = path.join(dataUrl, 'paper', runId, 'products', '_shards');
    const saved = await Promise.all(['00000.json', '00001.json'].map(async (name) => [name, await readFile(path.join(folder, name))] as const));
    for (const [name] of saved) await rm(path.join(folder, name));
    try {
      const broken = await verify();
      expect(broken.code).to.equal(4);
      expect(broken.stdout).to.contain('parse: not run, but load ran');
    } finally {
      for (const [name, bytes] of saved) await writeFile(path.join(folder, name), bytes);
    }
  });
});
