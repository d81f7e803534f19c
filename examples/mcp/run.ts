/**
 * `npm run example:mcp`: an agent calls an MCP tool for a person, end to end, against
 * the local IAM (no tenant needed). For each vendor profile and each delegation:
 * - the IAM (dual-auth/local-iam) issues the agent's dual-subject token for the person;
 * - an MCP server (Streamable HTTP on Express, over HTTPS) verifies it with
 *   `createMcpTokenVerifier` and its `get_report` tool answers with the agent and the
 *   person it sees;
 * - the agent is an MCP `Client` on `createDualAuthMcpTransport`.
 * Then what is refused: no token, the agent's own token (no person), a missing scope.
 *
 *   npm run example:mcp                                   # every vendor, every delegation
 *   npm run example:mcp -- --vendor entraid --delegation assertion
 *
 * Exit code 0 when every call was answered (and every refusal refused) as expected.
 */
import { parseArgs } from 'node:util';
import { createDevCertificates, LOCAL_IAM_VENDORS, startLocalIam, type LocalIamVendor } from '../../src/local-iam/index.js';
import type { Delegation } from '../../src/index.js';
import { fetchReport, postInitialize } from './agent.js';
import { DELEGATIONS, grantedScope, localIamFlow } from './flows.js';
import { fetchIamMetadata, startReportServer } from './report-server.js';

const { values } = parseArgs({ options: { vendor: { type: 'string', multiple: true }, delegation: { type: 'string', multiple: true } } });
const vendors = (values.vendor ?? LOCAL_IAM_VENDORS) as LocalIamVendor[];
const delegations = (values.delegation ?? DELEGATIONS) as Delegation[];
for (const vendor of vendors) if (!LOCAL_IAM_VENDORS.includes(vendor)) throw new Error(`--vendor must be one of ${LOCAL_IAM_VENDORS.join(', ')}`);
for (const delegation of delegations) if (!DELEGATIONS.includes(delegation)) throw new Error(`--delegation must be one of ${DELEGATIONS.join(', ')}`);

let failures = 0;
const fail = (what: string): void => {
  failures += 1;
  console.log(`  FAILED: ${what}`);
};

for (const vendor of vendors) {
  // One CA for the IAM and the MCP server: the agent trusts it through `ca`.
  const certificates = await createDevCertificates();
  const iam = await startLocalIam({ vendor, certificates });
  console.log(`\n${vendor}: local IAM at ${iam.issuer}`);
  try {
    const oauthMetadata = await fetchIamMetadata(iam.discoveryUrl, iam.caCert);
    for (const delegation of delegations) {
      const flow = await localIamFlow(iam, delegation);
      const scope = grantedScope(iam, delegation);
      const server = await startReportServer({ verifier: flow.verifier, oauthMetadata, requiredScopes: [scope], tls: certificates });
      try {
        const report = await fetchReport({ url: server.url, ...flow.agent });
        const seen = `agent ${report.agent} acting for ${report.human} (layout ${report.layout})`;
        if (report.agent !== iam.agent.clientId || report.human !== iam.testUser.id) fail(`${delegation}: get_report saw ${seen}`);
        else console.log(`  ${delegation.padEnd(15)} get_report saw ${seen}; the person's email ${report.humanEmail ? 'WAS' : 'was not'} handed to the tool`);
      } catch (error) {
        fail(`${delegation}: ${(error as Error).message}`);
      } finally {
        await server.close();
      }
    }

    // What the MCP server refuses, with the SDK's answers (the reference flow's server).
    const flow = await localIamFlow(iam, 'act');
    const own = await localIamFlow(iam, 'assertion');
    const agentOnly = await own.agent.tokenRequest.requestToken({ agentId: own.agent.agentId, scope: own.agent.scope, actAssertion: own.agent.actAssertion });
    const checks: Array<{ what: string; scopes: string[]; headers: Record<string, string>; status: number }> = [
      { what: 'no token', scopes: [grantedScope(iam, 'act')], headers: {}, status: 401 },
      { what: "the agent's own token (no person)", scopes: [grantedScope(iam, 'act')], headers: { authorization: `Bearer ${agentOnly.accessToken}` }, status: 401 },
      { what: 'a token without the scope finance.write', scopes: ['finance.write'], headers: {}, status: 403 },
    ];
    for (const check of checks) {
      const server = await startReportServer({ verifier: flow.verifier, oauthMetadata, requiredScopes: check.scopes, tls: certificates });
      try {
        let headers = check.headers;
        if (check.status === 403) {
          const token = await flow.agent.tokenRequest.requestToken({ agentId: flow.agent.agentId, scope: flow.agent.scope, act: flow.agent.act });
          headers = { authorization: `Bearer ${token.accessToken}`, ...(token.actAssertion ? { 'x-act-assertion': token.actAssertion } : {}) };
        }
        const answer = await postInitialize(server.url, headers, iam.caCert);
        if (answer.status !== check.status) fail(`${check.what}: HTTP ${answer.status}`);
        else console.log(`  refused ${check.what}: HTTP ${answer.status}, WWW-Authenticate: ${answer.wwwAuthenticate}`);
      } finally {
        await server.close();
      }
    }
  } finally {
    await iam.close();
  }
}

console.log(failures === 0 ? '\nAll MCP calls answered as expected.' : `\n${failures} MCP check(s) failed.`);
process.exit(failures === 0 ? 0 : 1);
