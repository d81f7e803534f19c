/**
 * Replay protection for act JWTs. The reference keeps every jti forever; here a
 * jti is kept until the end of its JWT's acceptance window, and the number kept
 * is capped. For several processes, implement ReplayCache over a shared store
 * (dual-auth/redis, or e.g. Redis `SET key 1 NX EXAT expiresAt`).
 */
import { NON_NEGATIVE, POSITIVE_INTEGER, numberOption } from '../options.js';

export interface ReplayCache {
  /**
   * Records `jti` and returns true, or returns false when it is already recorded.
   * `expiresAt` (epoch seconds) is the end of the JWT's acceptance window: its `exp`
   * plus the verifier's clock tolerance. Until then the JWT would still be accepted,
   * so the store must keep the jti at least that long (with Redis: `EXAT expiresAt`).
   */
  checkAndStore(jti: string, expiresAt: number): boolean | Promise<boolean>;
}

export class ReplayCacheFullError extends Error {}

/** A jti and when it may be forgotten (epoch seconds). */
type Entry = readonly [forgetAt: number, jti: string];

const DEFAULT_MAX_ENTRIES = 100_000;
const DEFAULT_GRACE_SECONDS = 0;

export interface MemoryReplayCacheOptions {
  /** Most jtis kept at once; when all are unexpired, new JWTs are refused. Default is 100000 (jtis). */
  maxEntries?: number;
  /**
   * Extra time a jti is kept after `expiresAt`, which already includes the verifier's
   * clock tolerance. Default is 0 (seconds).
   */
  graceSeconds?: number;
  /** The clock, in epoch seconds (tests). Default is `Date.now() / 1000`. */
  now?: () => number;
}

/**
 * In-memory ReplayCache. Expiry order is kept in a binary min-heap: each call
 * forgets only what has expired, a full cache refuses in O(1) and a stored jti
 * costs O(log n); no call scans the whole cache.
 */
export class MemoryReplayCache implements ReplayCache {
  /** jti -> when it may be forgotten (epoch seconds). */
  private readonly seen = new Map<string, number>();
  /** The same entries in a min-heap on forgetAt. */
  private readonly heap: Entry[] = [];
  private readonly maxEntries: number;
  private readonly graceSeconds: number;
  private readonly now: () => number;

  constructor(options: MemoryReplayCacheOptions = {}) {
    this.maxEntries = numberOption('maxEntries', options.maxEntries, DEFAULT_MAX_ENTRIES, POSITIVE_INTEGER);
    this.graceSeconds = numberOption('graceSeconds', options.graceSeconds, DEFAULT_GRACE_SECONDS, NON_NEGATIVE);
    this.now = options.now ?? (() => Date.now() / 1000);
  }

  get size(): number {
    return this.seen.size;
  }

  checkAndStore(jti: string, expiresAt: number): boolean {
    this.forgetExpired(this.now());
    if (this.seen.has(jti)) return false;
    if (this.seen.size >= this.maxEntries) {
      // Refusing is safer than forgetting an unexpired jti (which would allow a replay).
      throw new ReplayCacheFullError('replay cache full');
    }
    const forgetAt = expiresAt + this.graceSeconds;
    this.seen.set(jti, forgetAt);
    this.push([forgetAt, jti]);
    return true;
  }

  private forgetExpired(now: number): void {
    while (this.heap.length > 0 && (this.heap[0] as Entry)[0] <= now) {
      this.seen.delete(this.pop()[1]);
    }
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    let index = heap.push(entry) - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if ((heap[parent] as Entry)[0] <= entry[0]) break;
      heap[index] = heap[parent] as Entry;
      index = parent;
    }
    heap[index] = entry;
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0] as Entry;
    const last = heap.pop() as Entry;
    if (heap.length > 0) {
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && (heap[right] as Entry)[0] < (heap[left] as Entry)[0] ? right : left;
        if ((heap[child] as Entry)[0] >= last[0]) break;
        heap[index] = heap[child] as Entry;
        index = child;
      }
      heap[index] = last;
    }
    return top;
  }
}
