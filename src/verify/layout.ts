/**
 * Where a verified token carries the person, and who vouched for them
 * (docs/delegation.md). Three layouts:
 * - 'act' (the reference): sub/client = the agent, `act.sub` = the person
 *   (EntraID: the X-Act-Assertion). The agent vouches.
 * - 'delegated' (RFC 8693 §4.1, token exchange / On-Behalf-Of): sub = the
 *   person, the client claim = the agent, `act.sub` (when present) = the agent.
 *   The IAM vouches, from the person's own token.
 * - 'assertion': the agent's own token plus an X-Act-Assertion signed by the
 *   application, naming the agent (`azp`). The application vouches.
 *
 * With several layouts accepted, the token's own claims choose one; the
 * choice never lets a token be read in a layout whose checks it did not pass.
 */
import type { JWTPayload } from 'jose';
import { ConfigurationError, DualAuthError } from '../errors.js';
import type { ActAssertionVerifier } from './act-assertion.js';
import { humanFromAct } from './identity.js';
import type { VendorProfile } from './profiles.js';
import type { HumanIdentity, TokenLayout, VerifyCallOptions, VerifyOptions } from './types.js';

export const LAYOUTS: readonly TokenLayout[] = Object.freeze(['act', 'delegated', 'assertion']);
/** RFC 8693 §4.1: where an IAM records the party acting for `sub` (token exchange, On-Behalf-Of). */
const DELEGATION_ACT_CLAIM = 'act';

export interface PersonReading {
  human: HumanIdentity;
  layout: TokenLayout;
  /** The verified X-Act-Assertion claims, when the person came from one. */
  assertionClaims?: JWTPayload;
}

export interface PersonReader {
  /** The person of a verified token issued to `agentId`, or a DualAuthError saying why none is accepted. */
  /** `signal`: the call's (or the verifier's) signal, which also ends a wait for the assertion's keys. */
  read(claims: JWTPayload, agentId: string, token: string, call: VerifyCallOptions | undefined, signal: AbortSignal | undefined): Promise<PersonReading>;
  /** Whether the reader needs the X-Act-Assertion header (so the middleware reads it). */
  readsAssertion: boolean;
}

export interface LayoutSettings {
  layouts: ReadonlySet<TokenLayout>;
  agents: ReadonlySet<string> | undefined;
}

/** Validates `layout` and `agents` against the vendor, once, at construction. */
export function resolveLayoutSettings(options: Pick<VerifyOptions, 'layout' | 'agents'>, profile: VendorProfile): LayoutSettings {
  const given = options.layout ?? 'act';
  const list = typeof given === 'string' ? [given] : given;
  if (!Array.isArray(list) || list.length === 0 || !list.every((l) => (LAYOUTS as readonly unknown[]).includes(l))) {
    throw new ConfigurationError("layout must be 'act', 'delegated', 'assertion' or a non-empty array of them");
  }
  const layouts = new Set<TokenLayout>(list as TokenLayout[]);
  let agents: Set<string> | undefined;
  if (options.agents !== undefined) {
    if (!Array.isArray(options.agents) || options.agents.length === 0 || !options.agents.every((a) => typeof a === 'string' && a.length > 0)) {
      throw new ConfigurationError('agents must be a non-empty array of client ids');
    }
    agents = new Set(options.agents);
  }
  if (layouts.has('delegated') && profile.delegationNeedsAgents && agents === undefined) {
    throw new ConfigurationError(
      `${profile.vendor}: the delegated layout needs agents (the agent client ids): its On-Behalf-Of tokens name the agent only as the client, like the person's own login token`,
    );
  }
  return { layouts, agents };
}

/** True when the accepted layouts read an X-Act-Assertion: 'assertion', or EntraID's reference layout. */
export function layoutsUseAssertion(layouts: ReadonlySet<TokenLayout>, profile: VendorProfile): boolean {
  return layouts.has('assertion') || (layouts.has('act') && profile.actFromAssertion);
}

/** The options that only a verifier reading the X-Act-Assertion uses. */
const ASSERTION_OPTIONS = [
  'actAssertionKey',
  'actAssertionJwksUri',
  'actAssertionAlgorithms',
  'actAssertionAudience',
  'actAssertionIssuer',
  'actAssertionMaxAgeSeconds',
  'actAssertionReplayCache',
  'actAssertionReplayPrefix',
  'bindAgentToken',
] as const satisfies ReadonlyArray<keyof VerifyOptions>;

/**
 * Refuses option combinations that cannot work, rather than ignoring an option silently:
 * assertion options on a verifier that reads no assertion, a replay prefix without a replay
 * cache, and `bindAgentToken` where the application signs the assertion (it does so before the
 * agent has its token, so the assertion cannot carry the token's hash).
 */
export function checkAssertionOptions(options: VerifyOptions, layouts: ReadonlySet<TokenLayout>, profile: VendorProfile): void {
  if (!layoutsUseAssertion(layouts, profile)) {
    const unused = ASSERTION_OPTIONS.filter((name) => options[name] !== undefined && !(name === 'bindAgentToken' && options[name] === false));
    if (unused.length > 0) {
      throw new ConfigurationError(`${unused.join(', ')}: not used, this verifier reads no X-Act-Assertion (layout 'assertion', or EntraID's 'act')`);
    }
    return;
  }
  if (options.actAssertionReplayPrefix !== undefined && options.actAssertionReplayCache === undefined) {
    throw new ConfigurationError('actAssertionReplayPrefix needs actAssertionReplayCache');
  }
  if (options.bindAgentToken === true && layouts.has('assertion')) {
    throw new ConfigurationError(
      "bindAgentToken cannot be used with layout 'assertion': the application signs the assertion before the agent has its token, so it carries no ath",
    );
  }
}

export function createPersonReader(
  settings: LayoutSettings,
  profile: VendorProfile,
  actClaim: string,
  assertions: ActAssertionVerifier | undefined,
): PersonReader {
  const { layouts, agents } = settings;
  const acceptsAct = layouts.has('act');
  const acceptsDelegated = layouts.has('delegated');
  const acceptsAssertion = layouts.has('assertion');
  const single = layouts.size === 1 ? [...layouts][0] : undefined;
  const entra = profile.actFromAssertion;
  // The agent's own token is welcome with the application's assertion: say what was missing.
  const agentOnlyMessage = acceptsAssertion
    ? "Access token is the agent's own: it names no person (send the application's act assertion as X-Act-Assertion)"
    : "Access token is the agent's own: it names no person";

  /** The layout the token's claims show, among the accepted ones (the reader then checks it fully). */
  const classify = (claims: JWTPayload, agentId: string, hasAssertion: boolean): TokenLayout => {
    if (single !== undefined) return single;
    if (hasAssertion && acceptsAssertion) return 'assertion';
    if (entra) {
      // Entra tokens never carry the person in `act`: a user token is delegated, an app-only one is the agent's own.
      if (acceptsDelegated && !profile.agentOnly(claims)) return 'delegated';
      return acceptsAct ? 'act' : acceptsAssertion ? 'assertion' : 'delegated';
    }
    // RFC 8693 §4.1: act names the party acting for sub. An act naming the token's own client is delegation,
    // and so is one naming another accepted agent (refused there: not this client acting). The IAM writes
    // the standard `act` on exchange; the reference's person may sit in a namespaced `actClaim` (Auth0).
    const actor = subOf(claims[DELEGATION_ACT_CLAIM]);
    if (actor !== undefined && (actor === agentId || agents?.has(actor) === true)) return 'delegated';
    const actSub = actClaim === DELEGATION_ACT_CLAIM ? actor : subOf(claims[actClaim]);
    if (actSub !== undefined) return actSub === agentId || agents?.has(actSub) === true ? 'delegated' : 'act';
    if (acceptsDelegated) return 'delegated';
    return acceptsAct ? 'act' : 'assertion';
  };

  const fromAct = (claims: JWTPayload, agentId: string): HumanIdentity => {
    const human = humanFromAct(claims[actClaim], 'ERR_TOKEN_NO_ACT', 'Access token');
    // The reference token is the agent's own: an act naming its own client or another accepted agent
    // (RFC 8693 delegation read backwards), or a subject that is a person, means another layout.
    if (human.id === agentId || agents?.has(human.id) === true || profile.personSubject(claims)) {
      throw new DualAuthError('Access token is not in the reference layout (sub = the agent, act = the person)', 'ERR_TOKEN_LAYOUT');
    }
    return human;
  };

  const fromSubject = (claims: JWTPayload, agentId: string): HumanIdentity => {
    if (profile.agentOnly(claims)) throw new DualAuthError(agentOnlyMessage, 'ERR_TOKEN_AGENT_ONLY');
    // The actor as the IAM records it on exchange: the standard `act` (Auth0 too: On-Behalf-Of writes it,
    // a Custom Token Exchange Action sets it with setActor), never the reference's namespaced actClaim.
    const act = claims[DELEGATION_ACT_CLAIM];
    if (act !== undefined) {
      // Where act is present it must name the token's client: anything else is not this agent acting.
      if (subOf(act) !== agentId) throw new DualAuthError('Access token act names another party than its client', 'ERR_TOKEN_NOT_DELEGATED');
    } else if (!profile.delegationNeedsAgents) {
      // Keycloak and Auth0 record the acting client in act.sub: without it the token is the person's own
      // (a login token issued to the client), whether or not the client is in `agents`.
      throw new DualAuthError('Access token shows no delegation to its client (no act)', 'ERR_TOKEN_NOT_DELEGATED');
    }
    const sub = claims.sub;
    if (typeof sub !== 'string' || sub.trim().length === 0) throw new DualAuthError('Access token names no person (sub)', 'ERR_TOKEN_NO_ACT');
    // Entra ID's `sub` is pairwise (one per application); `oid` is the person's one id in the tenant, the
    // id Microsoft recommends for authorization ("Access token claims reference"), so the API's id.
    const oid = entra && typeof claims.oid === 'string' && claims.oid.trim().length > 0 ? claims.oid : undefined;
    const human: HumanIdentity = { id: oid ?? sub };
    if (typeof claims.email === 'string') human.email = claims.email;
    if (typeof claims.name === 'string') human.name = claims.name;
    if (typeof claims.oid === 'string' && entra) human.oid = claims.oid;
    return human;
  };

  return {
    readsAssertion: assertions !== undefined,
    async read(claims, agentId, token, call, signal) {
      if (agents !== undefined && !agents.has(agentId)) {
        throw new DualAuthError('Access token was issued to a client that is not an accepted agent', 'ERR_TOKEN_AGENT_NOT_ALLOWED');
      }
      const assertion = call?.actAssertion;
      const layout = classify(claims, agentId, assertion !== undefined && assertion !== '');
      if (!layouts.has(layout)) throw new DualAuthError('Access token is in a layout this API does not accept', 'ERR_TOKEN_LAYOUT');
      switch (layout) {
        case 'delegated':
          return { human: fromSubject(claims, agentId), layout };
        case 'act': {
          if (!entra) return { human: fromAct(claims, agentId), layout };
          // EntraID's reference assertion: signed inside the agent; an azp, when present, must still be this agent.
          const verified = await assertions!.verify(assertion, token, agentId, false, signal);
          return { human: verified.human, layout, assertionClaims: verified.claims };
        }
        case 'assertion': {
          // The person comes from the application alone: a token that carries one too is refused.
          if (claims[actClaim] !== undefined || claims[DELEGATION_ACT_CLAIM] !== undefined || profile.personSubject(claims)) {
            throw new DualAuthError('Access token carries a person itself: not the agent\'s own token', 'ERR_TOKEN_LAYOUT');
          }
          // On EntraID both layouts read the header: the reference's assertion names no agent.
          const requireAgent = !(entra && acceptsAct);
          const verified = await assertions!.verify(assertion, token, agentId, requireAgent, signal);
          const read: TokenLayout = verified.claims.azp === undefined ? 'act' : 'assertion';
          return { human: verified.human, layout: read, assertionClaims: verified.claims };
        }
      }
    },
  };
}

function subOf(act: unknown): string | undefined {
  if (act === null || typeof act !== 'object' || Array.isArray(act)) return undefined;
  const sub = (act as { sub?: unknown }).sub;
  return typeof sub === 'string' && sub.length > 0 ? sub : undefined;
}
