import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { HostNotAllowedError } from './host-allowlist.js';
import { isNonPublicAddress } from './non-public-address.js';

/**
 * A `lookup` for sockets that may reach public addresses only: the name is resolved as usual,
 * and refused with HostNotAllowedError when any of its addresses is not public. Run when the
 * socket connects, so the address checked is the one used. `hop` names the request in errors.
 */
export function publicOnlyLookup(hop: string): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 4);
      const refused = addresses.find((entry) => isNonPublicAddress(entry.address));
      if (refused) return callback(new HostNotAllowedError(`${hop}: host not allowed (${hostname} resolves to ${refused.address}, not a public address)`), '', 4);
      if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}
