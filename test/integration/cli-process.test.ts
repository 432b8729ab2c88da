import { expect } from 'chai';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { readManifests } from '../../src/runtime/manifest.js';
import { readStageRows } from '../../src/runtime/part-io.js';
import { LocalStorage } from '../../src/runtime/storage/local-storage.js';
import { SANDBOX_PASSWORD, SANDBOX_USERNAME, Sandbox } from '../../src/sandbox/server.js';
import { runPlan } from '../../src/stages/plan.js';
import { runCli, startCli } from '../helpers/cli.js';
import { planConfig, quietContext, tempDir } from '../helpers/run-stages.js';
import { waitFor } from '../helpers/services.js';
import { STAGES } from '../../src/stage-table.js';

const window = { start: '2024-01-01', end: '2024-01-08' };

function sandboxEnv(sandbox: Sandbox, extra: Record<string, string> = {}): Record<string, string> {
  return { TITELIVE_API_URL: sandbox.apiUrl, TITELIVE_LOGIN_URL: sandbox.loginUrl, TITELIVE_USERNAME: SANDBOX_USERNAME, TITELIVE_PASSWORD: SANDBOX_PASSWORD, ...extra };
}

async function rawRows(dataUrl: string): Promise<string[]> {
  const storage = new LocalStorage(dataUrl);
  const rows: string[] = [];
  for await (const row of readStageRows(storage, await readManifests(storage, { dataset: 'paper', runId: window.end }, 'fetch'))) {
    rows.push(JSON.stringify([row.ean, row.status, row.data]));
  }
  return rows;
}

describe('the CLI as a process', function () {
  this.timeout(120_000);
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  });

  it('exits 2 before any work on bad configuration, naming the flag or variable', async () => {
    const badCategory = await runCli(['fetch', '--category', 'dvd', '--data-url', './x'], { TITELIVE_USERNAME: 'u', TITELIVE_PASSWORD: 'p' });
    expect(badCategory.code).to.equal(2);
    expect(badCategory.stderr).to.contain('--category').and.contain("'dvd'");
    const badShard = await runCli(['fetch', '--category', 'paper', '--data-url', './x'], { SHARD_COUNT: '2', JOB_COMPLETION_INDEX: '5', TITELIVE_USERNAME: 'u', TITELIVE_PASSWORD: 'p' });
    expect(badShard.code).to.equal(2);
    expect(badShard.stderr).to.contain('JOB_COMPLETION_INDEX');
    const badMirror = await runCli(['images', '--category', 'paper', '--data-url', './x', '--images-url', 's3://bucket/x']);
    expect(badMirror.code).to.equal(2);
    expect(badMirror.stderr).to.contain('--images-url').and.contain('s3://bucket/x');
    const badRatio = await runCli(['images', '--category', 'paper', '--data-url', './x', '--images-url', './m'], { MAX_FAILURE_RATIO: '2' });
    expect(badRatio.code).to.equal(2);
    expect(badRatio.stderr).to.contain('MAX_FAILURE_RATIO');
    const noMongo = await runCli(['load', '--category', 'paper', '--data-url', './x'], { MONGODB_URI: undefined });
    expect(noMongo.code).to.equal(2);
    expect(noMongo.stderr).to.contain('MONGODB_URI');
    const badMongo = await runCli(['load', '--category', 'paper', '--data-url', './x'], { MONGODB_URI: 'postgres://user:pw-secret@host/db' });
    expect(badMongo.code).to.equal(2);
    expect(badMongo.stderr).to.contain('MONGODB_URI').and.not.contain('pw-secret');
    const unknownFlag = await runCli(['plan', '--categroy', 'paper']);
    expect(unknownFlag.code).to.equal(2);
    expect(unknownFlag.stderr).to.contain('categroy');
  });

  it('exits 2 when Titelive refuses the credentials, without printing them', async () => {
    sandbox = new Sandbox({ products: 10, endDay: window.end });
    await sandbox.start();
    const dataUrl = await tempDir();
    const result = await runCli(['plan', '--category', 'paper', '--data-url', dataUrl, '--run-id', window.end, '--window-days', '1'], sandboxEnv(sandbox, { TITELIVE_PASSWORD: 'hunter2-secret' }));
    expect(result.code).to.equal(2);
    expect(result.stderr).to.contain('login refused').and.not.contain('hunter2-secret');
  });

  it('exits 3 when fetch starts before its plan, saying what to run', async () => {
    const result = await runCli(['fetch', '--category', 'paper', '--data-url', await tempDir(), '--run-id', '2024-01-08'], { TITELIVE_USERNAME: 'u', TITELIVE_PASSWORD: 'p' });
    expect(result.code).to.equal(3);
    expect(result.stderr).to.contain('upstream plan incomplete for paper/2024-01-08').and.contain('run plan first');
  });

  it('explains every command in --help', async () => {
    const help = await runCli(['--help']);
    expect(help.code).to.equal(0);
    for (const command of [...STAGES, 'verify', 'run-local', 'sandbox']) expect(help.stdout).to.contain(command);
    const fetchHelp = await runCli(['fetch', '--help']);
    for (const text of ['--shard-index', 'JOB_COMPLETION_INDEX', 'TITELIVE_RATE_LIMIT', 'PARALLELISM', '--limit']) expect(fetchHelp.stdout).to.contain(text);
    const imagesHelp = await runCli(['images', '--help']);
    for (const text of ['--images-url', 'IMAGES_URL', '--image-hosts', 'IMAGE_HOSTS', '--max-sockets', '--max-failure-ratio', '--gcs-thumb-base-path', '--input-parquet-path']) expect(imagesHelp.stdout).to.contain(text);
    const verifyHelp = await runCli(['verify', '--help']);
    for (const text of ['--category', '--run-id', '--data-url', 'exits 4']) expect(verifyHelp.stdout).to.contain(text);
    const badHosts = await runCli(['images', '--category', 'paper', '--data-url', './x', '--images-url', './m'], { IMAGE_HOSTS: 'ftp://files.example.com' });
    expect(badHosts.code).to.equal(2);
    expect(badHosts.stderr).to.contain('IMAGE_HOSTS: "ftp://files.example.com"');
    const loadHelp = await runCli(['load', '--help']);
    for (const text of ['--mongodb-uri', 'MONGODB_URI', '--database', '--collection', 'MONGODB_BATCH_SIZE']) expect(loadHelp.stdout).to.contain(text);
  });

  it('a fetch shard killed mid-run writes no manifest and no part; its rerun gives the same output as an uninterrupted run', async () => {
    sandbox = new Sandbox({ products: 300, endDay: window.end, days: 10, faults: { latencyMs: 150 } });
    await sandbox.start();
    const killedDir = await tempDir();
    const referenceDir = await tempDir();
    for (const dataUrl of [killedDir, referenceDir]) await runPlan(planConfig(sandbox, dataUrl, window), quietContext());
    const args = (dataUrl: string) => ['fetch', '--category', 'paper', '--run-id', window.end, '--data-url', dataUrl, '--batch-size', '5', '--concurrency', '1', '--rate-limit', '1000'];

    const lookupsBefore = sandbox.getStats().eanLookups;
    const killed = startCli(args(killedDir), sandboxEnv(sandbox));
    await waitFor(async () => sandbox!.getStats().eanLookups - lookupsBefore >= 5, 'five /ean calls');
    killed.child.kill('SIGTERM');
    const result = await killed.done;
    expect(result.code).to.equal(143);
    expect(result.stderr).to.contain('SIGTERM');
    const fetchFolder = path.join(killedDir, 'paper', window.end, 'fetch');
    const leftovers = await readdir(fetchFolder, { recursive: true }).catch(() => [] as string[]);
    expect(leftovers.filter((name) => name.endsWith('.parquet') || name.endsWith('.json'))).to.deep.equal([]);

    sandbox.faults.latencyMs = 0;
    const rerun = await runCli(args(killedDir), sandboxEnv(sandbox));
    expect(rerun.code, rerun.stderr).to.equal(0);
    const reference = await runCli(args(referenceDir), sandboxEnv(sandbox));
    expect(reference.code, reference.stderr).to.equal(0);
    const rows = await rawRows(killedDir);
    expect(rows.length).to.be.greaterThan(50);
    expect(rows).to.deep.equal(await rawRows(referenceDir));

    // A resumed stage (the pipeline sets SKIP_COMPLETE_SHARDS) does not redo a complete shard.
    const lookups = sandbox.getStats().eanLookups;
    const resumed = await runCli(args(killedDir), { ...sandboxEnv(sandbox), SKIP_COMPLETE_SHARDS: 'true' });
    expect(resumed.code, resumed.stderr).to.equal(0);
    expect(resumed.stdout + resumed.stderr).to.contain('already complete; skipped');
    expect(sandbox.getStats().eanLookups, 'no Titelive call').to.equal(lookups);
    const otherCount = await runCli([...args(killedDir), '--shard-count', '2', '--shard-index', '1', '--skip-complete-shards'], sandboxEnv(sandbox));
    expect(otherCount.code, 'a manifest for another shard count is not this shard').to.equal(0);
    expect(otherCount.stdout + otherCount.stderr).to.not.contain('already complete');
  });

  it('4 fetch workers sharing a budget of R requests/s never exceed R in any second and see no 429', async () => {
    const budget = 20;
    sandbox = new Sandbox({ products: 700, endDay: window.end, days: 10, faults: { rateLimit: budget } });
    await sandbox.start();
    const dataUrl = await tempDir();
    await runPlan(planConfig(sandbox, dataUrl, window, { titelive: { ...planConfig(sandbox, dataUrl, window).titelive, ratePerSecond: budget } }), quietContext());
    const workers = 4;
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: workers }, (_, index) =>
        runCli(['fetch', '--category', 'paper', '--run-id', window.end, '--data-url', dataUrl, '--batch-size', '8'], sandboxEnv(sandbox!, {
          TITELIVE_RATE_LIMIT: String(budget),
          PARALLELISM: String(workers),
          JOB_COMPLETION_INDEX: String(index),
          SHARD_COUNT: String(workers),
        })),
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    for (const result of results) expect(result.code, result.stderr).to.equal(0);
    const stats = sandbox.getStats();
    expect(stats.status429).to.equal(0);
    expect(stats.maxRequestsInAnySecond).to.be.at.most(budget);
    // The budget was used, not merely respected: the busiest second came close to it.
    expect(stats.maxRequestsInAnySecond).to.be.at.least(budget * 0.6);
    expect(stats.eanLookups).to.be.greaterThan(60);
    expect(seconds).to.be.greaterThan(stats.eanLookups / budget);
  });

  it('run-local runs every stage end to end against the embedded sandbox (load into a throwaway FerretDB) and says where the outputs are', async () => {
    const dataUrl = await tempDir();
    const result = await runCli(['run-local', '--category', 'LIVRE', '--window-days', '3', '--data-url', dataUrl, '--products', '800', '--shards', '3', '--run-id', '2024-01-08'], { MONGODB_URI: undefined, MONGODB_URI_FILE: undefined });
    expect(result.code, result.stderr).to.equal(0);
    // No MONGODB_URI: load goes into a throwaway FerretDB from tools/bin.
    expect(result.stderr).to.contain('"event":"ferretdb_started"');
    expect(result.stdout).to.match(/load\s+3 worker\(s\).*inserted \d+/);
    expect(result.stdout).to.contain('verify: every input is accounted for');
    expect(result.stdout).to.match(/plan\s+1 worker\(s\).*planned \d+/);
    expect(result.stdout).to.match(/fetch\s+3 worker\(s\).*found \d+/);
    expect(result.stdout).to.match(/parse\s+3 worker\(s\).*rows \d+/);
    expect(result.stdout).to.contain(path.join(dataUrl, 'paper', '2024-01-08'));
    const storage = new LocalStorage(dataUrl);
    const fetchManifests = await readManifests(storage, { dataset: 'paper', runId: '2024-01-08' }, 'fetch');
    expect(fetchManifests.map((manifest) => manifest.shardIndex)).to.deep.equal([0, 1, 2]);
    const planned = (await readManifests(storage, { dataset: 'paper', runId: '2024-01-08' }, 'plan'))[0]!.counts.planned;
    expect(fetchManifests.reduce((sum, manifest) => sum + manifest.counts.found! + manifest.counts.deleted!, 0)).to.equal(planned);
    const found = fetchManifests.reduce((sum, manifest) => sum + manifest.counts.found!, 0);
    const products = await readManifests(storage, { dataset: 'paper', runId: '2024-01-08' }, 'products');
    expect(products).to.have.length(3);
    expect(products.reduce((sum, manifest) => sum + manifest.counts.rows!, 0)).to.equal(found);
  });
});
