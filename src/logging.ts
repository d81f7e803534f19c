/**
 * Logging: pino-compatible (`logger.info(obj, msg)`), silent by default.
 * Events carry an `event` field named as in the Python package. Callers pass only
 * IAM identifiers and metadata: never emails, names, secrets, tokens or assertions.
 */

export interface Logger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}

const noop = (): void => {};

export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** Accepts a partial logger (e.g. one with only `info` and `error`). */
export type LoggerLike = Partial<Logger>;

export function toLogger(logger: LoggerLike | undefined): Logger {
  if (!logger) return silentLogger;
  return {
    debug: logger.debug?.bind(logger) ?? noop,
    info: logger.info?.bind(logger) ?? noop,
    warn: logger.warn?.bind(logger) ?? noop,
    error: logger.error?.bind(logger) ?? noop,
  };
}
