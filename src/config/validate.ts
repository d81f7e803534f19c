/** Configuration checks with the Python package's texts. Warnings go to the logger, never to stdout. */
import { accessSync, constants, statSync } from 'node:fs';
import { ConfigurationError } from '../errors.js';
import type { Logger } from '../logging.js';

export function validateHttpsUrl(url: string, fieldName: string): void {
  if (!url) throw new ConfigurationError(`${fieldName} cannot be empty`);
  if (!url.startsWith('https://')) {
    if (url.includes('://')) {
      throw new ConfigurationError(`${fieldName} must use HTTPS for security. Got scheme: ${url.split('://')[0]}`, 'ERR_INSECURE_URL');
    }
    throw new ConfigurationError(`${fieldName} must use HTTPS. Example: https://example.com/path`, 'ERR_INSECURE_URL');
  }
}

export function validateUrlFormat(url: string, fieldName: string, logger: Logger): void {
  // As Python's urlparse: the host is what follows "scheme://" up to / ? #. (WHATWG URL would read
  // "https:///realms/x" as host "realms".) No URL object: getConfig runs this on every call.
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
  const host = authority.slice(authority.lastIndexOf('@') + 1).replace(/:\d*$/, '');
  // The reference wraps its own "missing hostname" error in "has invalid URL format: ".
  if (!host) throw new ConfigurationError(`${fieldName} has invalid URL format: ${fieldName} missing hostname`);
  if (host === 'localhost' || host.startsWith('127.')) {
    logger.warn({ event: 'config_localhost_url', field: fieldName }, `${fieldName} uses localhost. This should only be used in development.`);
  }
}

export function validateFileExists(filePath: string, fieldName: string, logger: Logger): void {
  if (!filePath) throw new ConfigurationError(`${fieldName} cannot be empty`);
  let stats;
  try {
    stats = statSync(filePath);
  } catch {
    throw new ConfigurationError(`${fieldName} file does not exist: ${filePath}`);
  }
  if (!stats.isFile()) throw new ConfigurationError(`${fieldName} path is not a file: ${filePath}`);
  try {
    accessSync(filePath, constants.R_OK);
  } catch {
    throw new ConfigurationError(`${fieldName} file is not readable: ${filePath}`);
  }
  if (stats.mode & 0o004) {
    logger.warn({ event: 'config_key_world_readable', field: fieldName }, `${fieldName} file is world-readable. Consider: chmod 600 ${filePath}`);
  }
}
