export type { SecretsBackend, SecretsBackendType } from './backend.js';
export { EnvironmentSecretsBackend } from './env.js';
export { createSecretsBackend } from './factory.js';
