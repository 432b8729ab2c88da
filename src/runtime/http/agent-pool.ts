import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';

export interface ProxySettings {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string[];
}

export interface AgentPoolOptions {
  /** Sockets per upstream host; with keep-alive, also the number of requests in flight per host. */
  maxSockets: number;
  keepAliveMsecs?: number;
  proxy?: ProxySettings;
}

export interface HostAgents {
  http: http.Agent;
  https: https.Agent;
  /** Which of the two go through a proxy (which then resolves the host's name). */
  proxied: { http: boolean; https: boolean };
}

export interface PoolStats {
  host: string;
  socketsCreated: number;
  socketsInUse: number;
}

/**
 * One capped keep-alive agent per upstream host, so each host gets at most `maxSockets`
 * connections and every connection is reused. Behind HTTP(S)_PROXY the agents are hpagent's.
 */
export class AgentPool {
  private readonly agents = new Map<string, HostAgents>();
  private readonly created = new Map<string, number>();

  constructor(private readonly options: AgentPoolOptions) {}

  agentsFor(url: string): HostAgents {
    const host = new URL(url).host;
    let agents = this.agents.get(host);
    if (!agents) {
      agents = this.createAgents(new URL(url).hostname, host);
      this.agents.set(host, agents);
    }
    return agents;
  }

  stats(): PoolStats[] {
    return [...this.agents].map(([host, agents]) => ({
      host,
      socketsCreated: this.created.get(host) ?? 0,
      socketsInUse: countSockets(agents.http.sockets) + countSockets(agents.https.sockets),
    }));
  }

  destroy(): void {
    for (const agents of this.agents.values()) {
      agents.http.destroy();
      agents.https.destroy();
    }
    this.agents.clear();
  }

  private createAgents(hostname: string, host: string): HostAgents {
    const base = { keepAlive: true, keepAliveMsecs: this.options.keepAliveMsecs ?? 1_000, maxSockets: this.options.maxSockets, maxFreeSockets: this.options.maxSockets, scheduling: 'lifo' as const };
    const proxy = this.options.proxy;
    const bypass = proxy ? (proxy.noProxy ?? []).some((entry) => matchesNoProxy(hostname, entry)) : true;
    const httpAgent = proxy?.httpProxy && !bypass ? new HttpProxyAgent({ ...base, proxy: proxy.httpProxy }) : new http.Agent(base);
    const httpsAgent = proxy?.httpsProxy && !bypass ? new HttpsProxyAgent({ ...base, proxy: proxy.httpsProxy }) : new https.Agent(base);
    this.countCreatedSockets(httpAgent, host);
    this.countCreatedSockets(httpsAgent, host);
    return { http: httpAgent, https: httpsAgent, proxied: { http: httpAgent instanceof HttpProxyAgent, https: httpsAgent instanceof HttpsProxyAgent } };
  }

  private countCreatedSockets(agent: http.Agent, host: string): void {
    type CreateConnection = (...args: unknown[]) => Duplex;
    const withCreate = agent as unknown as { createConnection: CreateConnection };
    const original = withCreate.createConnection.bind(agent);
    withCreate.createConnection = (...args: unknown[]) => {
      this.created.set(host, (this.created.get(host) ?? 0) + 1);
      return original(...args);
    };
  }
}

function countSockets(sockets: NodeJS.ReadOnlyDict<unknown[]>): number {
  return Object.values(sockets).reduce((sum, list) => sum + (list?.length ?? 0), 0);
}

function matchesNoProxy(hostname: string, entry: string): boolean {
  const rule = entry.trim().toLowerCase().replace(/^\*?\./, '');
  if (rule === '') return false;
  if (rule === '*') return true;
  const name = hostname.toLowerCase();
  return name === rule || name.endsWith(`.${rule}`);
}

/** HTTP(S)_PROXY and NO_PROXY as the usual environment variables give them (either case). */
export function proxyFromEnv(env: Record<string, string | undefined>): ProxySettings | undefined {
  const httpProxy = env.HTTP_PROXY ?? env.http_proxy;
  const httpsProxy = env.HTTPS_PROXY ?? env.https_proxy ?? httpProxy;
  if (!httpProxy && !httpsProxy) return undefined;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(',').filter((entry) => entry.trim() !== '');
  return { httpProxy, httpsProxy, noProxy };
}
