/**
 * The three ways an agent gets a token for a person, against the local IAM, each with
 * the verifier options an MCP server needs to read it (docs/delegation.md):
 * - 'act': the agent names the person in its client assertion (the reference);
 * - 'token-exchange': the agent exchanges the person's own login token (delegated layout);
 * - 'assertion': the application signs the person for the API; the agent forwards it
 *   with its own token.
 */
import { createAdapter, getConfig, HybridSender, InSessionTokenRequest, type Delegation } from '../../src/index.js';
import type { LocalIam } from '../../src/local-iam/index.js';
import type { DualAuthFetchOptions, McpVerifierOptions } from '../../src/mcp/index.js';

export const DELEGATIONS: readonly Delegation[] = ['act', 'token-exchange', 'assertion'];

/** The scope the agent is granted, as the vendor names it: Entra ID app-only tokens carry app roles, which the MCP verifier reports as scopes. */
export function grantedScope(iam: Pick<LocalIam, 'vendor'>, delegation: Delegation): string {
  return iam.vendor === 'entraid' && delegation !== 'token-exchange' ? 'FinanceAgent' : 'finance.read';
}

export interface McpFlow {
  /** The MCP server's verifier options for this flow. */
  verifier: McpVerifierOptions;
  /** The agent's transport options, without the MCP server URL. */
  agent: Omit<DualAuthFetchOptions, 'url'>;
}

export async function localIamFlow(iam: LocalIam, delegation: Delegation): Promise<McpFlow> {
  const config = await getConfig({ env: iam.env, delegation });
  const adapter = createAdapter(config, { ca: iam.caCert, delegation });
  // The cache: the MCP client asks for a token on every request; the IAM sees one per token lifetime.
  const tokenRequest = new InSessionTokenRequest(adapter, { cache: true });
  const person = { sub: iam.testUser.id, email: iam.testUser.email, name: iam.testUser.name };
  const base = { vendor: iam.vendor, issuer: iam.issuer, audience: iam.apiAudience, jwksUri: iam.jwksUri, ca: iam.caCert } as const;
  const agent = { tokenRequest, agentId: config.clientId, scope: [grantedScope(iam, delegation)], ca: iam.caCert };
  switch (delegation) {
    case 'token-exchange':
      return {
        verifier: { ...base, layout: 'delegated', agents: [config.clientId] },
        agent: { ...agent, scope: ['finance.read'], subjectToken: await iam.issueLoginToken() },
      };
    case 'assertion': {
      const application = new HybridSender({ privateKeyPem: iam.app.privateKeyPath });
      const actAssertion = await application.prepareActAssertion({ act: person, agentId: config.clientId, apiAudience: iam.apiAudience, ttlSeconds: 300 });
      return { verifier: { ...base, layout: 'assertion', actAssertionKey: await application.publicJwks() }, agent: { ...agent, actAssertion } };
    }
    default:
      // Entra ID: the agent's application signs the act assertion; the MCP server checks it with the public key.
      return { verifier: { ...base, ...(iam.vendor === 'entraid' ? { actAssertionKey: iam.app.publicKeyPem } : {}) }, agent: { ...agent, act: person } };
  }
}
