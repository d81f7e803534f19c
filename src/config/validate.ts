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
  // WHATWG URL would read 'https:///path' as host 'path'; Python's urlparse (and we) see no host.
  const authority = url.slice(url.indexOf('://') + 3).split(/[/?#]/)[0] ?? '';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigurationError(`${fieldName} missing hostname`);
  }
  if (!authority || !parsed.host) throw new ConfigurationError(`${fieldName} missing hostname`);
  if (parsed.hostname === 'localhost' || parsed.hostname.startsWith('127.')) {
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
