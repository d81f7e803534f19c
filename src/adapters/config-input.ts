/**
 * Adapter configuration as given by the caller: the camelCase config of
 * getConfig(), or a Python-style snake_case dict. Normalised to camelCase with
 * hand-written checks (every field a string; `audience` may also be null or empty,
 * meaning none); missing fields get the Python texts. No zod: this runs in
 * adapter constructors, and importing zod cost ~70 ms at start-up (issue 13).
 */
import { boxedClientSecret } from '../domain/redaction.js';
import { DualAuthError } from '../errors.js';

export interface AdapterConfigInput {
  vendor?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  audience?: string | null | undefined;
  scope?: string;
  appPrivateKeyPath?: string;
  appId?: string;
  actAudience?: string;
  // Python-style keys, accepted so a config written for the Python package works unchanged.
  token_url?: string;
  client_id?: string;
  client_secret?: string;
  app_private_key_path?: string;
  app_id?: string;
  act_audience?: string;
}

export interface NormalisedAdapterConfig {
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  audience?: string;
  scope?: string;
  appPrivateKeyPath?: string;
  appId?: string;
  actAudience?: string;
}

const SNAKE_TO_CAMEL: Record<string, keyof NormalisedAdapterConfig> = {
  token_url: 'tokenUrl',
  client_id: 'clientId',
  client_secret: 'clientSecret',
  app_private_key_path: 'appPrivateKeyPath',
  app_id: 'appId',
  act_audience: 'actAudience',
};

/** The Python field name of a camelCase field, for messages that must match the reference. */
export const PYTHON_FIELD: Record<keyof NormalisedAdapterConfig, string> = {
  tokenUrl: 'token_url',
  clientId: 'client_id',
  clientSecret: 'client_secret',
  audience: 'audience',
  scope: 'scope',
  appPrivateKeyPath: 'app_private_key_path',
  appId: 'app_id',
  actAudience: 'act_audience',
};

/** The normalised fields, in the order a message names them. */
const FIELDS = Object.keys(PYTHON_FIELD) as Array<keyof NormalisedAdapterConfig>;

export function normaliseAdapterConfig(input: unknown): NormalisedAdapterConfig {
  if (input === null || typeof input !== 'object') {
    throw new DualAuthError('Adapter configuration must be an object', 'ERR_CONFIGURATION');
  }
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const camel = SNAKE_TO_CAMEL[key] ?? key;
    if (value !== undefined && merged[camel] === undefined) merged[camel] = value;
  }
  // A config from getConfig (or a spread copy of one) keeps its secret hidden: see src/domain/redaction.ts.
  merged.clientSecret ??= boxedClientSecret(input);
  const normalised: NormalisedAdapterConfig = {};
  const invalid: string[] = [];
  for (const field of FIELDS) {
    const value = merged[field];
    // An empty or null audience means none (the reference tests `if audience:`).
    if (field === 'audience' && (value === null || value === '')) continue;
    if (value === undefined) continue;
    if (typeof value === 'string') normalised[field] = value;
    else invalid.push(PYTHON_FIELD[field]);
  }
  if (invalid.length > 0) throw new DualAuthError(`Invalid configuration: ${invalid.join(', ')} must be a string`, 'ERR_CONFIGURATION');
  return normalised;
}

/** Python `validate_adapter_config`: throws when a field is missing. Accepts either naming style. */
export function validateAdapterConfig(config: Record<string, unknown>, requiredFields: readonly string[]): void {
  const normalised = normaliseAdapterConfig(config) as Record<string, unknown>;
  const missing = requiredFields.filter((field) => {
    const camel = SNAKE_TO_CAMEL[field] ?? field;
    return normalised[camel] === undefined && config[field] === undefined;
  });
  if (missing.length > 0) {
    throw new DualAuthError(`Missing required configuration fields: ${missing.join(', ')}`, 'ERR_CONFIGURATION');
  }
}
