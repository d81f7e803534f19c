/**
 * OpenTelemetry traces, through `@opentelemetry/api` (an optional peer). Thin on purpose:
 * one wrapper, `traced`, that the token request, the secrets fetch, the act JWT check and
 * the access-token check each call once (docs/observability.md lists the spans).
 *
 * Nothing is loaded and nothing is allocated while no tracer provider is registered: each
 * operation reads one global (the API's own registry, `Symbol.for('opentelemetry.js.api.1')`,
 * which an SDK fills when it registers), finds no `trace` in it, and runs the work as is. Once
 * an application registers a provider, the first traced operation loads the API package (once;
 * that operation waits for it) and spans are made, as children of the active span.
 *
 * What a span may carry is decided here: the agent id, a pseudonymised person id
 * (`hmac-sha256:` + 16 hex digits of an HMAC of the IAM id under the configured key, or
 * `sha256:` + 16 hex digits of its plain hash without one), vendors, layouts, secret names,
 * HTTP statuses, retry counts and error codes. Never a token, an assertion, a secret value,
 * an email or a name.
 */
import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type * as OpenTelemetry from '@opentelemetry/api';
import { ConfigurationError } from '../errors.js';
import { importOptional } from '../optional.js';
import { VERSION } from '../version.js';

/** The spans dual-auth makes. */
export const SPANS = Object.freeze({
  tokenRequest: 'dual_auth.token_request',
  secretsFetch: 'dual_auth.secrets.fetch',
  actJwtVerify: 'dual_auth.act_jwt.verify',
  tokenVerify: 'dual_auth.token.verify',
});

export type SpanAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** What an instrumented operation may add to its span while it runs. */
export interface SpanRecorder {
  /** Adds attributes (undefined values are left out). Callers pass metadata only: see the module comment. */
  set(attributes: SpanAttributes): void;
  /** The agent id, and the person's IAM id pseudonymised: the one way a person reaches a span. */
  identity(agentId: string | undefined, personId: string | undefined): void;
}

type Api = typeof OpenTelemetry;
type Global = Record<symbol, { trace?: unknown } | undefined>;

/** The API's global registry (api/src/internal/global-utils.ts): `trace` is set once a provider is registered. */
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/** undefined: not tried yet; null: not installed (tracing stays off). */
let api: Api | null | undefined;
let loading: Promise<void> | undefined;
let tracer: OpenTelemetry.Tracer | undefined;
let tracerFor: unknown;

/** The registered tracer provider (an opaque value), or undefined while none is registered. */
function registeredProvider(): unknown {
  return (globalThis as Global)[API_GLOBAL]?.trace;
}

async function loadApi(): Promise<void> {
  try {
    const module = await importOptional<Api & { default?: Api }>('@opentelemetry/api', 'Tracing');
    api = typeof module.trace === 'object' ? module : (module.default ?? null);
  } catch {
    // Not installed where dual-auth can load it: no spans, as with no provider.
    api = null;
  }
}

/** The tracer for the registered provider; a provider registered anew (after trace.disable()) gets its own. */
function tracerOf(otel: Api, provider: unknown): OpenTelemetry.Tracer {
  if (tracerFor !== provider || tracer === undefined) {
    tracer = otel.trace.getTracer('dual-auth', VERSION);
    tracerFor = provider;
  }
  return tracer;
}

/**
 * Runs `work` in a span named `name` (a child of the active span) when tracing is on, else
 * runs it as is. The span ends with `dual_auth.outcome` = 'ok', or the error's code (also
 * `error.type`, and the span status ERROR): the code only, never the error's message.
 */
export function traced<T>(name: string, attributes: SpanAttributes, work: (span: SpanRecorder | undefined) => Promise<T>): Promise<T> {
  const provider = registeredProvider();
  if (provider === undefined) return work(undefined);
  if (api === undefined) return (loading ??= loadApi()).then(() => traced(name, attributes, work));
  if (api === null) return work(undefined);
  const otel = api;
  return tracerOf(otel, provider).startActiveSpan(name, { kind: otel.SpanKind.INTERNAL, attributes: defined(attributes) }, async (span) => {
    try {
      const result = await work(recorderFor(span));
      span.setAttribute('dual_auth.outcome', 'ok');
      return result;
    } catch (error) {
      const code = errorCode(error);
      span.setAttributes({ 'dual_auth.outcome': code, 'error.type': code });
      span.setStatus({ code: otel.SpanStatusCode.ERROR, message: code });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The fewest key bytes `personIdKey` takes: HMAC-SHA256's output length (RFC 2104 §3). */
const MIN_PERSON_ID_KEY_BYTES = 32;

/** Options of {@link configureTracing}. */
export interface TracingOptions {
  /**
   * The HMAC-SHA256 key of `dual_auth.person.id`: at least 32 bytes (a string counts its
   * UTF-8 bytes). With it the attribute is `hmac-sha256:` + 16 hex digits, which nobody
   * without the key can recompute from a list of candidate IAM ids. Keep it where the
   * agent's client secret is kept (a secrets manager, never the code or the trace backend),
   * the same on every replica, so that one person's spans correlate across replicas; a new
   * key gives every person a new pseudonym. `null` removes it.
   * Default is none: `sha256:` + 16 hex digits of the plain SHA-256, which anyone holding a
   * candidate id can recompute.
   */
  personIdKey?: string | Uint8Array | null;
}

let personIdKey: KeyObject | undefined;

/**
 * Process-wide tracing settings (the tracer itself is the registered provider's). Call it
 * once at start-up, before the first traced operation.
 * @throws ConfigurationError (`ERR_CONFIGURATION`) for a key that is not a string or a
 * Uint8Array of at least 32 bytes.
 */
export function configureTracing(options: TracingOptions): void {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('configureTracing needs an options object');
  if ('personIdKey' in options) {
    // Named but undefined (an unset environment variable) is refused: silently keeping the unkeyed
    // pseudonym is what the key was meant to prevent. `null` removes a key on purpose.
    if (options.personIdKey === undefined) throw new ConfigurationError('personIdKey is undefined (pass a key, or null to remove one)');
    personIdKey = options.personIdKey === null ? undefined : personIdKeyOf(options.personIdKey, 'personIdKey');
  }
}

/**
 * The value of `dual_auth.person.id` for a person's IAM id: `hmac-sha256:` + the first 16 hex
 * digits of HMAC-SHA256(key, id) with a key (`key`, else the one given to
 * {@link configureTracing}), or `sha256:` + the first 16 hex digits of SHA-256(id) without
 * one. Stable, so the spans of one person correlate; compute it to find them.
 * @throws ConfigurationError for a `key` that is not a string or a Uint8Array of at least 32 bytes.
 */
export function pseudonymousPersonId(personId: string, key?: string | Uint8Array): string {
  const secret = key === undefined ? personIdKey : personIdKeyOf(key, 'key');
  if (secret === undefined) return `sha256:${createHash('sha256').update(personId).digest('hex').slice(0, 16)}`;
  return `hmac-sha256:${createHmac('sha256', secret).update(personId).digest('hex').slice(0, 16)}`;
}

function personIdKeyOf(value: unknown, name: string): KeyObject {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value instanceof Uint8Array ? Buffer.from(value) : undefined;
  if (bytes === undefined || bytes.length < MIN_PERSON_ID_KEY_BYTES) {
    throw new ConfigurationError(`"${name}" must be a string or a Uint8Array of at least ${MIN_PERSON_ID_KEY_BYTES} bytes`);
  }
  return createSecretKey(bytes);
}

function recorderFor(span: OpenTelemetry.Span): SpanRecorder {
  return {
    set: (attributes) => span.setAttributes(defined(attributes)),
    identity: (agentId, personId) =>
      span.setAttributes(defined({ 'dual_auth.agent.id': agentId, 'dual_auth.person.id': typeof personId === 'string' && personId.length > 0 ? pseudonymousPersonId(personId) : undefined })),
  };
}

function defined(attributes: SpanAttributes): OpenTelemetry.Attributes {
  const out: OpenTelemetry.Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

/** A DualAuthError's `code`; for anything else its class name (an error message may hold anything). */
function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(code)) return code;
  return error instanceof Error ? error.constructor.name || 'Error' : typeof error;
}
