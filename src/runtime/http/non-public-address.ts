import { BlockList, isIP } from 'node:net';

/**
 * Addresses that are not on the public internet: loopback, private, link-local (the cloud
 * metadata endpoint is 169.254.169.254), carrier-grade NAT, unspecified, multicast and
 * reserved ranges, in IPv4 and IPv6. IPv4-mapped IPv6 addresses are checked as IPv4.
 */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) NON_PUBLIC.addSubnet(network, prefix, 'ipv6');

/** True for an address a request from inside the cluster must not reach unless it was named. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}
