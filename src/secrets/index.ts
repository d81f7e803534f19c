export type { SecretsBackend, SecretsBackendType } from './backend.js';
export { EnvironmentSecretsBackend } from './env.js';
export { createSecretsBackend, type SecretsBackendOptions } from './factory.js';
