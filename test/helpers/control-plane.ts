import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, TOOLS_BIN, requireService, stopChild, waitFor } from './services.js';

export interface ControlPlane {
  kubeconfig: string;
  /** Whether Jobs get Pods (kube-controller-manager runs). */
  controllers: boolean;
  kubectl(args: string[], input?: string): SpawnSyncReturns<string>;
  helm(args: string[]): SpawnSyncReturns<string>;
  stop(): Promise<void>;
}

/**
 * A real kube-apiserver + etcd (+ kube-controller-manager) from scripts/control-plane.sh, or the
 * cluster of TEST_KUBECONFIG when set (a disposable one: the tests install and delete things).
 */
export async function startControlPlane(context: Mocha.Context): Promise<ControlPlane> {
  const kubectlBinary = existsSync(path.join(TOOLS_BIN, 'kubectl')) ? path.join(TOOLS_BIN, 'kubectl') : 'kubectl';
  const helmBinary = path.join(TOOLS_BIN, 'helm');
  if (!existsSync(helmBinary)) requireService(context, 'helm (tools/bin/helm)');
  if (spawnSync(kubectlBinary, ['version', '--client'], { encoding: 'utf8' }).status !== 0) requireService(context, 'kubectl');
  const home = await mkdtemp(path.join(tmpdir(), 'control-plane-'));
  const tools = (kubeconfig: string) => {
    const env = { ...process.env, KUBECONFIG: kubeconfig, HELM_CACHE_HOME: path.join(home, 'helm-cache'), HELM_CONFIG_HOME: path.join(home, 'helm-config'), HELM_DATA_HOME: path.join(home, 'helm-data') };
    return {
      kubectl: (args: string[], input?: string) => spawnSync(kubectlBinary, args, { encoding: 'utf8', env, input }),
      helm: (args: string[]) => spawnSync(helmBinary, args, { encoding: 'utf8', env }),
    };
  };
  const given = process.env.TEST_KUBECONFIG;
  if (given) return { kubeconfig: given, controllers: true, ...tools(given), stop: async () => undefined };

  for (const binary of ['kube-apiserver', 'kube-controller-manager']) {
    if (!existsSync(path.join(TOOLS_BIN, binary))) requireService(context, `${binary} (tools/bin/${binary})`);
  }
  if (spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' }).status !== 0) requireService(context, 'etcd (Debian package etcd-server)');
  const dir = path.join(home, 'cluster');
  const child = spawn('bash', [path.join(ROOT, 'scripts', 'control-plane.sh'), dir], { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await waitFor(async () => existsSync(path.join(dir, 'ready')) || child.exitCode !== null, 'the control plane', 120_000);
  } catch (error) {
    await stopChild(child);
    await rm(home, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
  if (child.exitCode !== null) throw new Error(`control-plane.sh exited ${child.exitCode}: ${stderr}`);
  const kubeconfig = path.join(dir, 'kubeconfig');
  const plane = { kubeconfig, controllers: true, ...tools(kubeconfig) };
  // The controller manager creates each namespace's default ServiceAccount: wait for it once.
  await waitFor(async () => plane.kubectl(['get', 'serviceaccount', 'default', '-n', 'default']).status === 0, 'the default ServiceAccount', 60_000);
  return {
    ...plane,
    stop: async () => {
      await stopChild(child);
      // etcd's data, the node's and the logs: tens to hundreds of MB a run.
      await rm(home, { recursive: true, force: true }).catch((error: unknown) => process.stderr.write(`could not remove ${home}: ${String(error)}\n`));
    },
  };
}

/** Parses `kubectl … -o json`, failing with kubectl's message. */
export function json<T = Record<string, unknown>>(result: SpawnSyncReturns<string>): T {
  if (result.status !== 0) throw new Error(`kubectl failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
