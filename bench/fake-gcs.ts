/** fake-gcs-server for benchmarks: the one STORAGE_EMULATOR_HOST names, or one started from ./tools. */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startFakeGcs(): Promise<{ host: string; stop: () => void }> {
  if (process.env.STORAGE_EMULATOR_HOST) return { host: process.env.STORAGE_EMULATOR_HOST.replace(/^https?:\/\//, ''), stop: () => undefined };
  const binary = path.join(root, 'tools', 'bin', 'fake-gcs-server');
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run npm run tools first`);
  const port = await freePort();
  // The filesystem backend (on tmpfs when there is one): the memory backend's cost per request
  // grows with the number of objects (docs/benchmarks.md), which would measure the emulator
  // rather than the command.
  const storageRoot = await mkdtemp(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'fake-gcs-'));
  const child = spawn(binary, ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(port), '-backend', 'filesystem', '-filesystem-root', storageRoot, '-public-host', `127.0.0.1:${port}`, '-log-level', 'error'], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (await fetch(`http://${host}/storage/v1/b`).then((r) => r.ok, () => false)) {
      return {
        host,
        stop: () => {
          child.kill();
          rmSync(storageRoot, { recursive: true, force: true });
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error('fake-gcs-server did not start within 20 s');
}
