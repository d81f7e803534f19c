/**
 * Replay protection for act JWTs. The reference keeps every jti forever; here a
 * jti is forgotten once its JWT has expired, and the number kept is capped.
 * For several processes, implement ReplayCache over a shared store (e.g. Redis SET NX EX).
 */
import { NON_NEGATIVE, POSITIVE_INTEGER, numberOption } from '../options.js';

export interface ReplayCache {
  /** Records `jti` until `expiresAt` (epoch seconds); false when it was already there. */
  checkAndStore(jti: string, expiresAt: number): boolean | Promise<boolean>;
}

export class ReplayCacheFullError extends Error {}

export interface MemoryReplayCacheOptions {
  /** Most jtis kept at once. Default 100 000. */
  maxEntries?: number;
  /** Extra seconds a jti is kept after its exp (covers verifier clock tolerance). Default 60. */
  graceSeconds?: number;
  now?: () => number;
}

export class MemoryReplayCache implements ReplayCache {
  private readonly seen = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly graceSeconds: number;
  private readonly now: () => number;
  private nextSweep = 0;

  constructor(options: MemoryReplayCacheOptions = {}) {
    this.maxEntries = numberOption('maxEntries', options.maxEntries, 100_000, POSITIVE_INTEGER);
    this.graceSeconds = numberOption('graceSeconds', options.graceSeconds, 60, NON_NEGATIVE);
    this.now = options.now ?? (() => Date.now() / 1000);
  }

  get size(): number {
    return this.seen.size;
  }

  checkAndStore(jti: string, expiresAt: number): boolean {
    const now = this.now();
    const known = this.seen.get(jti);
    if (known !== undefined && known > now) return false;
    if (now >= this.nextSweep || this.seen.size >= this.maxEntries) this.sweep(now);
    if (this.seen.size >= this.maxEntries) {
      // Refusing is safer than forgetting an unexpired jti (which would allow a replay).
      throw new ReplayCacheFullError('replay cache full');
    }
    this.seen.delete(jti);
    this.seen.set(jti, expiresAt + this.graceSeconds);
    return true;
  }

  private sweep(now: number): void {
    for (const [jti, forgetAt] of this.seen) if (forgetAt <= now) this.seen.delete(jti);
    this.nextSweep = now + 10;
  }
}
