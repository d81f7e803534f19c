/** One Okta configuration, stored in each backend under that backend's names. */
import { expect } from 'vitest';
import { SecretsBackendError } from '../../src/errors.js';

export const OKTA_VALUES = {
  OKTA_TOKEN_URL: 'https://example.okta.com/oauth2/aus1abc/v1/token',
  AGENT_CLIENT_ID: 'agent-finance-01',
  AGENT_CLIENT_SECRET: 'cs-9f8e7d6c5b4a-secret-value',
  API_AUDIENCE: 'api://finance',
} as const;

/** Every value a message must never contain. */
export const SECRET_VALUES = [OKTA_VALUES.AGENT_CLIENT_SECRET, 'locked-secret-value-123'];

/** Asserts a SecretsBackendError of `backend` (and `code`), whose message names no secret value. */
export async function expectBackendError(promise: Promise<unknown>, backend: string, code?: string, messagePart?: string): Promise<SecretsBackendError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecretsBackendError);
  const backendError = error as SecretsBackendError;
  expect(backendError.backend).toBe(backend);
  if (code) expect(backendError.code).toBe(code);
  if (messagePart) expect(backendError.message).toContain(messagePart);
  for (const value of SECRET_VALUES) expect(`${backendError.message} ${String(backendError)}`).not.toContain(value);
  return backendError;
}

/** For `.catch()` of an AWS CreateSecret: a secret made by an earlier run of the file against the same server is fine. */
export function unlessExists(error: unknown): void {
  if ((error as { name?: unknown })?.name !== 'ResourceExistsException') throw error;
}
