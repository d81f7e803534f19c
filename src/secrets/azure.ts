// Placeholder until the azure backend lands (issue 5).
import { SecretsBackendError } from '../errors.js';
import type { SecretsBackend } from './backend.js';

export async function createAzureBackend(_env: Readonly<Record<string, string | undefined>>): Promise<SecretsBackend> {
  throw new SecretsBackendError('The azure secrets backend is not available yet', 'azure', { code: 'ERR_BACKEND_UNAVAILABLE' });
}
