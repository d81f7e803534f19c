/**
 * A retry budget: retries may add only a share of the traffic, so that a failing
 * server is not sent three times the load it already cannot carry (a retry storm).
 * As Finagle's RetryBudget and gRPC's retry throttling: a token bucket per client.
 * Each request earns `ratio` of a retry; each retry spends one; `minPerSecond`
 * retries a second are always allowed, so that a client with little traffic still
 * retries as the reference does. The bucket holds at most ten seconds of both.
 */
import { ConfigurationError } from '../errors.js';
import { NON_NEGATIVE, numberOption } from '../options.js';

export interface RetryBudgetOptions {
  /** The share of requests that may be retried: each request earns this much of a retry. Default is 0.2 (20 %). */
  ratio?: number;
  /** Retries allowed every second whatever the traffic. Default is 10 (retries per second). */
  minPerSecond?: number;
}

export const DEFAULT_RETRY_BUDGET: Readonly<Required<RetryBudgetOptions>> = Object.freeze({ ratio: 0.2, minPerSecond: 10 });

/** How many seconds of deposits the bucket keeps (Finagle's ttl). */
const WINDOW_SECONDS = 10;

export class RetryBudget {
  private readonly ratio: number;
  private readonly minPerSecond: number;
  private readonly capacity: number;
  private tokens: number;
  private refilledAt = performance.now();

  constructor(options: RetryBudgetOptions = {}) {
    if (options === null || typeof options !== 'object') throw new ConfigurationError('"retryBudget" must be an object or false');
    this.ratio = numberOption('retryBudget.ratio', options.ratio, DEFAULT_RETRY_BUDGET.ratio, NON_NEGATIVE);
    this.minPerSecond = numberOption('retryBudget.minPerSecond', options.minPerSecond, DEFAULT_RETRY_BUDGET.minPerSecond, NON_NEGATIVE);
    if (this.ratio > 1) throw new ConfigurationError('"retryBudget.ratio" must be a finite number from 0 to 1');
    this.capacity = Math.max(1, this.minPerSecond * WINDOW_SECONDS);
    this.tokens = this.minPerSecond;
  }

  /** A first attempt was made: it earns its share of a retry. */
  deposit(): void {
    this.refill();
    this.tokens = Math.min(this.capacity, this.tokens + this.ratio);
  }

  /** True, spending one retry, when the budget allows another attempt. */
  tryWithdraw(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) / 1000) * this.minPerSecond);
    this.refilledAt = now;
  }
}
