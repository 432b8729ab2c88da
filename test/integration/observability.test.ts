import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { addDays, today } from '../../src/runtime/calendar.js';
import { readManifests } from '../../src/runtime/manifest.js';
import { LocalStorage } from '../../src/runtime/storage/local-storage.js';
import { SANDBOX_PASSWORD, SANDBOX_USERNAME, Sandbox } from '../../src/sandbox/server.js';
import { runPlan } from '../../src/stages/plan.js';
import { runCli } from '../helpers/cli.js';
import { planConfig, quietContext, tempDir } from '../helpers/run-stages.js';
import { ROOT, freePort, promQuery, startPrometheusStack, waitFor, type PrometheusStack } from '../helpers/services.js';

const window = { start: '2024-01-01', end: '2024-01-08' };
const ALERTS = path.join(ROOT, 'charts', 'titelive-etl', 'files', 'alerts.yaml');

describe('metrics in a real Prometheus (scrape and Pushgateway)', function () {
  this.timeout(120_000);
  let sandbox: Sandbox;
  let stack: PrometheusStack;
  let metricsPort: number;

  before(async function () {
    metricsPort = await freePort();
    stack = await startPrometheusStack(this, [`127.0.0.1:${metricsPort}`], [ALERTS]);
    // Slow enough answers that Prometheus scrapes the running stage a few times.
    sandbox = new Sandbox({ products: 300, endDay: window.end, days: 10, faults: { latencyMs: 400 } });
    await sandbox.start();
  });
  after(async () => {
    await sandbox?.stop();
    await stack?.stop();
  });

  it('sees a running stage, gets its final counters from the Pushgateway equal to its manifest, and fires an alert when it fails', async () => {
    const dataUrl = await tempDir();
    await runPlan(planConfig(sandbox, dataUrl, window), quietContext());
    const env = {
      TITELIVE_API_URL: sandbox.apiUrl,
      TITELIVE_LOGIN_URL: sandbox.loginUrl,
      TITELIVE_USERNAME: SANDBOX_USERNAME,
      TITELIVE_PASSWORD: SANDBOX_PASSWORD,
      METRICS_PORT: String(metricsPort),
      PUSHGATEWAY_URL: stack.pushgatewayUrl,
    };
    const args = ['fetch', '--category', 'paper', '--run-id', window.end, '--data-url', dataUrl, '--batch-size', '20', '--concurrency', '1', '--rate-limit', '1000'];
    const started = Date.now() / 1000;
    const fetched = await runCli(args, env);
    expect(fetched.code, fetched.stderr).to.equal(0);
    const [manifest] = await readManifests(new LocalStorage(dataUrl), { dataset: 'paper', runId: window.end }, 'fetch');

    // Scraped while it ran.
    await waitFor(async () => (await promQuery(stack.prometheusUrl, `max_over_time(up{job="stage"}[5m])`))[0]?.value === 1, 'a scrape of the running stage', 20_000);
    const live = await promQuery(stack.prometheusUrl, `max_over_time(titelive_etl_http_requests_total{job="stage"}[5m])`);
    expect(live.length, 'HTTP request counters while running').to.be.greaterThan(0);

    // Final values through the Pushgateway: exactly the manifest's counts.
    const pushed = `titelive_etl_items_total{job="titelive_etl", stage="fetch", category="paper", shard="0"}`;
    const expected = Object.fromEntries(Object.entries(manifest!.counts).filter(([, count]) => count > 0).sort());
    const pushedCounters = async () => Object.fromEntries((await promQuery(stack.prometheusUrl, pushed)).map((series) => [series.metric.outcome, series.value]).sort());
    await waitFor(async () => JSON.stringify(await pushedCounters()) === JSON.stringify(expected), `the pushed counters equal to the manifest's ${JSON.stringify(expected)}`, 20_000).catch(async (error: unknown) => {
      throw new Error(`${String(error)}; Prometheus has ${JSON.stringify(await pushedCounters())}`);
    });
    const [lastSuccess] = await promQuery(stack.prometheusUrl, `titelive_etl_last_success_timestamp_seconds{job="titelive_etl", stage="fetch", category="paper"}`);
    expect(lastSuccess?.value).to.be.within(started, Date.now() / 1000 + 1);
    const info = await promQuery(stack.prometheusUrl, `titelive_etl_run_info{job="titelive_etl", stage="fetch"}`);
    expect(info[0]?.metric.run_id).to.equal(window.end);

    // The same shard fails (its plan is missing for this run): exit code 3 fails the Job at once,
    // so the critical alert fires now and the warning waits for its `for`.
    const failed = await runCli(['fetch', '--category', 'paper', '--run-id', '2023-12-31', '--data-url', dataUrl], { ...env, JOB_RETRY_LIMIT: '3', JOB_INDEX_FAILURE_COUNT: '0' });
    expect(failed.code).to.equal(3);
    await waitFor(async () => (await alertState('TiteliveEtlStageRetriesExhausted')) === 'firing', 'TiteliveEtlStageRetriesExhausted firing', 30_000);
    expect(await alertState('TiteliveEtlStageFailed')).to.equal('pending');

    // The failed pushes added to the group: the last success is still there, and the staleness rule sees it.
    const [kept] = await promQuery(stack.prometheusUrl, `titelive_etl_last_success_timestamp_seconds{job="titelive_etl", stage="fetch", category="paper"}`);
    expect(kept?.value).to.equal(lastSuccess!.value);
    const stale = staleRule().replace('{stage="load"}', '{stage="fetch"}').replace('> 26 * 3600', '> 0');
    expect((await promQuery(stack.prometheusUrl, stale)).map((series) => series.metric.category)).to.deep.equal(['paper']);

    // Exit 1 with retries left: Kubernetes will retry, nothing critical. The same failure on the last retry is critical.
    sandbox.faults = { ...sandbox.faults, errorRate: 1 };
    try {
      const retried = await runCli([...args, '--max-attempts', '1'], { ...env, JOB_RETRY_LIMIT: '3', JOB_INDEX_FAILURE_COUNT: '1' });
      expect(retried.code, retried.stderr).to.equal(1);
      await waitFor(async () => (await alertState('TiteliveEtlStageRetriesExhausted')) === undefined, 'TiteliveEtlStageRetriesExhausted resolved while retries are left', 30_000);
      const last = await runCli([...args, '--max-attempts', '1'], { ...env, JOB_RETRY_LIMIT: '3', JOB_INDEX_FAILURE_COUNT: '3' });
      expect(last.code).to.equal(1);
      await waitFor(async () => (await alertState('TiteliveEtlStageRetriesExhausted')) === 'firing', 'TiteliveEtlStageRetriesExhausted firing on the last retry', 30_000);
    } finally {
      sandbox.faults = { ...sandbox.faults, errorRate: 0 };
    }
  });

  it('deletes the groups of shards past the shard count when shard 0 pushes', async () => {
    const dataUrl = await tempDir();
    await runPlan(planConfig(sandbox, dataUrl, window), quietContext());
    const env = { TITELIVE_API_URL: sandbox.apiUrl, TITELIVE_LOGIN_URL: sandbox.loginUrl, TITELIVE_USERNAME: SANDBOX_USERNAME, TITELIVE_PASSWORD: SANDBOX_PASSWORD, PUSHGATEWAY_URL: stack.pushgatewayUrl };
    const args = ['parse', '--category', 'paper', '--run-id', '2023-12-30', '--data-url', dataUrl];
    // Three shards once (they fail for want of a fetch, and push all the same), then one.
    for (const index of [0, 1, 2]) expect((await runCli(args, { ...env, SHARD_COUNT: '3', JOB_COMPLETION_INDEX: String(index) })).code).to.equal(3);
    expect(await pushedShards('parse')).to.deep.equal(['0', '1', '2']);
    expect((await runCli(args, { ...env, SHARD_COUNT: '1', JOB_COMPLETION_INDEX: '0' })).code).to.equal(3);
    expect(await pushedShards('parse')).to.deep.equal(['0']);
  });

  it("raises the cursor's lag alerts from what `titelive-etl cursor` pushes: the warning past 2 days, the critical one past the lookback", async () => {
    const dataUrl = await tempDir();
    const cursorAlert = async (name: string) => {
      const response = (await (await fetch(`${stack.prometheusUrl}/api/v1/alerts`)).json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
      return response.data.alerts.find((alert) => alert.labels.alertname === name && alert.labels.category === 'paper')?.state;
    };
    const set = (daysAgo: number) => runCli(['cursor', '--category', 'paper', '--data-url', dataUrl, '--set', addDays(today(), -daysAgo)], { PUSHGATEWAY_URL: stack.pushgatewayUrl });
    const lagExpression = 'floor((time() - max by (category) (titelive_etl_cursor_end_timestamp_seconds{category="paper"})) / 86400)';
    expect((await set(1)).code).to.equal(0);
    await waitFor(async () => (await promQuery(stack.prometheusUrl, 'titelive_etl_cursor_lag_days{category="paper"}'))[0]?.value === 1, 'the lag pushed', 20_000);
    // The rules' expression sees one day: a daily schedule, under the warning's 2 days.
    const series = await promQuery(stack.prometheusUrl, 'titelive_etl_cursor_end_timestamp_seconds');
    expect((await promQuery(stack.prometheusUrl, lagExpression))[0]?.value, JSON.stringify(series)).to.equal(1);
    expect((await set(4)).code).to.equal(0);
    await waitFor(async () => (await cursorAlert('TiteliveEtlCursorLagging')) === 'pending', 'TiteliveEtlCursorLagging pending', 30_000);
    expect((await promQuery(stack.prometheusUrl, lagExpression))[0]?.value).to.equal(4);
    expect(await cursorAlert('TiteliveEtlCursorBehindLookback'), 'four days is within the lookback').to.equal(undefined);
    expect((await set(10)).code).to.equal(0);
    await waitFor(async () => (await cursorAlert('TiteliveEtlCursorBehindLookback')) === 'pending', 'TiteliveEtlCursorBehindLookback pending', 30_000);
  });

  async function alertState(name: string): Promise<string | undefined> {
    const response = (await (await fetch(`${stack.prometheusUrl}/api/v1/alerts`)).json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
    return response.data.alerts.find((alert) => alert.labels.alertname === name && alert.labels.stage === 'fetch')?.state;
  }

  async function pushedShards(stage: string): Promise<string[]> {
    const response = (await (await fetch(`${stack.pushgatewayUrl}/api/v1/metrics`)).json()) as { data: Array<{ labels: Record<string, string> }> };
    return response.data.filter((group) => group.labels.stage === stage && group.labels.category === 'paper').map((group) => group.labels.shard!).sort();
  }
});

/** The staleness rule's expression, as the rule file has it. */
function staleRule(): string {
  const rules = parse(readFileSync(ALERTS, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  return rules.groups[0]!.rules.find((rule) => rule.alert === 'TiteliveEtlCatalogStale')!.expr;
}
