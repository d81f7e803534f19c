/**
 * Plain-words explanations of the failures a user meets first, each with the
 * fix. Input is a DualAuthError (or anything thrown); output never quotes a
 * secret or a token, only variable names, hosts and HTTP statuses.
 */
import { ConfigurationError, DualAuthError, SecretsBackendError, TokenRequestError } from '../errors.js';

export interface Explanation {
  /** Stable id for scripts (--json). */
  problem: string;
  /** What went wrong, in plain words. */
  message: string;
  /** What to do about it. */
  fix: string;
  /** The error's own `hint`, when it has one (an untrusted certificate, a key file, a missing package). */
  hint?: string;
}

/** The explanation, with the error's `hint` when it carries one. */
function withHint(error: unknown, why: Explanation): Explanation {
  const hint = error instanceof DualAuthError ? error.hint : undefined;
  return hint === undefined || hint === why.fix ? why : { ...why, hint };
}

const TOKEN_URL_VARS: Record<string, string> = {
  keycloak: 'KEYCLOAK_TOKEN_URL',
  auth0: 'AUTH0_TOKEN_URL',
  okta: 'OKTA_TOKEN_URL',
  entraid: 'ENTRAID_TOKEN_URL',
};

const TOKEN_URL_EXAMPLES: Record<string, string> = {
  keycloak: 'https://keycloak.example.com/realms/<realm>/protocol/openid-connect/token',
  auth0: 'https://<tenant>.auth0.com/oauth/token',
  okta: 'https://<org>.okta.com/oauth2/<authServerId>/v1/token',
  entraid: 'https://login.microsoftonline.com/<tenant-id>/oauth2/v2.0/token',
};

export function tokenUrlVariable(vendor: string): string {
  return TOKEN_URL_VARS[vendor] ?? 'the <VENDOR>_TOKEN_URL variable';
}

/** Why the configuration could not be loaded. */
export function explainConfigError(error: unknown, vendor: string, cli: string): Explanation {
  return withHint(error, configExplanation(error, vendor, cli));
}

function configExplanation(error: unknown, vendor: string, cli: string): Explanation {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof SecretsBackendError) {
    const key = /'([A-Z0-9_]+)'/.exec(message)?.[1];
    if (key && (error.code === 'ERR_SECRET_MISSING' || /required but not set|required but was not found/.test(message))) {
      return {
        problem: 'missing-variable',
        message: `The variable ${key} is missing or empty (secrets backend: ${error.backend}).`,
        fix: `Set ${key} in the environment, or in a .env file read with --env-file (${key}=...). For a local try-out, \`${cli} dev-iam\` writes a complete .env.`,
      };
    }
    return {
      problem: 'secrets-backend',
      message: `The secrets backend '${error.backend}' failed: ${message}`,
      fix: 'Check DUAL_AUTH_SECRETS_BACKEND and the backend\'s own settings and credentials (see docs/secrets-backends.md in the package).',
    };
  }
  if (error instanceof DualAuthError && error.code === 'ERR_INSECURE_URL') {
    const scheme = /Got scheme: ([a-z0-9+.-]+)/i.exec(message)?.[1];
    return {
      problem: 'insecure-url',
      message: `${tokenUrlVariable(vendor)} does not use HTTPS${scheme ? ` (it starts with ${scheme}://)` : ''}. dual-auth sends client secrets and signed assertions to this URL, so it only talks to an IAM over HTTPS.`,
      fix: `Use the https:// address of the token endpoint, e.g. ${TOKEN_URL_EXAMPLES[vendor] ?? 'https://iam.example.com/token'}. For a local IAM, \`${cli} dev-iam\` serves HTTPS with its own CA.`,
    };
  }
  if (error instanceof ConfigurationError && message.startsWith('Invalid vendor')) {
    return {
      problem: 'invalid-vendor',
      message: 'DUAL_AUTH_VENDOR names an IAM dual-auth does not know.',
      fix: 'Set DUAL_AUTH_VENDOR to one of: keycloak, auth0, okta, entraid.',
    };
  }
  if (error instanceof ConfigurationError && message.startsWith('Invalid secrets backend')) {
    return {
      problem: 'invalid-backend',
      message: 'DUAL_AUTH_SECRETS_BACKEND names an unknown secrets backend.',
      fix: 'Set DUAL_AUTH_SECRETS_BACKEND to one of: env, aws, gcp, azure, vault (or leave it unset for env).',
    };
  }
  if (error instanceof ConfigurationError && /APP_PRIVATE_KEY_PATH/.test(message)) {
    return {
      problem: 'app-key',
      message: `The application's private key cannot be used: ${message}`,
      fix: `Point APP_PRIVATE_KEY_PATH at a PEM private key readable by this user; \`${cli} keygen\` makes a pair.`,
    };
  }
  return {
    problem: 'configuration',
    message: `The configuration is invalid: ${message}`,
    fix: 'Check the variables of your vendor: the Configuration table of the README, or docs/iam/<vendor>.md in the package.',
  };
}

/** Why the token URL could not be reached (no HTTP answer). */
export function explainNetworkError(error: unknown, url: URL, cli: string): Explanation {
  return withHint(error, networkExplanation(error, url, cli));
}

function networkExplanation(error: unknown, url: URL, cli: string): Explanation {
  const kind = (error as { kind?: string } | undefined)?.kind;
  const code = innerCode(error);
  const where = url.host;
  if (kind === 'tls') {
    return {
      problem: 'tls-untrusted',
      message: `The TLS certificate of ${where} is not trusted (${code ?? 'verification failed'}).`,
      fix: 'If your IAM uses a private CA, trust its certificate: NODE_EXTRA_CA_CERTS=/path/ca.pem (or --ca /path/ca.pem). Never turn certificate checks off.',
    };
  }
  if (kind === 'timeout') {
    return {
      problem: 'timeout',
      message: `${where} did not answer in time.`,
      fix: 'Check that the host is right and that no firewall, proxy or VPN blocks the connection.',
    };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return {
      problem: 'unknown-host',
      message: `The host name ${url.hostname} cannot be resolved (DNS).`,
      fix: 'Check the spelling of the token URL, your DNS and your VPN.',
    };
  }
  if (code === 'ECONNREFUSED') {
    return {
      problem: 'unreachable',
      message: `Nothing accepts connections at ${where} (connection refused).`,
      fix: `Start the IAM (for the local one: \`${cli} dev-iam\`), or correct the host and port of the token URL.`,
    };
  }
  return {
    problem: 'unreachable',
    message: `${where} cannot be reached (${code ?? kind ?? 'network error'}).`,
    fix: 'Check the token URL, your network, proxy and firewall.',
  };
}

/** Why the IAM refused the token request. */
export function explainTokenError(error: unknown, vendor: string, cli: string): Explanation {
  return withHint(error, tokenExplanation(error, vendor, cli));
}

function tokenExplanation(error: unknown, vendor: string, cli: string): Explanation {
  if (error instanceof TokenRequestError && error.statusCode !== undefined) {
    const status = error.statusCode;
    if (status === 401) {
      const how = vendor === 'entraid'
        ? 'the client secret in the request body (client_secret_post)'
        : 'a client assertion JWT signed HS256 with the client secret (client_secret_jwt)';
      return {
        problem: 'unauthorized',
        message: 'The IAM refused the agent\'s credentials (HTTP 401).',
        fix: `Check that AGENT_CLIENT_ID and AGENT_CLIENT_SECRET are those of the client registered in the IAM, that the client accepts ${how}, and that this machine's clock is right (assertions are valid for 5 minutes).`,
      };
    }
    if (status === 400) {
      return {
        problem: 'bad-request',
        message: `The IAM rejected the token request (HTTP 400): ${error.message}`,
        fix: vendor === 'entraid'
          ? 'Check API_SCOPE (it must end with /.default) and that the app registration exposes that API.'
          : 'Check the requested scope and API_AUDIENCE, and that the client may use the client credentials grant.',
      };
    }
    if (status === 403) {
      return {
        problem: 'forbidden',
        message: 'The IAM authenticated the agent but does not allow this request (HTTP 403).',
        fix: 'Grant the agent client access to the API (client grant, app role or allowed scopes) in the IAM.',
      };
    }
    return {
      problem: 'iam-error',
      message: `The IAM answered HTTP ${status}: ${error.message}`,
      fix: 'Look at the IAM\'s own logs for this request; retry later on 429/5xx.',
    };
  }
  if (error instanceof DualAuthError && ['ERR_NETWORK', 'ERR_TIMEOUT'].includes(error.code)) {
    return {
      problem: 'unreachable',
      message: `The IAM could not be reached: ${error.message}`,
      fix: `Run \`${cli} doctor\` without --request-token first to check the connection.`,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { problem: 'token-request', message: `The token request failed: ${message}`, fix: `See the message above; \`${cli} doctor\` checks the configuration step by step.` };
}

/** The Node/undici error code under an HttpError or a TokenRequestError. */
function innerCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && !code.startsWith('ERR_') && code !== 'UND_ERR') return code;
    if (typeof code === 'string' && (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))) return code;
    // AggregateError from happy-eyeballs connects
    const errors = (current as { errors?: unknown[] }).errors;
    if (Array.isArray(errors) && errors.length) current = errors[0];
    else current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
