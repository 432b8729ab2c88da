import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, TOOLS_BIN, requireService } from '../helpers/services.js';

const CHART = path.join(ROOT, 'charts', 'titelive-etl');
/** The Kubernetes version templates are checked against (a helm built from source defaults to 1.20). */
const KUBE_VERSION = '1.31.0';

function helm(context: Mocha.Context, args: string[]) {
  const binary = path.join(TOOLS_BIN, 'helm');
  if (!existsSync(binary)) requireService(context, 'helm (tools/bin/helm)');
  const versioned = args[0] === 'lint' || args[0] === 'template' ? [...args, '--kube-version', KUBE_VERSION] : args;
  return spawnSync(binary, versioned, { encoding: 'utf8', env: { ...process.env, HELM_CACHE_HOME: path.join(tmpdir(), 'helm-cache'), HELM_CONFIG_HOME: path.join(tmpdir(), 'helm-config') } });
}

/** One rendered document (by kind) of `helm template` output. */
function documentOf(rendered: string, kind: string): string {
  const document = rendered.split(/^---$/m).find((text) => new RegExp(`^kind: ${kind}$`, 'm').test(text));
  expect(document, `a ${kind} in the rendered chart`).to.be.a('string');
  return document!;
}

describe('Helm chart: observability resources (real helm, promtool)', function () {
  this.timeout(60_000);

  it('passes helm lint --strict, with the defaults and with the rules on', function () {
    for (const extra of [[], ['--set', 'prometheusRule.enabled=true']]) {
      const result = helm(this, ['lint', '--strict', CHART, ...extra]);
      expect(result.status, result.stdout + result.stderr).to.equal(0);
    }
  });

  it('ships the dashboard in a ConfigMap labelled for the Grafana sidecar (label configurable)', function () {
    const defaults = helm(this, ['template', 'etl', CHART]);
    expect(defaults.status, defaults.stderr).to.equal(0);
    const configMap = documentOf(defaults.stdout, 'ConfigMap');
    expect(configMap).to.match(/^\s+grafana_dashboard: "1"$/m);
    expect(configMap).to.match(/app\.kubernetes\.io\/instance: etl/);
    const json = configMap.split('titelive-etl.json: |-\n')[1]!.split('\n').map((line) => line.slice(4)).join('\n');
    expect(JSON.parse(json)).to.deep.equal(JSON.parse(readFileSync(path.join(CHART, 'files', 'dashboard.json'), 'utf8')));
    expect(defaults.stdout, 'rules are off by default (they need the Prometheus Operator)').to.not.match(/kind: PrometheusRule/);

    const custom = helm(this, ['template', 'etl', CHART, '--set', 'grafanaDashboard.label.key=dashboards', '--set', 'grafanaDashboard.label.value=titelive']);
    expect(documentOf(custom.stdout, 'ConfigMap')).to.match(/^\s+dashboards: "titelive"$/m);
  });

  it('renders a PrometheusRule whose rules pass promtool check rules, with the thresholds from values', async function () {
    const promtool = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim();
    if (!promtool) requireService(this, 'promtool (Debian package prometheus)');
    const result = helm(this, ['template', 'etl', CHART, '--set', 'prometheusRule.enabled=true', '--set', 'prometheusRule.staleAfterHours=48', '--set', 'prometheusRule.labels.release=monitoring']);
    expect(result.status, result.stderr).to.equal(0);
    const rule = documentOf(result.stdout, 'PrometheusRule');
    expect(rule).to.match(/release: monitoring/);
    const spec = rule.split(/^spec:\n/m)[1]!.split('\n').map((line) => line.slice(2)).join('\n');
    expect(spec).to.contain('> 48 * 3600').and.not.contain('> 26 * 3600');
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'rules-')), 'rules.yaml');
    await writeFile(file, spec);
    const check = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).to.equal(0);
    expect(check.stdout).to.contain('SUCCESS: 4 rules found');
  });

  it('rejects bad values through values.schema.json', function () {
    for (const bad of [['--set', 'prometheusRule.staleAfterHours=0'], ['--set', 'prometheusRule.httpErrorRatio=2'], ['--set', 'grafanaDashboard.colour=red']]) {
      const result = helm(this, ['template', 'etl', CHART, ...bad]);
      expect(result.status, bad.join(' ')).to.not.equal(0);
      expect(result.stderr, bad.join(' ')).to.match(/schema/i);
    }
  });
});
