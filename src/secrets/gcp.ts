// Placeholder until the gcp backend lands (issue 5).
import { SecretsBackendError } from '../errors.js';
import type { SecretsBackend } from './backend.js';

export async function createGcpBackend(_env: Readonly<Record<string, string | undefined>>): Promise<SecretsBackend> {
  throw new SecretsBackendError('The gcp secrets backend is not available yet', 'gcp', { code: 'ERR_BACKEND_UNAVAILABLE' });
}
