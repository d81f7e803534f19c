/**
 * How each cloud backend turns a configuration key (AGENT_CLIENT_SECRET) into a
 * secret name, exactly as the Python reference does, so one set of secrets
 * serves both packages.
 */

/** GCP / Azure / Vault: lower-case, `_` -> `-` (names there allow no `_`). */
export function normaliseKey(key: string): string {
  return key.replace(/_/g, '-').toLowerCase();
}

/** AWS: the key unchanged behind the prefix; a key that already carries the prefix is kept. */
export function awsSecretName(prefix: string, key: string): string {
  return key.startsWith(prefix) ? key : `${prefix}${key}`;
}

/** GCP and Azure: the normalised key behind the prefix, unless it already starts with it. */
export function prefixedSecretName(prefix: string, key: string): string {
  const normalised = normaliseKey(key);
  return normalised.startsWith(prefix.toLowerCase()) ? normalised : `${prefix}${normalised}`;
}

/** Vault: as above, comparing against the prefix without its trailing slash (as Python does). */
export function vaultSecretPath(prefix: string, key: string): string {
  const normalised = normaliseKey(key);
  return normalised.startsWith(prefix.toLowerCase().replace(/\/+$/, '')) ? normalised : `${prefix}${normalised}`;
}

/** A configuration variable: undefined when unset; Python's `os.getenv(NAME, default)` keeps '' as set. */
export function envValue(env: Readonly<Record<string, string | undefined>>, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined ? fallback : value;
}

/** A trimmed variable, undefined when unset or blank. */
export function envTrimmed(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** `true`/`1`/`yes` (any case) switch a flag on; anything else leaves it off. */
export function envFlag(env: Readonly<Record<string, string | undefined>>, name: string): boolean {
  return /^(true|1|yes)$/i.test(env[name]?.trim() ?? '');
}
