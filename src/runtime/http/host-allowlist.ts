import { isIP } from 'node:net';
import { ConfigError } from '../errors.js';

/**
 * One entry of a host allowlist:
 * - `images.example.com` or `images.example.com:8443`: that host, over https;
 * - `*.example.com`: any host under example.com, over https (never example.com itself);
 * - `http://127.0.0.1:9000`: exactly that origin, scheme included (a local test server).
 * A wildcard names no host, so its hosts must resolve to public addresses; a host listed by
 * name may resolve to a private or loopback one (a sandbox, a proxy of one's own).
 */
export interface AllowedHost {
  protocol: 'https:' | 'http:';
  /** Lower-case host name or IP literal (IPv6 in brackets); a wildcard's suffix with its leading dot. */
  hostname: string;
  /** The port as in a URL's `port`: '' for the scheme's default. */
  port: string;
  wildcard: boolean;
}

export type Admission = { allowed: true; byName: boolean } | { allowed: false; reason: string };

/** A request the allowlist refused: never sent, and never worth a retry. */
export class HostNotAllowedError extends Error {
  override name = 'HostNotAllowedError';
  readonly code = 'EHOSTNOTALLOWED';
}

/** `text`: comma- or space-separated entries (see AllowedHost); `from` names the setting in errors. */
export function parseAllowedHosts(text: string, from: string): AllowedHost[] {
  const entries = text.split(/[\s,]+/).filter((entry) => entry !== '');
  if (entries.length === 0) throw new ConfigError(`${from}: no host given; list the hosts covers may come from, e.g. images.epagine.fr`);
  return entries.map((entry) => parseEntry(entry, from));
}

function parseEntry(entry: string, from: string): AllowedHost {
  const bad = (why: string) => new ConfigError(`${from}: "${entry}" ${why}; expected a host (images.example.com), a wildcard (*.example.com) or an origin (http://127.0.0.1:9000)`);
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(entry);
  const wildcard = !withScheme && entry.startsWith('*.');
  let url: URL;
  try {
    url = new URL(withScheme ? entry : `https://${wildcard ? entry.slice(2) : entry}`);
  } catch {
    throw bad('is not a host name');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw bad(`has the scheme ${url.protocol}, not http or https`);
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) throw bad('has more than a host');
  if (wildcard && isIP(url.hostname) !== 0) throw bad('is a wildcard of an IP address');
  return { protocol: url.protocol, hostname: wildcard ? `.${url.hostname}` : url.hostname, port: url.port, wildcard };
}

/** Whether `url` may be requested under `hosts`, and whether its host is listed by name. */
export function admitUrl(hosts: readonly AllowedHost[], url: URL): Admission {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { allowed: false, reason: `${url.protocol} is not http or https` };
  let wildcardMatch = false;
  for (const host of hosts) {
    if (host.protocol !== url.protocol || host.port !== url.port) continue;
    if (!host.wildcard && host.hostname === url.hostname) return { allowed: true, byName: true };
    if (host.wildcard && url.hostname.endsWith(host.hostname)) wildcardMatch = true;
  }
  if (wildcardMatch) return { allowed: true, byName: false };
  return { allowed: false, reason: `${url.protocol}//${url.host} is not in the allowed hosts` };
}

/** The entries as they are written, for messages. */
export function describeAllowedHosts(hosts: readonly AllowedHost[]): string {
  return hosts.map((host) => `${host.protocol === 'https:' && !host.port ? '' : `${host.protocol}//`}${host.wildcard ? `*${host.hostname}` : host.hostname}${host.port ? `:${host.port}` : ''}`).join(',');
}
