import { sleep } from './sleep.js';

export interface RateLimiter {
  /** Resolves when the caller may send one request; returns how long it waited (ms). */
  take(signal?: AbortSignal): Promise<number>;
}

export interface SlottedTokenBucketOptions {
  /** Requests per second for the whole deployment (TITELIVE_RATE_LIMIT). */
  totalPerSecond: number;
  /** Pods sharing the budget at once (PARALLELISM); this pod gets totalPerSecond ÷ parallelism. */
  parallelism: number;
  /** This pod's slot, 0 ≤ slot < parallelism (its shard index modulo the parallelism). */
  slot: number;
  /** Fraction of the budget left unused as a safety margin against clock and network jitter. */
  guard?: number;
  now?: () => number;
}

/**
 * A token bucket of one token whose refills fall on this pod's slots of one wall-clock schedule.
 *
 * Time is cut into slots of L = (1 + guard) / totalPerSecond seconds; slot k belongs to pod
 * k mod parallelism. A pod sends only at the start of its own slots (within a small window), so
 * pods that never talk to each other still never send in the same slot, and no window of one
 * second holds more than totalPerSecond requests from the whole deployment. Each pod's share is
 * totalPerSecond ÷ parallelism ÷ (1 + guard). Two pods that end up with the same slot (an
 * Indexed Job whose indexes collide modulo the parallelism) only share that slot's rate: the
 * total can drop, it cannot rise. Clocks of pods on different nodes agree to within NTP's few
 * milliseconds, well inside the guard.
 */
export class SlottedTokenBucket implements RateLimiter {
  readonly slotSeconds: number;
  /** How far into its slot a pod may still send; past it, it waits for its next slot. */
  readonly sendWindowSeconds: number;
  private readonly parallelism: number;
  private readonly slot: number;
  private readonly now: () => number;
  private lastSlotUsed = -1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: SlottedTokenBucketOptions) {
    if (!(options.totalPerSecond > 0)) throw new Error('the rate budget must be greater than 0');
    if (!Number.isInteger(options.parallelism) || options.parallelism < 1) throw new Error('parallelism must be a whole number ≥ 1');
    // 10 %: a request that leaves its slot late (its process waited for a core) still cannot push
    // any second over the budget; a smaller guard was not enough (docs/benchmarks.md, Design measurements).
    const guard = options.guard ?? 0.1;
    this.parallelism = options.parallelism;
    this.slot = ((options.slot % options.parallelism) + options.parallelism) % options.parallelism;
    this.slotSeconds = (1 + guard) / options.totalPerSecond;
    // Sending late in a slot eats into the margin; allow half of it (g/2 seconds), at most half a slot.
    const fraction = Math.min(0.5, (options.totalPerSecond * guard) / (1 + guard) / 2);
    this.sendWindowSeconds = this.slotSeconds * fraction;
    this.now = options.now ?? (() => Date.now() / 1000);
  }

  /** Requests per second this pod can reach. */
  get perPodPerSecond(): number {
    return 1 / (this.slotSeconds * this.parallelism);
  }

  take(signal?: AbortSignal): Promise<number> {
    // Callers are served one at a time, in order, so concurrent requests get successive slots.
    const turn = this.queue.then(() => this.waitForSlot(signal));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async waitForSlot(signal?: AbortSignal): Promise<number> {
    const started = this.now();
    for (;;) {
      const now = this.now();
      const current = Math.floor(now / this.slotSeconds);
      const intoSlot = now - current * this.slotSeconds;
      if (this.owns(current) && current > this.lastSlotUsed && intoSlot <= this.sendWindowSeconds) {
        this.lastSlotUsed = current;
        return Math.max(0, (this.now() - started) * 1000);
      }
      const next = this.nextOwnedSlot(current + 1);
      // +1 ms: a timer may fire a hair before the slot boundary by the wall clock.
      await sleep(Math.max(0, (next * this.slotSeconds - now) * 1000) + 1, signal);
    }
  }

  private owns(slotNumber: number): boolean {
    return slotNumber % this.parallelism === this.slot;
  }

  private nextOwnedSlot(from: number): number {
    const offset = (this.slot - (from % this.parallelism) + this.parallelism) % this.parallelism;
    return from + offset;
  }
}

/** No budget: for hosts without a shared rate limit (image hosts, storage). */
export const unlimited: RateLimiter = { take: async () => 0 };
