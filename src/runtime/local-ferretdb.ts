import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `bash scripts/install-tools.sh` puts FerretDB, from src/runtime or dist/runtime alike. */
export const FERRETDB_BINARY = fileURLToPath(new URL('../../tools/bin/ferretdb', import.meta.url));

export interface LocalMongo {
  uri: string;
  stop(): Promise<void>;
}

/**
 * A throwaway MongoDB-compatible server for a local run: FerretDB on SQLite in a temporary
 * folder, on a free loopback port. Undefined when the tools folder has no FerretDB.
 */
export async function startLocalFerretDb(binary = FERRETDB_BINARY, timeoutMs = 20_000): Promise<LocalMongo | undefined> {
  if (!existsSync(binary)) return undefined;
  const state = await mkdtemp(path.join(tmpdir(), 'titelive-etl-ferretdb-'));
  const port = await freePort();
  const child = spawn(binary, ['--handler=sqlite', `--sqlite-url=file:${state}/`, `--state-dir=${state}`, `--listen-addr=127.0.0.1:${port}`, '--telemetry=disable', '--log-level=error', '--debug-addr=-'], { stdio: 'ignore' });
  const stop = async () => {
    await stopChild(child);
    await rm(state, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, timeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return { uri: `mongodb://127.0.0.1:${port}/`, stop };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`FerretDB (${FERRETDB_BINARY}) exited with code ${child.exitCode} before listening`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`FerretDB did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
