import { SecretsBackendError } from '../errors.js';
import type { SecretsBackend } from './backend.js';

/** Reads configuration from environment variables (the default backend). */
export class EnvironmentSecretsBackend implements SecretsBackend {
  readonly name = 'environment';
  // Private: printing the backend must not print the environment (it holds the client secret).
  readonly #env: Readonly<Record<string, string | undefined>>;

  constructor(env: Readonly<Record<string, string | undefined>> = process.env) {
    this.#env = env;
  }

  async getSecret(key: string, options: { required?: boolean } = {}): Promise<string | undefined> {
    return this.getSecretSync(key, options);
  }

  getSecretSync(key: string, options: { required?: boolean } = {}): string | undefined {
    const value = (this.#env[key] ?? '').trim();
    if (value) return value;
    if (options.required ?? true) {
      throw new SecretsBackendError(
        `Environment variable '${key}' is required but not set or empty. Example: export ${key}=your-value-here`,
        this.name,
        { code: 'ERR_SECRET_MISSING' },
      );
    }
    return undefined;
  }
}
