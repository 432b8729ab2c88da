import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
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
  const binary = path.join(TOOLS_BIN, 'ferretdb');
  if (!existsSync(binary)) requireService(context, 'FerretDB (tools/bin/ferretdb) or MONGODB_URI');
  const port = await freePort();
  const state = await mkdtemp(path.join(tmpdir(), 'ferretdb-'));
  const child = spawn(binary, ['--handler=sqlite', `--sqlite-url=file:${state}/`, `--state-dir=${state}`, `--listen-addr=127.0.0.1:${port}`, '--telemetry=disable', '--log-level=error', '--debug-addr=-'], { stdio: 'ignore' });
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.end();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      }),
    'FerretDB',
  );
  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    stop: async () => {
      await stopChild(child);
      await rm(state, { recursive: true, force: true });
    },
  };
}
