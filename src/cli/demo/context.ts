/** What every demo flow shares: the running local IAM and demo API, the agent's configuration, and the printer. */
import type { DualAuthConfig, DelegatedAgentConfig } from '../../config/types.js';
import type { HttpClient } from '../../http/client.js';
import type { DevCertificates } from '../../local-iam/certificates.js';
import type { DemoApi, LocalIam, LocalIamVendor } from '../../local-iam/index.js';

export type DemoFlow = 'setup' | 'in-session' | 'out-of-session' | 'check';

export interface DemoContext {
  vendor: LocalIamVendor;
  iam: LocalIam;
  api: DemoApi;
  certificates: DevCertificates;
  /** The agent's configuration, read with getConfig() as a user would. */
  config: DualAuthConfig | DelegatedAgentConfig;
  /** The CA every demo server's certificate chains to. */
  ca: string;
  /** For the demo's own calls (application to agent, bare API calls): no retries. */
  http: HttpClient;
  /** Prints and records a numbered step. */
  step(title: string, detail: string): void;
  /** Starts a section of the output; the following steps belong to `flow`. */
  section(flow: DemoFlow, title: string): void;
  /** Values never to be printed (tokens the demo holds). */
  protect(...values: Array<string | undefined>): void;
  /** Servers a flow starts, closed with the others when the demo ends. */
  onClose(close: () => Promise<void>): void;
}

/** The scopes every demo flow asks for. */
export const DEMO_SCOPE = ['finance.read'];
