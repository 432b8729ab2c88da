import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { OPTIONS, type OptionSpec } from '../../src/options.js';
import { defaultOf } from '../../src/option-values.js';
import { STAGES, STAGE_TABLE } from '../../src/stage-table.js';
import { KubeOpenApi } from '../helpers/kube-openapi.js';
import { ROOT, TOOLS_BIN, requireService } from '../helpers/services.js';

const CHART = path.join(ROOT, 'charts', 'titelive-etl');
function helm(context: Mocha.Context, args: string[]) {
  const binary = path.join(TOOLS_BIN, 'helm');
  if (!existsSync(binary)) requireService(context, 'helm (tools/bin/helm)');
  return spawnSync(binary, args, { encoding: 'utf8', env: { ...process.env, HELM_CACHE_HOME: path.join(tmpdir(), 'helm-cache'), HELM_CONFIG_HOME: path.join(tmpdir(), 'helm-config') } });
}

/** One rendered document (by kind) of `helm template` output. */
function documentOf(rendered: string, kind: string, nameSuffix = ''): string {
  const document = rendered.split(/^---$/m).find((text) => new RegExp(`^kind: ${kind}$`, 'm').test(text) && new RegExp(`^  name: \\S*${nameSuffix}$`, 'm').test(text));
  expect(document, `a ${kind} in the rendered chart`).to.be.a('string');
  return document!;
}

describe('Helm chart: observability resources (real helm, promtool)', function () {
  this.timeout(60_000);

  it('the helm of the tools script says its version and targets Kubernetes 1.31, so helm template needs no --kube-version', function () {
    const version = helm(this, ['version', '--template', '{{ .Version }}']);
    expect(version.stdout).to.equal('v3.16.4');
    // The chart requires kubeVersion >= 1.29: a helm that defaults to 1.20 refuses to render it.
    const rendered = helm(this, ['template', 'x', CHART, '--show-only', 'templates/configmap.yaml']);
    expect(rendered.status, rendered.stderr).to.equal(0);
  });

  it('passes helm lint --strict, with the defaults and with the rules on', function () {
    for (const extra of [[], ['--set', 'prometheusRule.enabled=true']]) {
      const result = helm(this, ['lint', '--strict', CHART, ...extra]);
      expect(result.status, result.stdout + result.stderr).to.equal(0);
    }
  });

  it('ships the dashboard in a ConfigMap labelled for the Grafana sidecar (label configurable)', function () {
    const defaults = helm(this, ['template', 'etl', CHART]);
    expect(defaults.status, defaults.stderr).to.equal(0);
    const configMap = documentOf(defaults.stdout, 'ConfigMap', '-dashboard');
    expect(configMap).to.match(/^\s+grafana_dashboard: "1"$/m);
    expect(configMap).to.match(/app\.kubernetes\.io\/instance: etl/);
    const json = configMap.split('titelive-etl.json: |-\n')[1]!.split('\n').map((line) => line.slice(4)).join('\n');
    expect(JSON.parse(json)).to.deep.equal(JSON.parse(readFileSync(path.join(CHART, 'files', 'dashboard.json'), 'utf8')));
    expect(defaults.stdout, 'rules are off by default (they need the Prometheus Operator)').to.not.match(/kind: PrometheusRule/);

    const custom = helm(this, ['template', 'etl', CHART, '--set', 'grafanaDashboard.label.key=dashboards', '--set', 'grafanaDashboard.label.value=titelive']);
    expect(documentOf(custom.stdout, 'ConfigMap', '-dashboard')).to.match(/^\s+dashboards: "titelive"$/m);
  });

  it('renders a PrometheusRule whose rules pass promtool check rules, with the thresholds from values', async function () {
    const promtool = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim();
    if (!promtool) requireService(this, 'promtool (Debian package prometheus)');
    const result = helm(this, ['template', 'etl', CHART, '--set', 'prometheusRule.enabled=true', '--set', 'prometheusRule.staleAfterHours=48', '--set', 'prometheusRule.labels.release=monitoring', '--set', 'prometheusRule.runbookBaseUrl=https://git.example/etl/docs/operations.md', '--set', 'prometheusRule.cursorWarningDays=3', '--set', 'prometheusRule.cursorCriticalDays=14']);
    expect(result.status, result.stderr).to.equal(0);
    const rule = documentOf(result.stdout, 'PrometheusRule');
    expect(rule).to.match(/release: monitoring/);
    const spec = rule.split(/^spec:\n/m)[1]!.split('\n').map((line) => line.slice(2)).join('\n');
    expect(spec).to.contain('> 48 * 3600').and.not.contain('> 26 * 3600');
    expect(spec).to.contain('/ 86400) > 3\n').and.contain('/ 86400) >= 15\n');
    expect(spec.match(/runbook_url: "https:\/\/git\.example\/etl\/docs\/operations\.md#titeliveetl[a-z]+"/g)).to.have.length(8);
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'rules-')), 'rules.yaml');
    await writeFile(file, spec);
    const check = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).to.equal(0);
    expect(check.stdout).to.contain('SUCCESS: 8 rules found');
  });

  it('rejects bad values through values.schema.json', function () {
    for (const bad of [['--set', 'prometheusRule.staleAfterHours=0'], ['--set', 'prometheusRule.httpErrorRatio=2'], ['--set', 'grafanaDashboard.colour=red']]) {
      const result = helm(this, ['template', 'etl', CHART, ...bad]);
      expect(result.status, bad.join(' ')).to.not.equal(0);
      expect(result.stderr, bad.join(' ')).to.match(/schema/i);
    }
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered manifests are checked field by field
type Manifest = Record<string, any>;

function render(context: Mocha.Context, args: string[]): Manifest[] {
  const result = helm(context, ['template', 'titelive-etl', CHART, '--namespace', 'etl', ...args]);
  expect(result.status, result.stderr).to.equal(0);
  return parseAllDocuments(result.stdout).map((document) => document.toJS() as Manifest).filter(Boolean);
}

const CI_VALUES = readdirSync(path.join(CHART, 'ci')).filter((name) => name.endsWith('-values.yaml')).sort();
const podSpecOf = (cronJob: Manifest): Manifest => cronJob.spec.jobTemplate.spec.template.spec;
const envOf = (cronJob: Manifest): Record<string, string> =>
  Object.fromEntries((podSpecOf(cronJob).containers[0].env as Manifest[]).filter((variable) => 'value' in variable).map((variable) => [variable.name, variable.value]));

describe('Helm chart: CronJobs, Indexed Jobs, RBAC and security (real helm, Kubernetes OpenAPI offline)', function () {
  this.timeout(120_000);

  it('has scenario values files in ci/ that pass helm lint --strict', function () {
    expect(CI_VALUES.length).to.be.at.least(4);
    for (const file of CI_VALUES) {
      const result = helm(this, ['lint', '--strict', CHART, '-f', path.join(CHART, 'ci', file)]);
      expect(result.status, `${file}: ${result.stdout}${result.stderr}`).to.equal(0);
    }
  });

  it('renders, for every ci/ values file, manifests the Kubernetes 1.31 OpenAPI schemas accept (unknown fields refused)', function () {
    if (!KubeOpenApi.available()) requireService(this, 'the Kubernetes OpenAPI document (tools/kubernetes/swagger.json)');
    const openApi = new KubeOpenApi();
    for (const file of CI_VALUES) {
      const manifests = render(this, ['-f', path.join(CHART, 'ci', file)]);
      for (const manifest of manifests) {
        const errors = openApi.validate(manifest);
        if (errors === undefined) {
          expect(manifest.apiVersion, `${file}: ${manifest.kind} is a built-in kind or a Prometheus Operator resource`).to.equal('monitoring.coreos.com/v1');
          continue;
        }
        expect(errors, `${file}: ${manifest.kind} ${manifest.metadata.name}`).to.equal('');
      }
    }
    // The validator itself refuses what the API server would.
    const cronJob = render(this, []).find((manifest) => manifest.kind === 'CronJob')!;
    podSpecOf(cronJob).containers[0].envFrm = [];
    expect(openApi.validate(cronJob)).to.contain("additional properties 'envFrm'");
  });

  it('takes extra volumes, mounts and env sources for every pod, scheduling per stage, maxFailedIndexes and global', function () {
    const manifests = render(this, ['-f', path.join(CHART, 'ci', 'scheduling-values.yaml')]);
    const cronJobs = manifests.filter((manifest) => manifest.kind === 'CronJob');
    expect(cronJobs.length).to.be.greaterThan(5);
    for (const cronJob of cronJobs) {
      const pod = podSpecOf(cronJob);
      const name = cronJob.metadata.name as string;
      expect(pod.volumes.map((volume: Manifest) => volume.name), name).to.include('corporate-ca');
      expect(pod.containers[0].volumeMounts, name).to.deep.include({ name: 'corporate-ca', mountPath: '/etc/ssl/corporate', readOnly: true });
      expect(pod.containers[0].envFrom, name).to.deep.include({ secretRef: { name: 'proxy-settings' } });
      const images = name.endsWith('-images');
      expect(pod.nodeSelector, name).to.deep.equal(images ? { pool: 'images' } : { pool: 'batch' });
      expect(pod.tolerations?.[0]?.value, name).to.equal(images ? 'images' : undefined);
      expect(Boolean(pod.affinity), name).to.equal(images);
      expect(cronJob.spec.jobTemplate.spec.maxFailedIndexes, name).to.equal(name.endsWith('-fetch') ? 1 : undefined);
    }
    const defaults = render(this, []).filter((manifest) => manifest.kind === 'CronJob');
    for (const cronJob of defaults) {
      expect(podSpecOf(cronJob).nodeSelector, 'no scheduling by default').to.equal(undefined);
      expect(cronJob.spec.jobTemplate.spec.maxFailedIndexes).to.equal(undefined);
    }
  });

  it('installs one pipeline CronJob and one weekly audit CronJob per category, and one suspended template per category and stage', function () {
    const manifests = render(this, []);
    const cronJobs = manifests.filter((manifest) => manifest.kind === 'CronJob');
    const names = cronJobs.map((cronJob) => cronJob.metadata.name).sort();
    const expected = ['paper', 'music'].flatMap((category) => ['pipeline', 'audit', ...STAGES].map((stage) => `titelive-etl-${category}-${stage}`)).sort();
    expect(names).to.deep.equal(expected);
    for (const cronJob of cronJobs) {
      expect(cronJob.metadata.name.length, 'CronJob names stop at 52 characters').to.be.at.most(52);
      const scheduled = cronJob.metadata.name.endsWith('-pipeline') || cronJob.metadata.name.endsWith('-audit');
      expect(cronJob.spec.suspend, cronJob.metadata.name).to.equal(!scheduled);
      expect(cronJob.spec.concurrencyPolicy).to.equal('Forbid');
      expect(cronJob.spec.timeZone).to.equal('Europe/Paris');
      const job = cronJob.spec.jobTemplate.spec;
      const container = podSpecOf(cronJob).containers[0];
      expect(job.podFailurePolicy.rules[0]).to.deep.include({ action: 'FailJob' });
      expect(job.podFailurePolicy.rules[0].onExitCodes.containerName).to.equal(container.name);
      expect(job.podFailurePolicy.rules[0].onExitCodes.values).to.include(2);
      expect(job.podFailurePolicy.rules[1]).to.deep.equal({ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] });
      expect(job.activeDeadlineSeconds).to.be.a('number');
      expect(job.ttlSecondsAfterFinished).to.be.a('number');
      expect(envOf(cronJob), 'no RUN_ID: a stage picks today\'s run, the pipeline passes its own').to.not.have.property('RUN_ID');
    }
    const pipeline = cronJobs.find((cronJob) => cronJob.metadata.name === 'titelive-etl-paper-pipeline')!;
    expect(pipeline.spec.startingDeadlineSeconds).to.be.a('number');
    expect(podSpecOf(pipeline).containers[0].args).to.deep.equal(['pipeline']);
    const fieldRefs = Object.fromEntries((podSpecOf(pipeline).containers[0].env as Manifest[]).filter((variable) => variable.valueFrom).map((variable) => [variable.name, variable.valueFrom.fieldRef.fieldPath]));
    expect(fieldRefs).to.deep.equal({ POD_NAMESPACE: 'metadata.namespace', PIPELINE_JOB_NAME: "metadata.labels['batch.kubernetes.io/job-name']" });
    expect(envOf(pipeline).RELEASE_NAME).to.equal('titelive-etl');

    const audit = cronJobs.find((cronJob) => cronJob.metadata.name === 'titelive-etl-paper-audit')!;
    expect(audit.spec.schedule, 'weekly').to.match(/^\S+ \S+ \* \* [0-6]$/);
    expect(podSpecOf(audit).containers[0].args).to.deep.equal(['audit']);
    expect(envOf(audit)).to.include({ AUDIT_SAMPLE: '1000', MAX_STALE_RATIO: '0.01', FAIL_ON_STALE: 'false', MONGODB_URI_FILE: '/var/run/secrets/mongodb/uri', PARALLELISM: '2', TITELIVE_PASSWORD_FILE: '/var/run/secrets/titelive/password' });
    expect(audit.spec.jobTemplate.spec.podFailurePolicy.rules[0].onExitCodes.values, 'a stale copy is not retried').to.include(4);
    const off = render(this, ['--set', 'audit.enabled=false']).filter((manifest) => manifest.kind === 'CronJob' && manifest.metadata.name.endsWith('-audit'));
    expect(off).to.have.length(0);
  });

  it("has one entry under stages per row of the CLI's stage table, sharded and with the default shards the row says", () => {
    const values = parseYaml(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as { stages: Record<string, { shards?: number }> };
    expect(Object.keys(values.stages).sort()).to.deep.equal([...STAGES].sort());
    for (const stage of STAGE_TABLE) {
      expect('shards' in values.stages[stage.name]!, stage.name).to.equal(stage.sharded);
      expect(values.stages[stage.name]!.shards ?? 1, stage.name).to.equal(stage.defaultShards);
    }
  });

  it("sets, by default, each variable the options table has a default for to that default (images' own for the images pods)", function () {
    const manifests = render(this, []);
    const shared = manifests.find((manifest) => manifest.kind === 'ConfigMap' && manifest.data?.TITELIVE_RATE_LIMIT !== undefined)!;
    const byEnv = new Map(Object.entries(OPTIONS).filter(([, spec]) => (spec as OptionSpec).env).map(([name, spec]) => [(spec as OptionSpec).env!, name as keyof typeof OPTIONS]));
    const compared: string[] = [];
    const check = (variables: Record<string, string>, context: string | undefined) => {
      for (const [variable, value] of Object.entries(variables)) {
        const name = byEnv.get(variable);
        const wanted = name === undefined ? undefined : defaultOf(name, context);
        // Pods log JSON; shard counts are the stage table's (checked above); PARALLELISM is the chart's share of the budget.
        if (wanted === undefined || name === 'log-format' || name === 'shard-count' || name === 'parallelism') continue;
        expect(value, `${variable} (--${name}${context ? `, ${context}` : ''})`).to.equal(String(wanted));
        compared.push(variable);
      }
    };
    check(shared.data, undefined);
    const images = manifests.find((manifest) => manifest.kind === 'CronJob' && manifest.metadata.name === 'titelive-etl-paper-images')!;
    check(envOf(images), 'images');
    check(envOf(manifests.find((manifest) => manifest.kind === 'CronJob' && manifest.metadata.name === 'titelive-etl-paper-audit')!), 'audit');
    expect(compared).to.include.members(['TITELIVE_RATE_LIMIT', 'TITELIVE_API_URL', 'IMAGE_HOSTS', 'MONGODB_BATCH_SIZE', 'HTTP_MAX_SOCKETS', 'MAX_IMAGE_BYTES', 'MAX_FAILURE_RATIO', 'AUDIT_SAMPLE', 'MAX_STALE_RATIO', 'FAIL_ON_STALE']);
  });

  it('renders a stage added in values alone: its CronJob, its Role entry and its variables', async function () {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'chart-new-stage-')), 'values.yaml');
    await writeFile(file, 'stages:\n  dedupe:\n    needs: [mongodb]\n    shards: 3\n    parallelism: 3\n    backoffLimitPerIndex: 2\n    activeDeadlineSeconds: 600\n    env: { DEDUPE_KEYS: ean, DEDUPE_LIMIT: 4194304 }\n');
    const manifests = render(this, ['-f', file]);
    const cronJob = manifests.find((manifest) => manifest.kind === 'CronJob' && manifest.metadata.name === 'titelive-etl-paper-dedupe');
    expect(cronJob, 'the new stage CronJob').to.not.equal(undefined);
    expect(cronJob!.spec.jobTemplate.spec.completions).to.equal(3);
    expect(podSpecOf(cronJob!).containers[0].args).to.deep.equal(['dedupe']);
    expect(envOf(cronJob!)).to.include({ SHARD_COUNT: '3', DEDUPE_KEYS: 'ean', DEDUPE_LIMIT: '4194304', MONGODB_URI_FILE: '/var/run/secrets/mongodb/uri' });
    const role = manifests.find((manifest) => manifest.kind === 'Role')!;
    expect(role.rules[0].resourceNames).to.include('titelive-etl-paper-dedupe');
  });

  it('makes sharded stages Indexed Jobs whose completions reach the pod as SHARD_COUNT, and shares the Titelive budget', function () {
    const manifests = render(this, ['-f', path.join(CHART, 'ci', 'paper-only-values.yaml'), '--set', 'titelive.rateLimit=6']);
    const byName = new Map(manifests.filter((manifest) => manifest.kind === 'CronJob').map((cronJob) => [cronJob.metadata.name, cronJob]));
    expect(byName.has('titelive-etl-music-fetch'), 'music is disabled').to.equal(false);
    const plan = byName.get('titelive-etl-paper-plan')!;
    expect(plan.spec.jobTemplate.spec.completionMode).to.equal(undefined);
    expect(envOf(plan)).to.include({ WINDOW_DAYS: '3', PARALLELISM: '1' });
    const shards = { fetch: 2, parse: 1, images: 3, load: 1 };
    for (const [stage, count] of Object.entries(shards)) {
      const cronJob = byName.get(`titelive-etl-paper-${stage}`)!;
      const job = cronJob.spec.jobTemplate.spec;
      expect(job, stage).to.include({ completionMode: 'Indexed', completions: count });
      expect(job.backoffLimitPerIndex, stage).to.be.a('number');
      expect(envOf(cronJob).SHARD_COUNT, stage).to.equal(String(count));
    }
    expect(byName.get('titelive-etl-paper-fetch')!.spec.jobTemplate.spec.parallelism).to.equal(1);
    expect(envOf(byName.get('titelive-etl-paper-fetch')!).PARALLELISM, 'one fetch pod at once, one category').to.equal('1');
    expect(envOf(byName.get('titelive-etl-paper-images')!)).to.include({ HTTP_MAX_SOCKETS: '64' });
    expect(envOf(byName.get('titelive-etl-paper-parse')!)).to.include({ PARSE_WORKERS: '2' });
    const configMap = manifests.find((manifest) => manifest.kind === 'ConfigMap' && manifest.metadata.name === 'titelive-etl')!;
    expect(configMap.data).to.include({ TITELIVE_RATE_LIMIT: '6', TZ: 'Europe/Paris', LOG_FORMAT: 'json', METRICS_PORT: '9464', IMAGE_HOSTS: 'images.epagine.fr' });
    const hosts = render(this, ['--set', 'imageHosts=images.epagine.fr\\,*.cdn.example.com']).find((manifest) => manifest.kind === 'ConfigMap' && manifest.metadata.name === 'titelive-etl')!;
    expect(hosts.data.IMAGE_HOSTS).to.equal('images.epagine.fr,*.cdn.example.com');

    const both = render(this, ['--set', 'stages.fetch.parallelism=3']);
    const fetch = both.find((manifest) => manifest.metadata?.name === 'titelive-etl-paper-fetch')!;
    expect(envOf(fetch).PARALLELISM, 'fetch pods of both categories may run at once: 3 × 2').to.equal('6');
  });

  it('keeps references, labels and selectors consistent: ConfigMap, ServiceAccounts, Role, NetworkPolicy, PodMonitor', function () {
    const manifests = render(this, ['-f', path.join(CHART, 'ci', 'production-values.yaml')]);
    const of = (kind: string) => manifests.filter((manifest) => manifest.kind === kind);
    const cronJobs = of('CronJob');
    const configMaps = new Set(of('ConfigMap').map((manifest) => manifest.metadata.name));
    const serviceAccounts = new Map(of('ServiceAccount').map((manifest) => [manifest.metadata.name, manifest]));
    const networkPolicy = of('NetworkPolicy')[0]!;
    const podMonitor = of('PodMonitor')[0]!;
    const role = of('Role')[0]!;
    const roleBinding = of('RoleBinding')[0]!;
    for (const cronJob of cronJobs) {
      const template = cronJob.spec.jobTemplate.spec.template;
      const pod = template.spec;
      const name = cronJob.metadata.name;
      expect(configMaps.has(pod.containers[0].envFrom[0].configMapRef.name), name).to.equal(true);
      expect(serviceAccounts.has(pod.serviceAccountName), `${name} uses an existing ServiceAccount`).to.equal(true);
      for (const selector of [networkPolicy.spec.podSelector.matchLabels, podMonitor.spec.selector.matchLabels]) {
        expect(template.metadata.labels, `${name}: pods match the selectors`).to.deep.include(selector);
      }
      expect(pod.containers[0].ports[0]).to.deep.include({ name: 'metrics', containerPort: 9464 });
      expect(pod.containers[0].image).to.match(/@sha256:[0-9a-f]{64}$/);
      const pipeline = name.endsWith('-pipeline');
      expect(pod.automountServiceAccountToken, `${name}: an API token only where the pipeline needs it`).to.equal(pipeline);
      expect(pod.serviceAccountName).to.equal(pipeline ? 'titelive-etl-pipeline' : 'titelive-etl');
      // Security: non-root, read-only root filesystem with /tmp on an emptyDir, no capabilities, RuntimeDefault seccomp.
      expect(pod.securityContext).to.deep.include({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.containers[0].securityContext).to.deep.equal({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(pod.containers[0].volumeMounts).to.deep.include({ name: 'tmp', mountPath: '/tmp' });
      expect(pod.volumes.find((volume: Manifest) => volume.name === 'tmp').emptyDir).to.be.an('object');
      expect(pod.restartPolicy).to.equal('Never');
    }
    for (const account of serviceAccounts.values()) {
      expect(account.metadata.annotations).to.have.property('iam.gke.io/gcp-service-account');
      expect(account.automountServiceAccountToken).to.equal(false);
    }
    // The Role allows exactly the pipeline's calls, on exactly this release's stage templates.
    const templates = cronJobs.map((cronJob) => cronJob.metadata.name).filter((name) => !name.endsWith('-pipeline') && !name.endsWith('-audit')).sort();
    expect(role.rules).to.deep.equal([
      { apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['get'], resourceNames: role.rules[0].resourceNames },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'create'] },
    ]);
    expect([...role.rules[0].resourceNames].sort()).to.deep.equal(templates);
    expect(roleBinding.roleRef.name).to.equal(role.metadata.name);
    expect(roleBinding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'titelive-etl-pipeline', namespace: 'etl' }]);
    expect(networkPolicy.spec.policyTypes).to.deep.equal(['Egress']);
    expect(networkPolicy.spec.egress.flatMap((rule: Manifest) => rule.ports.map((port: Manifest) => port.port))).to.include.members([53, 443, 27017, 9091]);
    // Secrets are mounted as files, never put in env values.
    const load = cronJobs.find((cronJob) => cronJob.metadata.name === 'titelive-etl-paper-load')!;
    expect(envOf(load).MONGODB_URI_FILE).to.equal('/var/run/secrets/mongodb/uri');
    expect(JSON.stringify(manifests)).to.not.match(/mongodb(\+srv)?:\/\//);
  });

  it('mounts the credentials Secret for the stages that call Titelive, or reads Secret Manager', function () {
    const manifests = render(this, []);
    const fetch = manifests.find((manifest) => manifest.metadata?.name === 'titelive-etl-paper-fetch')!;
    expect(envOf(fetch)).to.include({ TITELIVE_PASSWORD_FILE: '/var/run/secrets/titelive/password' });
    expect(podSpecOf(fetch).volumes.find((volume: Manifest) => volume.name === 'titelive-credentials').secret.secretName).to.equal('titelive-credentials');
    const parse = manifests.find((manifest) => manifest.metadata?.name === 'titelive-etl-paper-parse')!;
    expect(podSpecOf(parse).volumes.map((volume: Manifest) => volume.name), 'parse needs no credentials').to.deep.equal(['tmp']);

    const secretManager = render(this, ['-f', path.join(CHART, 'ci', 'secret-manager-values.yaml')]);
    const configMap = secretManager.find((manifest) => manifest.kind === 'ConfigMap' && manifest.metadata.name === 'titelive-etl')!;
    expect(configMap.data).to.include({ TITELIVE_SECRETS_SOURCE: 'secret-manager', GCP_PROJECT_ID: 'my-project' });
    const smFetch = secretManager.find((manifest) => manifest.metadata?.name === 'titelive-etl-paper-fetch')!;
    expect(envOf(smFetch)).to.not.have.property('TITELIVE_PASSWORD_FILE');
  });

  it('refuses bad values with a message: schema, release name too long, no category', function () {
    const bad = [
      ['--set', 'stages.fetch.shards=0'],
      ['--set', 'titelive.credentials.source=vault'],
      ['--set', 'stages.fetch.shard=3'],
      ['--set', 'categories.paper.schedule=daily'],
      ['--set', 'dataUrl=s3://bucket/runs'],
      ['--set', 'image.digest=latest'],
    ];
    for (const args of bad) {
      const result = helm(this, ['template', 'etl', CHART, ...args]);
      expect(result.status, args.join(' ')).to.not.equal(0);
      expect(result.stderr, args.join(' ')).to.match(/schema/i);
    }
    const long = helm(this, ['template', 'a-release-name-that-is-much-too-long-for-it', CHART]);
    expect(long.status).to.not.equal(0);
    expect(long.stderr).to.contain('use at most 37');
    const none = helm(this, ['template', 'etl', CHART, '--set', 'categories.paper.enabled=false', '--set', 'categories.music.enabled=false']);
    expect(none.status).to.not.equal(0);
    expect(none.stderr).to.contain('enable at least one');
    const secretManager = helm(this, ['template', 'etl', CHART, '--set', 'titelive.credentials.source=secret-manager']);
    expect(secretManager.stderr).to.contain('projectId is required');
  });
});

describe('k8s/ and skaffold.yaml', function () {
  this.timeout(60_000);

  it('k8s/local renders with kustomize into objects the Kubernetes OpenAPI schemas accept, with the Secrets the chart reads', function () {
    if (!KubeOpenApi.available()) requireService(this, 'the Kubernetes OpenAPI document (tools/kubernetes/swagger.json)');
    const result = spawnSync('kubectl', ['kustomize', path.join(ROOT, 'k8s', 'local')], { encoding: 'utf8' });
    if (result.error) requireService(this, 'kubectl');
    expect(result.status, result.stderr).to.equal(0);
    const manifests = parseAllDocuments(result.stdout).map((document) => document.toJS() as Manifest).filter(Boolean);
    const openApi = new KubeOpenApi();
    for (const manifest of manifests) expect(openApi.validate(manifest), `${manifest.kind} ${manifest.metadata.name}`).to.equal('');
    const names = manifests.map((manifest) => `${manifest.kind}/${manifest.metadata.name}`);
    expect(names).to.include.members(['Deployment/titelive-sandbox', 'Service/titelive-sandbox', 'Deployment/fake-gcs', 'Deployment/mongodb', 'Deployment/pushgateway', 'Secret/titelive-credentials', 'Secret/titelive-mongodb']);
    const values = readFileSync(path.join(ROOT, 'k8s', 'local-values.yaml'), 'utf8');
    for (const service of ['titelive-sandbox:8080', 'fake-gcs:4443', 'pushgateway:9091']) expect(values).to.contain(service);
  });

  it('the local and GKE values pass the chart schema, and skaffold.yaml points at files that exist', function () {
    for (const file of ['local-values.yaml', 'gke-values.example.yaml']) {
      const result = helm(this, ['lint', '--strict', CHART, '-f', path.join(ROOT, 'k8s', file)]);
      expect(result.status, `${file}: ${result.stdout}${result.stderr}`).to.equal(0);
    }
    const skaffold = parseAllDocuments(readFileSync(path.join(ROOT, 'skaffold.yaml'), 'utf8'))[0]!.toJS() as Manifest;
    expect(existsSync(path.join(ROOT, skaffold.build.artifacts[0].docker.dockerfile))).to.equal(true);
    for (const folder of skaffold.manifests.kustomize.paths) expect(existsSync(path.join(ROOT, folder, 'kustomization.yaml')), folder).to.equal(true);
    const release = skaffold.deploy.helm.releases[0];
    expect(existsSync(path.join(ROOT, release.chartPath, 'Chart.yaml'))).to.equal(true);
    for (const file of release.valuesFiles) expect(existsSync(path.join(ROOT, file)), file).to.equal(true);
    const gke = skaffold.profiles.find((profile: Manifest) => profile.name === 'gke');
    expect(existsSync(path.join(ROOT, gke.deploy.helm.releases[0].valuesFiles[0].replace(/\.yaml$/, '.example.yaml'))), 'the GKE values have an example').to.equal(true);
  });

  it('the skaffold gke profile deploys the chart alone: no k8s/local manifests, no kubectl deployer', function () {
    const skaffold = parseAllDocuments(readFileSync(path.join(ROOT, 'skaffold.yaml'), 'utf8'))[0]!.toJS() as Manifest;
    const gke = skaffold.profiles.find((profile: Manifest) => profile.name === 'gke');
    // As skaffold does: the profile's patches on the main config, then its sections laid onto it.
    const active = structuredClone(skaffold);
    delete active.profiles;
    for (const patch of gke.patches ?? []) {
      expect(patch.op, 'only removals are applied here').to.equal('remove');
      const keys = (patch.path as string).split('/').slice(1);
      const parent = keys.slice(0, -1).reduce((node: Manifest, key: string) => node?.[key], active);
      expect(parent?.[keys.at(-1)!], `${patch.path} exists in the main config`).to.not.equal(undefined);
      delete parent[keys.at(-1)!];
    }
    const layOnto = (base: Manifest, over: Manifest): Manifest => {
      for (const [key, value] of Object.entries(over)) base[key] = value && typeof value === 'object' && !Array.isArray(value) && base[key] && typeof base[key] === 'object' ? layOnto(base[key], value) : value;
      return base;
    };
    for (const section of ['build', 'manifests', 'deploy']) if (gke[section]) layOnto((active[section] ??= {}), gke[section]);
    expect(JSON.stringify(active)).to.not.contain('k8s/local');
    expect(active.deploy.kubectl, 'no kubectl deployer').to.equal(undefined);
    expect(active.deploy.helm.releases[0].valuesFiles).to.deep.equal(['k8s/gke-values.yaml']);
    // The default (skaffold dev) still deploys the local services.
    expect(skaffold.manifests.kustomize.paths).to.deep.equal(['k8s/local']);
  });
});
