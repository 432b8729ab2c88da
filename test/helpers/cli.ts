import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './services.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI from source, as a separate process, the way a pod runs it. */
export function startCli(args: string[], env: Record<string, string | undefined> = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...cleanEnv(), LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

/** The environment without anything that would change how the CLI is configured. */
function cleanEnv(): Record<string, string | undefined> {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(TITELIVE_|DATA_URL|RUN_ID|CATEGORY|SHARD_COUNT|JOB_COMPLETION_INDEX|PARALLELISM|LIMIT|WINDOW_DAYS|MIN_MODIFIED_DATE|MAX_MODIFIED_DATE|LOG_|SKIP_COMPLETE_SHARDS|KUBECONFIG|POD_NAMESPACE|RELEASE_NAME|PIPELINE_|POLL_INTERVAL_MS)/.test(key)) delete env[key];
  }
  return env;
}
