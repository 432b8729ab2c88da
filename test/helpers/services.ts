import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
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
