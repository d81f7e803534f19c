/**
 * Adapter configuration as given by the caller: the camelCase config of
 * getConfig(), or a Python-style snake_case dict. Normalised to camelCase with
 * zod; missing fields get the Python texts.
 */
import { z } from 'zod';
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

const optionalString = z.string().optional();
const schema = z.object({
  tokenUrl: optionalString,
  clientId: optionalString,
  clientSecret: optionalString,
  audience: z.string().nullish().transform((value) => value || undefined),
  scope: optionalString,
  appPrivateKeyPath: optionalString,
  appId: optionalString,
  actAudience: optionalString,
});

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
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => PYTHON_FIELD[issue.path[0] as keyof NormalisedAdapterConfig] ?? String(issue.path[0])))];
    throw new DualAuthError(`Invalid configuration: ${fields.join(', ')} must be a string`, 'ERR_CONFIGURATION');
  }
  return parsed.data;
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
