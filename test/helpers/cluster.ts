import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { ROOT, TOOLS_BIN, requireService, stopChild, waitFor } from './services.js';

export interface Cluster extends ControlPlane {
  /** The API server's loopback port (pods on the host network reach it there). */
  apiPort: number;
  /** What a pod's containers wrote, from the node's log files (the API server cannot reach the kubelet). */
  podLogs(namespace: string, pod: string): string;
  stop(): Promise<void>;
}

/**
 * A single-node cluster on loopback: the control plane of scripts/control-plane.sh with its
 * scheduler, and the node of scripts/node.sh (containerd, runc, kubelet) holding the images of
 * tools/image (scripts/build-image.sh).
 */
export async function startCluster(context: Mocha.Context): Promise<Cluster> {
  for (const binary of ['kube-scheduler', 'kubelet']) if (!existsSync(path.join(TOOLS_BIN, binary))) requireService(context, `${binary} (tools/bin/${binary})`);
  if (!existsSync(path.join(ROOT, 'tools', 'image', 'titelive-etl-test.oci.tar'))) requireService(context, 'the test image (bash scripts/build-image.sh)');
  const previous = process.env.SCHEDULER;
  process.env.SCHEDULER = '1';
  let plane: ControlPlane;
  try {
    plane = await startControlPlane(context);
  } finally {
    if (previous === undefined) delete process.env.SCHEDULER;
    else process.env.SCHEDULER = previous;
  }
  const dir = path.join(path.dirname(plane.kubeconfig), 'node');
  const node: ChildProcess = spawn('bash', [path.join(ROOT, 'scripts', 'node.sh'), dir, plane.kubeconfig], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  node.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await waitFor(async () => existsSync(path.join(dir, 'ready')) || node.exitCode !== null, 'the node (containerd and kubelet)', 180_000);
    if (node.exitCode !== null) throw new Error(`node.sh exited ${node.exitCode}: ${stderr}`);
  } catch (error) {
    await stopChild(node);
    await plane.stop();
    throw error;
  }
  const server = /server: https:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(plane.kubeconfig, 'utf8'));
  return {
    ...plane,
    apiPort: Number(server![1]),
    podLogs: (namespace, pod) => {
      const logs = path.join(dir, 'pods-logs');
      const folder = readdirSync(logs).find((name) => name.startsWith(`${namespace}_${pod}_`));
      if (!folder) return '';
      // CRI log lines: "<time> <stream> <P|F> <text>".
      return readdirSync(path.join(logs, folder), { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile() && entry.name.endsWith('.log'))
        .map((entry) => readFileSync(path.join(entry.parentPath, entry.name), 'utf8').split('\n').map((line) => line.split(' ').slice(3).join(' ')).join('\n'))
        .join('\n');
    },
    stop: async () => {
      await stopChild(node);
      await plane.stop();
    },
  };
}

export interface ContainerProcess {
  pid: number;
  args: string[];
  env: Record<string, string>;
  uid: number;
  gid: number;
  /** How the container's root filesystem is mounted, as the process sees it. */
  rootReadOnly: boolean;
}

/** The processes of this machine running the CLI inside a container (in a mount namespace of their own). */
export function containerCliProcesses(): ContainerProcess[] {
  const found: ContainerProcess[] = [];
  const hostMounts = readlinkSync('/proc/self/ns/mnt');
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (!args.includes('/app/dist/cli.js') || readlinkSync(`/proc/${entry}/ns/mnt`) === hostMounts) continue;
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const ids = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)![1]);
      const env = Object.fromEntries(readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
      // mountinfo: "id parent major:minor root mountpoint options …"
      const rootMount = readFileSync(`/proc/${entry}/mountinfo`, 'utf8').split('\n').map((line) => line.split(' ')).find((fields) => fields[4] === '/');
      found.push({ pid: Number(entry), args, env, uid: ids('Uid'), gid: ids('Gid'), rootReadOnly: (rootMount?.[5] ?? '').split(',').includes('ro') });
    } catch {
      // The process ended while it was read.
    }
  }
  return found;
}
