import { ConfigError } from './errors.js';

export interface Shard {
  index: number;
  count: number;
}

/**
 * The one assignment of items to shards: FNV-1a (32-bit) of the item's key, mixed by
 * MurmurHash3's finaliser (FNV alone keeps the low bits of EAN-like keys too regular), modulo
 * the shard count. It is pure, so a rerun of shard i gets exactly the items it had before, and it does not
 * depend on how the upstream stage was sharded.
 */
export function shardOfKey(key: string, shardCount: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash ^= hash >>> 16;
  return (hash >>> 0) % shardCount;
}

export function belongsToShard(key: string, shard: Shard): boolean {
  return shardOfKey(key, shard.count) === shard.index;
}

export function validateShard(shard: Shard, from: string): Shard {
  if (!Number.isInteger(shard.count) || shard.count < 1) {
    throw new ConfigError(`${from}: the shard count must be a whole number of at least 1, got ${shard.count}`);
  }
  if (!Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.count) {
    throw new ConfigError(
      `${from}: the shard index must be between 0 and ${shard.count - 1} (shard count ${shard.count}), got ${shard.index}`,
    );
  }
  return shard;
}

/** `part-00003-of-00008` style numbering used by every path in a run. */
export function padShardNumber(value: number): string {
  return String(value).padStart(5, '0');
}
