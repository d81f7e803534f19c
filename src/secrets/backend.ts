/**
 * A source of configuration values. `getSecret` returns the trimmed value, or
 * `undefined` when the secret is absent or empty and not required; when it is
 * required and absent, it throws `SecretsBackendError` naming the secret.
 */
export interface SecretsBackend {
  /** Backend name as in the Python package: 'environment', 'aws', 'gcp', 'azure', 'vault'. */
  readonly name: string;
  getSecret(key: string, options?: { required?: boolean; signal?: AbortSignal }): Promise<string | undefined>;
  /** The same without I/O, for backends that have it (the environment): getConfig then reads without promises. */
  getSecretSync?(key: string, options?: { required?: boolean }): string | undefined;
  /** Release clients/connections, if any. */
  close?(): Promise<void>;
}

export type SecretsBackendType = 'env' | 'aws' | 'gcp' | 'azure' | 'vault';
