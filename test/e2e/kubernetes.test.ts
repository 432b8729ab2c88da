import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { writeManifest } from '../../src/runtime/manifest.js';
import { openStorage } from '../../src/runtime/storage/open-storage.js';
import { STAGE_FOLDERS, STAGES, type Stage } from '../../src/stage-table.js';
import { startCli } from '../helpers/cli.js';
import { json, startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { ROOT, waitFor } from '../helpers/services.js';

const CHART = path.join(ROOT, 'charts', 'titelive-etl');
const CI_VALUES = readdirSync(path.join(CHART, 'ci')).filter((name) => name.endsWith('-values.yaml')).sort();
/** The Prometheus Operator's CRDs are not installed on this control plane. */
const NO_CRDS = ['--set', 'metrics.podMonitor.enabled=false', '--set', 'prometheusRule.enabled=false'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API objects are read field by field
type Obj = Record<string, any>;

describe('Kubernetes control plane (real kube-apiserver, etcd, kube-controller-manager): chart, jobs, pipeline, RBAC', function () {
  this.timeout(240_000);
  let plane: ControlPlane;

  before(async function () {
    this.timeout(180_000);
    plane = await startControlPlane(this);
  });
  after(async () => plane?.stop());

  function ok(result: { status: number | null; stdout: string; stderr: string }, what: string): string {
    expect(result.status, `${what}: ${result.stderr}`).to.equal(0);
    return result.stdout;
  }

  it('helm install: every object of the chart accepted, with default values and with each ci/ values file', function () {
    CI_VALUES.forEach((file, index) => {
      const namespace = `install-${index}`;
      const output = ok(plane.helm(['install', 'titelive-etl', CHART, '-n', namespace, '--create-namespace', '-f', path.join(CHART, 'ci', file), ...NO_CRDS]), `helm install -f ${file}`);
      expect(output, `${file}: NOTES`).to.contain(`kubectl -n ${namespace} create job --from=cronjob/titelive-etl-`);
      const values = (parseYaml(readFileSync(path.join(CHART, 'ci', file), 'utf8')) ?? {}) as Obj;
      const categories = values.categories?.music?.enabled === false ? 1 : 2;
      const cronJobs = json<Obj>(plane.kubectl(['get', 'cronjobs', '-n', namespace, '-o', 'json'])).items as Obj[];
      // pipeline, audit and the five stage templates, per category.
      expect(cronJobs, file).to.have.length((6 + (values.audit?.enabled === false ? 0 : 1)) * categories);
      expect(cronJobs.map((cronJob) => cronJob.metadata.name), file).to.include('titelive-etl-paper-audit');
      expect(output, `${file}: NOTES say how to run an audit`).to.match(/create job --from=cronjob\/titelive-etl-[a-z]+-audit /);
      // Server-side defaulting happened: fields the templates never set are there.
      expect(cronJobs[0]!.spec.jobTemplate.spec.template.spec.terminationGracePeriodSeconds).to.equal(30);
    });
  });

  it('helm upgrade with values that change every template, then helm rollback, without deleting anything by hand', function () {
    ok(plane.helm(['install', 'titelive-etl', CHART, '-n', 'upgrade', '--create-namespace']), 'install');
    const changed = [
      '-f', path.join(CHART, 'ci', 'production-values.yaml'), ...NO_CRDS,
      '--set', 'timeZone=UTC', '--set', 'categories.paper.schedule=15 3 * * *', '--set', 'logLevel=debug',
      '--set', 'serviceAccount.annotations.team=catalog', '--set', 'grafanaDashboard.annotations.grafana_folder=Titelive',
    ];
    ok(plane.helm(['upgrade', 'titelive-etl', CHART, '-n', 'upgrade', ...changed]), 'upgrade');
    const fetch = json<Obj>(plane.kubectl(['get', 'cronjob', 'titelive-etl-paper-fetch', '-n', 'upgrade', '-o', 'json']));
    expect(fetch.spec.jobTemplate.spec.completions).to.equal(8);
    expect(fetch.spec.timeZone).to.equal('UTC');
    expect(json<Obj>(plane.kubectl(['get', 'networkpolicy', 'titelive-etl-egress', '-n', 'upgrade', '-o', 'json'])).spec.policyTypes).to.deep.equal(['Egress']);
    ok(plane.helm(['rollback', 'titelive-etl', '1', '-n', 'upgrade']), 'rollback');
    const back = json<Obj>(plane.kubectl(['get', 'cronjob', 'titelive-etl-paper-fetch', '-n', 'upgrade', '-o', 'json']));
    expect(back.spec.jobTemplate.spec.completions).to.equal(4);
    expect(back.spec.timeZone).to.equal('Europe/Paris');
    expect(plane.kubectl(['get', 'networkpolicy', 'titelive-etl-egress', '-n', 'upgrade']).status, 'the rollback removed what revision 1 did not have').to.not.equal(0);
    const history = ok(plane.helm(['history', 'titelive-etl', '-n', 'upgrade', '-o', 'json']), 'history');
    expect((JSON.parse(history) as Obj[]).map((revision) => revision.status)).to.deep.equal(['superseded', 'superseded', 'deployed']);
  });

  it('kubectl create job --from=cronjob/<release>-paper-fetch makes an Indexed Job: shards, env, security, service account, indexed pods', async function () {
    ok(plane.helm(['install', 'titelive-etl', CHART, '-n', 'manual', '--create-namespace', '--set', 'stages.fetch.shards=3', '--set', 'stages.fetch.parallelism=2']), 'install');
    ok(plane.kubectl(['create', 'job', '--from=cronjob/titelive-etl-paper-fetch', 'manual-1', '-n', 'manual']), 'create job --from');
    const job = json<Obj>(plane.kubectl(['get', 'job', 'manual-1', '-n', 'manual', '-o', 'json']));
    expect(job.spec).to.include({ completionMode: 'Indexed', completions: 3, parallelism: 2, backoffLimitPerIndex: 3 });
    const pod = job.spec.template.spec;
    const env = Object.fromEntries((pod.containers[0].env as Obj[]).map((variable) => [variable.name, variable.value]));
    expect(env).to.include({ SHARD_COUNT: '3', CATEGORY: 'paper', PARALLELISM: '4' });
    expect(env, 'no RUN_ID: the stage picks today\'s run').to.not.have.property('RUN_ID');
    expect(pod.serviceAccountName).to.equal('titelive-etl');
    expect(pod.automountServiceAccountToken).to.equal(false);
    expect(pod.securityContext).to.deep.include({ runAsNonRoot: true });
    expect(pod.containers[0].securityContext).to.deep.include({ readOnlyRootFilesystem: true });
    // The Job controller made one pod per index, two at a time, each told its index.
    await waitFor(async () => podsOf('manual', 'manual-1').length === 2, 'two indexed pods', 30_000);
    const indexes = podsOf('manual', 'manual-1').map((item) => item.metadata.annotations['batch.kubernetes.io/job-completion-index']).sort();
    expect(indexes).to.deep.equal(['0', '1']);
    const podEnv = (podsOf('manual', 'manual-1')[0]!.spec.containers[0].env as Obj[]).map((variable) => variable.name);
    expect(podEnv).to.include('JOB_COMPLETION_INDEX');
  });

  it('RBAC: the pipeline ServiceAccount can do what the orchestrator needs and nothing more; stage pods can do nothing', function () {
    const pipeline = 'system:serviceaccount:manual:titelive-etl-pipeline';
    const stage = 'system:serviceaccount:manual:titelive-etl';
    const canI = (as: string, ...args: string[]) => plane.kubectl(['auth', 'can-i', ...args, ...(args.includes('-n') ? [] : ['-n', 'manual']), `--as=${as}`]).stdout.trim();
    for (const allowed of [['get', 'cronjob/titelive-etl-paper-fetch'], ['get', 'cronjob/titelive-etl-music-load'], ['create', 'jobs'], ['get', 'jobs'], ['list', 'jobs']]) {
      expect(canI(pipeline, ...allowed), allowed.join(' ')).to.equal('yes');
    }
    for (const refused of [
      ['get', 'cronjob/titelive-etl-paper-pipeline'], ['list', 'cronjobs'], ['create', 'cronjobs'], ['delete', 'jobs'], ['patch', 'jobs'],
      ['update', 'jobs/status'], ['create', 'pods'], ['get', 'secrets'], ['get', 'configmaps'], ['create', 'jobs', '-n', 'default'],
    ]) {
      expect(canI(pipeline, ...refused), refused.join(' ')).to.equal('no');
    }
    for (const refused of [['create', 'jobs'], ['get', 'cronjob/titelive-etl-paper-fetch'], ['list', 'pods']]) {
      expect(canI(stage, ...refused), `stage ${refused.join(' ')}`).to.equal('no');
    }
  });

  it('pipeline: stage Jobs in order from the templates with owner references; a failure stops it with the promised message; a rerun resumes; deleting the pipeline Job deletes them', async function () {
    this.timeout(300_000);
    const namespace = 'pipe';
    const runId = '2026-11-20';
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pipeline-data-'));
    ok(plane.helm(['install', 'titelive-etl', CHART, '-n', namespace, '--create-namespace', '--set', `dataUrl=${dataDir}`, '--set', 'categories.music.enabled=false', '--set', 'stages.fetch.shards=2', '--set', 'stages.images.shards=3']), 'install');
    // The pipeline's own Job (its pod never runs here: the test runs the command with its ServiceAccount's token).
    ok(plane.kubectl(['create', 'job', '--from=cronjob/titelive-etl-paper-pipeline', 'pipeline-1', '-n', namespace]), 'pipeline job');
    const kubeconfig = await serviceAccountKubeconfig(plane, namespace, 'titelive-etl-pipeline');
    const args = ['pipeline', '--category', 'paper', '--run-id', runId, '--data-url', dataDir, '--namespace', namespace, '--release', 'titelive-etl', '--owner-job', 'pipeline-1', '--poll-interval-ms', '200'];
    const storage = openStorage(dataDir);

    /** Plays the kubelet: writes the stage's shard manifests and ends its pods (one with exit 2 when told). */
    const kubelet = async (stage: Stage, failIndex?: number): Promise<Obj> => {
      let job: Obj | undefined;
      await waitFor(async () => {
        const jobs = json<Obj>(plane.kubectl(['get', 'jobs', '-n', namespace, '-l', `titelive-etl/stage=${stage},titelive-etl/run=20261120`, '-o', 'json'])).items as Obj[];
        job = jobs.find((item) => !(item.status.conditions ?? []).some((condition: Obj) => ['Complete', 'Failed'].includes(condition.type)));
        return job !== undefined && podsOf(namespace, job.metadata.name).length === Math.min(job.spec.parallelism ?? 1, job.spec.completions ?? 1);
      }, `a running ${stage} Job with its pods`, 60_000);
      const name = job!.metadata.name as string;
      const count = job!.spec.completions as number;
      const indexOf = (pod: Obj) => Number(pod.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] ?? 0);
      // The failing pod goes last: FailJob makes the Job controller delete the pods still running.
      const pods = podsOf(namespace, name).sort((a, b) => Number(indexOf(a) === failIndex) - Number(indexOf(b) === failIndex));
      for (const pod of pods) {
        const index = indexOf(pod);
        const exitCode = index === failIndex ? 2 : 0;
        if (exitCode === 0) {
          await writeManifest(storage, { stage: STAGE_FOLDERS[stage], dataset: 'paper', runId, shardIndex: index, shardCount: count, inputs: [], outputs: [], counts: { done: 1 }, accounting: { unit: 'items', in: 0, ended: {}, names: {} }, anomalies: [], details: {}, startedAt: new Date() });
        }
        endPod(plane, namespace, pod, exitCode);
      }
      return job!;
    };

    // First run: plan, fetch, parse succeed; images fails on shard 1 with a configuration error.
    const first = startCli(args, { KUBECONFIG: kubeconfig });
    const jobs: Obj[] = [];
    for (const stage of ['plan', 'fetch', 'parse'] as const) jobs.push(await kubelet(stage));
    jobs.push(await kubelet('images', 1));
    const failed = await first.done;
    expect(failed.code, failed.stderr + failed.stdout).to.equal(1);
    const message = failed.stdout + failed.stderr;
    expect(message).to.contain('stopped at images: Job titelive-etl-paper-images-20261120-1 failed');
    expect(message).to.contain(`kubectl -n ${namespace} describe job/titelive-etl-paper-images-20261120-1`);
    expect(message).to.contain(`kubectl -n ${namespace} create job --from=cronjob/titelive-etl-paper-pipeline`);
    expect(jobs.map((job) => job.metadata.name)).to.deep.equal(['plan', 'fetch', 'parse', 'images'].map((stage) => `titelive-etl-paper-${stage}-20261120-1`));
    const owner = json<Obj>(plane.kubectl(['get', 'job', 'pipeline-1', '-n', namespace, '-o', 'json']));
    for (const job of jobs) {
      expect(job.metadata.ownerReferences).to.deep.equal([{ apiVersion: 'batch/v1', kind: 'Job', name: 'pipeline-1', uid: owner.metadata.uid, controller: true }]);
      expect(job.metadata.annotations).to.include({ 'cronjob.kubernetes.io/instantiate': 'manual', 'titelive-etl/run-id': runId });
      const env = Object.fromEntries((job.spec.template.spec.containers[0].env as Obj[]).map((variable) => [variable.name, variable.value]));
      expect(env).to.include({ RUN_ID: runId, SKIP_COMPLETE_SHARDS: 'true' });
    }
    expect(jobs[1]!.spec).to.include({ completionMode: 'Indexed', completions: 2 });

    // The rerun skips the complete stages and starts images again as attempt 2, then load.
    const second = startCli(args, { KUBECONFIG: kubeconfig });
    const images = await kubelet('images');
    const load = await kubelet('load');
    const resumed = await second.done;
    expect(resumed.code, resumed.stderr + resumed.stdout).to.equal(0);
    expect(images.metadata.name).to.equal('titelive-etl-paper-images-20261120-2');
    expect(load.metadata.name).to.equal('titelive-etl-paper-load-20261120-1');
    const log = resumed.stdout + resumed.stderr;
    for (const stage of ['plan', 'fetch', 'parse']) expect(log).to.contain(`${stage} already complete, skipped`);
    expect(log).to.contain('every stage complete');
    expect(log, 'the pipeline verifies the run last').to.contain('verify: every input is accounted for');

    // A third run has nothing to do.
    const third = await startCli(args, { KUBECONFIG: kubeconfig }).done;
    expect(third.code).to.equal(0);
    for (const stage of STAGES) expect(third.stdout + third.stderr).to.contain(`${stage} already complete, skipped`);

    // Deleting the pipeline Job deletes the stage Jobs it owns (the garbage collector).
    ok(plane.kubectl(['delete', 'job', 'pipeline-1', '-n', namespace, '--cascade=background']), 'delete');
    await waitFor(async () => (json<Obj>(plane.kubectl(['get', 'jobs', '-n', namespace, '-o', 'json'])).items as Obj[]).length === 0, 'the stage Jobs to be garbage-collected', 60_000);
  });

  it('pipeline: names a missing template and exits 2 when the release is wrong', async function () {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pipeline-data-'));
    const kubeconfig = await serviceAccountKubeconfig(plane, 'pipe', 'titelive-etl-pipeline');
    const result = await startCli(['pipeline', '--category', 'paper', '--run-id', '2026-11-21', '--data-url', dataDir, '--namespace', 'pipe', '--release', 'other'], { KUBECONFIG: kubeconfig }).done;
    expect(result.code).to.equal(2);
    // The Role names the release's templates, so another name is refused before it is looked up.
    expect(result.stdout + result.stderr).to.match(/get cronjob other-paper-plan in namespace pipe on \S+: forbidden .*check --release and --namespace/);
  });

  function podsOf(namespace: string, job: string): Obj[] {
    return json<Obj>(plane.kubectl(['get', 'pods', '-n', namespace, '-l', `batch.kubernetes.io/job-name=${job}`, '-o', 'json'])).items as Obj[];
  }
});

/** Ends a pod as a kubelet would: its container terminated with the exit code, the phase set. */
function endPod(plane: ControlPlane, namespace: string, pod: Obj, exitCode: number): void {
  const container = pod.spec.containers[0].name as string;
  const now = new Date().toISOString();
  const status = {
    phase: exitCode === 0 ? 'Succeeded' : 'Failed',
    containerStatuses: [{ name: container, image: pod.spec.containers[0].image, imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: now, finishedAt: now } } }],
  };
  const result = plane.kubectl(['patch', 'pod', pod.metadata.name, '-n', namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  expect(result.status, result.stderr).to.equal(0);
}

/** A kubeconfig that authenticates as a ServiceAccount (a TokenRequest token), as the pipeline pod does. */
async function serviceAccountKubeconfig(plane: ControlPlane, namespace: string, account: string): Promise<string> {
  const token = plane.kubectl(['create', 'token', account, '-n', namespace, '--duration=1h']);
  expect(token.status, token.stderr).to.equal(0);
  const admin = parseYaml(readFileSync(plane.kubeconfig, 'utf8')) as Obj;
  const config = { ...admin, users: [{ name: account, user: { token: token.stdout.trim() } }], contexts: [{ name: 'sa', context: { cluster: admin.clusters[0].name, user: account, namespace } }], 'current-context': 'sa' };
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'sa-kubeconfig-')), 'kubeconfig');
  await writeFile(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}
