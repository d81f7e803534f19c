/**
 * Keeping secrets out of printed objects. Whatever route prints an object of
 * this package (console.log, util.inspect even with showHidden, JSON.stringify,
 * String, or any of these on a `{ ...copy }`), no secret comes out: a secret
 * lives in a private field, or in a box that prints as ***REDACTED***.
 */
import { inspect } from 'node:util';

export const REDACTED = '***REDACTED***';

/** A secret that prints as ***REDACTED*** by every route; `reveal()` gives the value. */
export class RedactedSecret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/**
 * Where a config object keeps its client secret: an own enumerable symbol key holding
 * a RedactedSecret. Spreading copies it (so `createAdapter({ ...config, audience })`
 * still authenticates), and no printing route shows it.
 */
export const CLIENT_SECRET: unique symbol = Symbol.for('dual-auth.clientSecret');

/** The client secret of a config or a spread copy of one, when it carries a boxed one. */
export function boxedClientSecret(config: object): string | undefined {
  const boxed = (config as { [CLIENT_SECRET]?: unknown })[CLIENT_SECRET];
  // Duck-typed: a config made by another loaded copy of the package carries another class.
  return typeof (boxed as RedactedSecret | undefined)?.reveal === 'function' ? (boxed as RedactedSecret).reveal() : undefined;
}
