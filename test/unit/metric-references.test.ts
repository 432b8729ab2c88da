import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { registry } from '../../src/runtime/metrics.js';
import { ROOT, requireService } from '../helpers/services.js';

const FILES = path.join(ROOT, 'charts', 'titelive-etl', 'files');

/** Every series name the product exposes: metric names, plus a histogram's _bucket/_sum/_count. */
async function exposedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}

function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(readFileSync(path.join(FILES, 'dashboard.json'), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }>; templating: { list: Array<{ query?: unknown }> } };
  return [...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)), ...dashboard.templating.list.map((variable) => String(variable.query ?? ''))];
}

describe('dashboard and alert rules', () => {
  it('query only metrics the product registers', async () => {
    const names = await exposedNames();
    const alerts = readFileSync(path.join(FILES, 'alerts.yaml'), 'utf8');
    const referenced = new Set([...dashboardExpressions(), alerts].flatMap((text) => text.match(/\btitelive_etl_[a-z0-9_]+/g) ?? []));
    expect(referenced.size).to.be.greaterThan(15);
    const unknown = [...referenced].filter((name) => !names.has(name));
    expect(unknown, 'queried but never registered').to.deep.equal([]);
  });

  it('are documented: docs/operations.md lists every metric the product registers', async () => {
    const operations = readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8');
    const own = [...(await exposedNames())].filter((name) => !/^titelive_etl_(process_|nodejs_)|_(bucket|sum|count)$/.test(name));
    expect(own.length).to.be.greaterThan(15);
    expect(own.filter((name) => !operations.includes(`\`${name}\``)), 'missing from the metrics table').to.deep.equal([]);
  });

  it('give every dashboard panel at least one query', () => {
    const dashboard = JSON.parse(readFileSync(path.join(FILES, 'dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets: unknown[] }> };
    for (const panel of dashboard.panels) expect(panel.targets.length, panel.title).to.be.greaterThan(0);
  });

  it('pass promtool check rules', function () {
    const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim();
    if (!found) requireService(this, 'promtool (Debian package prometheus)');
    const result = spawnSync(found, ['check', 'rules', path.join(FILES, 'alerts.yaml')], { encoding: 'utf8' });
    expect(result.status, result.stdout + result.stderr).to.equal(0);
    expect(result.stdout).to.contain('SUCCESS: 8 rules found');
  });

  it('give every alert a runbook_url to its own section of docs/operations.md', () => {
    const alerts = readFileSync(path.join(FILES, 'alerts.yaml'), 'utf8');
    const names = [...alerts.matchAll(/- alert: (\w+)/g)].map((match) => match[1]!);
    const runbooks = [...alerts.matchAll(/runbook_url: "docs\/operations\.md#([a-z0-9-]+)"/g)].map((match) => match[1]!);
    expect(runbooks).to.deep.equal(names.map((name) => name.toLowerCase()));
    const sections = new Set([...readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8').matchAll(/^### (\w+)$/gm)].map((match) => match[1]!.toLowerCase()));
    for (const anchor of runbooks) expect(sections.has(anchor), `a section for #${anchor}`).to.equal(true);
  });
});
