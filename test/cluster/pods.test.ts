import { expect } from 'chai';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { readManifests } from '../../src/runtime/manifest.js';
import { readStageRows } from '../../src/runtime/part-io.js';
import { createGcsClient } from '../../src/runtime/storage/gcs-storage.js';
import { openStorage } from '../../src/runtime/storage/open-storage.js';
import { SANDBOX_PASSWORD, SANDBOX_USERNAME, Sandbox } from '../../src/sandbox/server.js';
import { reconcileRun } from '../../src/stages/verify.js';
import { articlesOf, eanOf } from '../../src/titelive/response-shapes.js';
import { containerCliProcesses, startCluster, type Cluster, type ContainerProcess } from '../helpers/cluster.js';
import { json } from '../helpers/control-plane.js';
import { startFakeGcs, startMongo, startPrometheusStack, waitFor, type FakeGcs, type MongoServer, type PrometheusStack } from '../helpers/services.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CHART = path.resolve(import.meta.dirname, '../../charts/titelive-etl');
const namespace = 'etl';
const bucket = 'titelive-cluster';
const runId = new Date().toISOString().slice(0, 10);
const run = { dataset: 'paper', runId };
const SHARDED = ['fetch', 'parse', 'images', 'load'] as const;

describe('real pods on a kubelet: the chart, the image, the pipeline (npm run test:cluster)', function () {
  this.timeout(1_200_000);
  let cluster: Cluster;
  let gcs: FakeGcs;
  let mongo: MongoServer;
  let stack: PrometheusStack;
  let sandbox: Sandbox;
  let valuesFile: string;
  let previousHost: string | undefined;
  /** Every CLI process seen in a container while the pods ran. */
  const seen = new Map<number, ContainerProcess>();
  let watcher: NodeJS.Timeout | undefined;
  const database = 'titelive_cluster';
  const kubectl = (args: string[], input?: string) => cluster.kubectl([...args, '-n', namespace], input);
  const ok = (result: { status: number | null; stderr: string; stdout: string }, what: string) => {
    expect(result.status, `${what}: ${result.stderr}${result.stdout}`).to.equal(0);
    return result.stdout;
  };

  /** Waits for a Job to end; its final object. */
  async function jobEnds(name: string, timeoutMs = 600_000): Promise<Obj> {
    let job: Obj = {};
    await waitFor(async () => {
      job = json<Obj>(kubectl(['get', 'job', name, '-o', 'json']));
      return (job.status?.conditions ?? []).some((condition: Obj) => ['Complete', 'Failed'].includes(condition.type) && condition.status === 'True');
    }, `Job ${name} to end`, timeoutMs);
    return job;
  }

  const stageJobs = (): Obj[] => (json<Obj>(kubectl(['get', 'jobs', '-l', 'titelive-etl/stage', '-o', 'json'])).items as Obj[]);
  const logsOf = (job: string) => (json<Obj>(kubectl(['get', 'pods', '-l', `job-name=${job}`, '-o', 'json'])).items as Obj[]).map((pod) => cluster.podLogs(namespace, pod.metadata.name)).join('\n');

  before(async function () {
    gcs = await startFakeGcs(this);
    previousHost = process.env.STORAGE_EMULATOR_HOST;
    process.env.STORAGE_EMULATOR_HOST = `http://${gcs.host}`;
    await (await createGcsClient()).createBucket(bucket);
    mongo = await startMongo(this);
    stack = await startPrometheusStack(this, [], []);
    // Slow enough that a fetch pod is caught running; a deterministic catalogue to check against.
    sandbox = new Sandbox({ products: 400, endDay: runId, days: 10, faults: { latencyMs: 40, rateLimit: 200 } });
    await sandbox.start();
    cluster = await startCluster(this);
    ok(cluster.kubectl(['create', 'namespace', namespace]), 'namespace');
    ok(kubectl(['create', 'secret', 'generic', 'titelive-credentials', `--from-literal=username=${SANDBOX_USERNAME}`, `--from-literal=password=${SANDBOX_PASSWORD}`]), 'credentials');
    ok(kubectl(['create', 'secret', 'generic', 'titelive-mongodb', `--from-literal=uri=${mongo.uri}`]), 'mongodb secret');
    const small = { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '768Mi' } };
    const sharded = { shards: 2, parallelism: 2, backoffLimitPerIndex: 2, resources: small };
    const values = {
      image: { repository: 'localhost/titelive-etl', tag: 'test', pullPolicy: 'Never' },
      hostNetwork: true,
      timeZone: 'UTC',
      dataUrl: `gs://${bucket}/runs`,
      imagesUrl: `gs://${bucket}/images/titelive`,
      imageHosts: new URL(sandbox.url).origin,
      categories: { paper: { windowDays: 7 }, music: { enabled: false } },
      titelive: { apiUrl: sandbox.apiUrl, loginUrl: sandbox.loginUrl, rateLimit: 100 },
      mongodb: { database },
      metrics: { enabled: false, pushgatewayUrl: stack.pushgatewayUrl },
      pipeline: { pollIntervalMs: 1000, resources: small },
      stages: { plan: { resources: small }, fetch: sharded, parse: { ...sharded, workers: 1 }, images: sharded, load: sharded },
      // Run by hand below, never by its schedule during the test.
      audit: { suspend: true, resources: small },
      extraEnv: [
        { name: 'STORAGE_EMULATOR_HOST', value: `http://${gcs.host}` },
        // No kube-proxy on this node: the pipeline pod reaches the API server on loopback.
        { name: 'KUBERNETES_SERVICE_HOST', value: '127.0.0.1' },
        { name: 'KUBERNETES_SERVICE_PORT', value: String(cluster.apiPort) },
      ],
    };
    valuesFile = path.join(await mkdtemp(path.join(tmpdir(), 'cluster-values-')), 'values.yaml');
    await writeFile(valuesFile, JSON.stringify(values));
    ok(cluster.helm(['install', 'titelive-etl', CHART, '-n', namespace, '-f', valuesFile, '--wait', '--timeout', '2m']), 'helm install');
    watcher = setInterval(() => {
      for (const process of containerCliProcesses()) seen.set(process.pid, process);
    }, 100);
  });

  after(async () => {
    if (watcher) clearInterval(watcher);
    await cluster?.stop();
    await sandbox?.stop();
    await stack?.stop();
    await mongo?.stop();
    if (previousHost === undefined) delete process.env.STORAGE_EMULATOR_HOST;
    else process.env.STORAGE_EMULATOR_HOST = previousHost;
    await gcs?.stop();
  });

  it('kubectl create job --from=cronjob/…-paper-pipeline runs plan → fetch → parse → images → load as real pods, and the run adds up', async () => {
    const started = Date.now();
    ok(kubectl(['create', 'job', '--from=cronjob/titelive-etl-paper-pipeline', 'pipeline-1']), 'create the pipeline job');
    const pipeline = await jobEnds('pipeline-1');
    const log = logsOf('pipeline-1');
    expect(pipeline.status.succeeded, log).to.equal(1);
    expect(log).to.contain('verify: every input is accounted for');
    const seconds = (Date.now() - started) / 1000;

    const jobs = stageJobs();
    const byStage = new Map(jobs.map((job) => [job.metadata.labels['titelive-etl/stage'] as string, job]));
    expect([...byStage.keys()].sort()).to.deep.equal(['fetch', 'images', 'load', 'parse', 'plan']);
    for (const stage of SHARDED) {
      expect(byStage.get(stage)!.spec, stage).to.include({ completionMode: 'Indexed', completions: 2 });
      expect(byStage.get(stage)!.status.succeeded, stage).to.equal(2);
    }
    // Stage times as real pods, from the Jobs' own status.
    const times = ['plan', ...SHARDED].map((stage) => {
      const job = byStage.get(stage)!;
      return `${stage} ${((Date.parse(job.status.completionTime) - Date.parse(job.status.startTime)) / 1000).toFixed(0)} s`;
    });
    process.stdout.write(`      pipeline ${seconds.toFixed(0)} s as real pods: ${times.join(', ')}\n`);

    const storage = openStorage(`gs://${bucket}/runs`);
    const reconciliation = await reconcileRun(storage, run);
    expect(reconciliation.ok, JSON.stringify(reconciliation.stages.map((stage) => stage.checks))).to.equal(true);
    // The plan holds the catalogue's EANs of the window, and MongoDB one document per parsed EAN.
    const planned: string[] = [];
    for await (const row of readStageRows(storage, await readManifests(storage, run, 'plan'), { columns: ['ean'] })) planned.push(String(row.ean));
    const catalogue = new Set(Array.from({ length: 400 }, (_, index) => articlesOf(sandbox.catalog.product('paper', index)).map((article) => eanOf(article))).flat());
    expect(planned.length).to.be.greaterThan(100);
    for (const ean of planned) expect(catalogue.has(ean), ean).to.equal(true);
    const products = await readManifests(storage, run, 'products');
    const written = products.reduce((sum, manifest) => sum + manifest.accounting.ended.written!, 0);
    const client = await MongoClient.connect(mongo.uri);
    try {
      const active = await client.db(database).collection('products').countDocuments({ status: 'active' });
      expect(active).to.equal(written);
    } finally {
      await client.close();
    }
    // Each stage's metrics, for both shards of the sharded ones, in the Pushgateway.
    const pushed = await (await fetch(`${stack.pushgatewayUrl}/metrics`)).text();
    for (const stage of ['plan', ...SHARDED]) expect(pushed, stage).to.match(new RegExp(`titelive_etl_stage_exit_code\\{[^}]*stage="${stage}"[^}]*\\} 0`));
    for (const shard of ['0', '1']) expect(pushed).to.match(new RegExp(`titelive_etl_stage_exit_code\\{[^}]*shard="${shard}"[^}]*stage="fetch"`));
  });

  it('the pods ran as uid 1000 on a read-only root filesystem (read from the containers\' processes)', () => {
    const processes = [...seen.values()];
    const stages = new Set(processes.map((process) => process.args[process.args.indexOf('/app/dist/cli.js') + 1]));
    expect([...stages].sort(), 'processes caught running').to.include.members(['fetch', 'pipeline']);
    for (const process of processes) {
      expect(process.uid, process.args.join(' ')).to.equal(1000);
      expect(process.gid).to.equal(1000);
      expect(process.rootReadOnly, process.args.join(' ')).to.equal(true);
    }
    const shards = new Set(processes.filter((process) => process.args.includes('fetch')).map((process) => process.env.JOB_COMPLETION_INDEX));
    expect([...shards].sort(), 'each fetch pod got its completion index').to.deep.equal(['0', '1']);
  });

  it('a fetch pod killed mid-shard is retried by the Job and the outputs are those of the undisturbed run', async () => {
    const storage = openStorage(`gs://${bucket}/runs`);
    const rowsOfFetch = async () => {
      const rows: string[] = [];
      for await (const row of readStageRows(storage, await readManifests(storage, run, 'fetch'), { columns: ['ean', 'status', 'data'] })) rows.push(`${row.ean} ${row.status} ${row.data}`);
      return rows.sort();
    };
    const before = await rowsOfFetch();
    // Each API answer takes 1.5 s: a kill 1 s after the pod starts lands mid-shard.
    sandbox.faults = { ...sandbox.faults, latencyMs: 1_500 };
    ok(kubectl(['create', 'job', '--from=cronjob/titelive-etl-paper-fetch', 'fetch-killed']), 'create fetch job');
    let victim: ContainerProcess | undefined;
    await waitFor(async () => {
      victim = containerCliProcesses().find((process) => process.args.includes('fetch') && process.env.JOB_COMPLETION_INDEX === '0');
      return victim !== undefined;
    }, 'fetch shard 0 running', 120_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    process.kill(victim!.pid, 'SIGKILL');
    const killedAt = Date.now();
    sandbox.faults = { ...sandbox.faults, latencyMs: 40 };
    const job = await jobEnds('fetch-killed');
    expect(job.status.succeeded).to.equal(2);
    expect(job.status.failed, 'the killed pod counted as a failure').to.be.at.least(1);
    const pods = json<Obj>(kubectl(['get', 'pods', '-l', 'job-name=fetch-killed', '-o', 'json'])).items as Obj[];
    const indexZero = pods.filter((pod) => pod.metadata.annotations['batch.kubernetes.io/job-completion-index'] === '0');
    expect(indexZero.length, 'index 0 ran twice').to.be.at.least(2);
    expect(await rowsOfFetch()).to.deep.equal(before);
    const shardZero = (await readManifests(storage, run, 'fetch')).find((manifest) => manifest.shardIndex === 0)!;
    expect(Date.parse(shardZero.startedAt), 'shard 0 was written by the retried pod, not the killed one').to.be.greaterThan(killedAt);
    expect((await reconcileRun(storage, run)).ok).to.equal(true);
  });

  it('kubectl create job --from=cronjob/…-paper-images reruns one stage and downloads no cover again', async () => {
    const downloads = sandbox.getStats().images;
    ok(kubectl(['create', 'job', '--from=cronjob/titelive-etl-paper-images', 'images-again']), 'create images job');
    const job = await jobEnds('images-again');
    expect(job.status.succeeded).to.equal(2);
    expect(sandbox.getStats().images, 'covers downloaded by the rerun').to.equal(downloads);
    const manifests = await readManifests(openStorage(`gs://${bucket}/runs`), run, 'images');
    const counts = manifests.reduce<Record<string, number>>((sum, manifest) => {
      for (const [key, value] of Object.entries(manifest.counts)) sum[key] = (sum[key] ?? 0) + value;
      return sum;
    }, {});
    expect(counts.uploaded).to.equal(0);
    expect(counts.already_present).to.be.greaterThan(0);
  });

  it('kubectl create job --from=cronjob/…-paper-audit runs one audit pod: the copy in sync, its report in the bucket, the stale share pushed', async () => {
    ok(kubectl(['create', 'job', '--from=cronjob/titelive-etl-paper-audit', 'audit-1']), 'create the audit job');
    const job = await jobEnds('audit-1');
    const log = logsOf('audit-1');
    expect(job.status.succeeded, log).to.equal(1);
    const done = log.split('\n').filter((line) => line.includes('"event":"audit_done"')).map((line) => JSON.parse(line.slice(line.indexOf('{'))) as Record<string, number>);
    expect(done, log).to.have.length(1);
    const client = await MongoClient.connect(mongo.uri);
    let documents: number;
    try {
      documents = await client.db(database).collection('products').countDocuments({ category: 'paper' });
    } finally {
      await client.close();
    }
    // The sandbox's catalogue does not change: every sampled document is what load would write now.
    expect(done[0]).to.include({ sampled: Math.min(documents, 1_000), collectionSize: documents, stale: 0, deletedAtSource: 0, deletedInCopyOnly: 0, failed: 0, staleRatio: 0 });
    expect(log).to.contain('in_sync').and.contain('within the threshold');
    const reports = (await openStorage(`gs://${bucket}/runs`).list('paper/_audits')).filter((file) => file.endsWith('.json'));
    expect(reports).to.have.length(1);
    const pushed = await (await fetch(`${stack.pushgatewayUrl}/metrics`)).text();
    expect(pushed).to.match(/titelive_etl_audit_stale_ratio\{[^}]*category="paper"[^}]*\} 0/);
    expect(pushed).to.match(/titelive_etl_audit_items\{[^}]*outcome="in_sync"[^}]*\} [1-9]/);
  });

  it('helm upgrade to other shard counts runs with them; helm rollback restores the previous ones', async () => {
    ok(cluster.helm(['upgrade', 'titelive-etl', CHART, '-n', namespace, '-f', valuesFile, '--set', 'stages.parse.shards=3', '--set', 'stages.parse.parallelism=3', '--wait']), 'helm upgrade');
    const template = json<Obj>(kubectl(['get', 'cronjob', 'titelive-etl-paper-parse', '-o', 'json']));
    expect(template.spec.jobTemplate.spec.completions).to.equal(3);
    ok(kubectl(['create', 'job', '--from=cronjob/titelive-etl-paper-parse', 'parse-3']), 'create parse job');
    const job = await jobEnds('parse-3');
    expect(job.status.succeeded).to.equal(3);
    const manifests = await readManifests(openStorage(`gs://${bucket}/runs`), run, 'products');
    expect(manifests.map((manifest) => manifest.shardCount)).to.deep.equal([3, 3, 3]);
    ok(cluster.helm(['rollback', 'titelive-etl', '1', '-n', namespace, '--wait']), 'helm rollback');
    const rolledBack = json<Obj>(kubectl(['get', 'cronjob', 'titelive-etl-paper-parse', '-o', 'json']));
    expect(rolledBack.spec.jobTemplate.spec.completions).to.equal(2);
    const pods = json<Obj>(kubectl(['get', 'pods', '-o', 'json'])).items as Obj[];
    const byJob = new Map<string, number>();
    for (const pod of pods) byJob.set(pod.metadata.labels['job-name'], (byJob.get(pod.metadata.labels['job-name']) ?? 0) + 1);
    process.stdout.write(`      ${pods.length} pods ran: ${[...byJob].map(([job, count]) => `${job} ${count}`).join(', ')}\n`);
  });
});
