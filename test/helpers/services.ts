import { startLocalFerretDb } from '../../src/runtime/local-ferretdb.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const TOOLS_BIN = path.join(ROOT, 'tools', 'bin');

/** Outside CI a missing service skips the test; in CI it fails it. */
export function requireService(context: Mocha.Context, what: string): never {
  if (process.env.CI) throw new Error(`${what} is missing: run 'npm run tools' (scripts/install-tools.sh)`);
  context.skip();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}

export interface FakeGcs {
  /** host:port for STORAGE_EMULATOR_HOST. */
  host: string;
  stop(): Promise<void>;
}

/** fake-gcs-server from STORAGE_EMULATOR_HOST, or started from tools/bin on a free loopback port. */
export async function startFakeGcs(context: Mocha.Context): Promise<FakeGcs> {
  const given = process.env.STORAGE_EMULATOR_HOST;
  if (given) return { host: given.replace(/^https?:\/\//, ''), stop: async () => undefined };
  const binary = path.join(TOOLS_BIN, 'fake-gcs-server');
  if (!existsSync(binary)) requireService(context, 'fake-gcs-server');
  const port = await freePort();
  const child = spawn(binary, ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(port), '-backend', 'memory', '-public-host', `127.0.0.1:${port}`, '-log-level', 'error'], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`http://${host}/storage/v1/b`)).ok, 'fake-gcs-server');
  return { host, stop: () => stopChild(child) };
}

/**
 * fake-gcs-server with `bucket` in it, set as STORAGE_EMULATOR_HOST for the code under test;
 * `stop` puts the variable back as it was and stops the server.
 */
export async function startFakeGcsBucket(context: Mocha.Context, bucket: string): Promise<FakeGcs> {
  const gcs = await startFakeGcs(context);
  const previousHost = process.env.STORAGE_EMULATOR_HOST;
  delete process.env.STORAGE_EMULATOR_HOST;
  const { Storage } = await import('@google-cloud/storage');
  const client = new Storage({ apiEndpoint: `http://${gcs.host}`, projectId: 'test-project' });
  process.env.STORAGE_EMULATOR_HOST = `http://${gcs.host}`;
  const [exists] = await client.bucket(bucket).exists();
  if (!exists) await client.createBucket(bucket);
  return {
    host: gcs.host,
    stop: async () => {
      if (previousHost === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = previousHost;
      await gcs.stop();
    },
  };
}

export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export interface MongoServer {
  uri: string;
  stop(): Promise<void>;
}

/** MONGODB_URI when set, else FerretDB (SQLite backend) from tools/bin on a free loopback port. */
export async function startMongo(context: Mocha.Context): Promise<MongoServer> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, stop: async () => undefined };
  const server = await startLocalFerretDb();
  if (!server) requireService(context, 'FerretDB (tools/bin/ferretdb) or MONGODB_URI');
  return server;
}

export interface PrometheusStack {
  prometheusUrl: string;
  pushgatewayUrl: string;
  stop(): Promise<void>;
}

/**
 * The real prometheus-pushgateway and prometheus (Debian packages) on free loopback ports:
 * Prometheus scrapes `targets` (job "stage") and the Pushgateway (honor_labels) every second,
 * and evaluates `ruleFiles` every second.
 */
export async function startPrometheusStack(context: Mocha.Context, targets: string[], ruleFiles: string[]): Promise<PrometheusStack> {
  const which = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  const prometheus = which('prometheus');
  const pushgateway = which('prometheus-pushgateway');
  if (!prometheus || !pushgateway) requireService(context, 'prometheus and prometheus-pushgateway (Debian packages)');
  const folder = await mkdtemp(path.join(tmpdir(), 'prometheus-'));
  const [gatewayPort, prometheusPort] = [await freePort(), await freePort()];
  // Debian's build persists to /var/lib/prometheus by default: a file of its own keeps tests apart.
  const gateway = spawn(pushgateway, [`--web.listen-address=127.0.0.1:${gatewayPort}`, `--persistence.file=${path.join(folder, 'pushgateway.data')}`], { stdio: 'ignore' });
  const config = [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    `rule_files: [${ruleFiles.map((file) => JSON.stringify(file)).join(', ')}]`,
    'scrape_configs:',
    `  - { job_name: stage, static_configs: [{ targets: [${targets.map((target) => JSON.stringify(target)).join(', ')}] }] }`,
    `  - { job_name: pushgateway, honor_labels: true, static_configs: [{ targets: ["127.0.0.1:${gatewayPort}"] }] }`,
  ].join('\n');
  await writeFile(path.join(folder, 'prometheus.yml'), config);
  const server = spawn(prometheus, [`--config.file=${path.join(folder, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(folder, 'data')}`, `--web.listen-address=127.0.0.1:${prometheusPort}`], { stdio: 'ignore' });
  const prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
  const pushgatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  await waitFor(async () => (await fetch(`${pushgatewayUrl}/-/ready`).catch(() => undefined))?.ok === true, 'prometheus-pushgateway');
  await waitFor(async () => (await fetch(`${prometheusUrl}/-/ready`).catch(() => undefined))?.ok === true, 'prometheus');
  return {
    prometheusUrl,
    pushgatewayUrl,
    stop: async () => {
      await Promise.all([stopChild(server), stopChild(gateway)]);
      await rm(folder, { recursive: true, force: true });
    },
  };
}

/** An instant PromQL query against Prometheus's HTTP API: each series' labels and value. */
export async function promQuery(prometheusUrl: string, query: string): Promise<Array<{ metric: Record<string, string>; value: number }>> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await response.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> }; error?: string };
  if (body.status !== 'success') throw new Error(`PromQL ${query}: ${body.error}`);
  return body.data.result.map((series) => ({ metric: series.metric, value: Number(series.value[1]) }));
}
