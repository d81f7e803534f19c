/**
 * Agent replicas as real processes (test/redis/fixtures/replica.ts under
 * node --import tsx), driven over IPC: the tests send them the same act JWT at
 * once, or have each make concurrent token requests.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Act } from '../../src/index.js';

export interface ReplicaSettings {
  env: Record<string, string>;
  caCert: string;
  appPublicKeyPem: string;
  agentId: string;
  agentEndpoint: string;
  redisUrl: string | string[];
  commandTimeoutMs: number;
  replayPrefix: string;
  tokenPrefix: string;
  encryptionKey: string;
  skewSeconds: number;
}

export type ReplicaRequest =
  | { id: number; type: 'init'; settings: ReplicaSettings }
  | { id: number; type: 'verify'; actJwt: string }
  | { id: number; type: 'tokens'; count: number; act: Act }
  | { id: number; type: 'close' };

export interface ReplicaReply {
  id: number;
  ok: boolean;
  elapsedMs: number;
  code?: string | undefined;
  message?: string;
  tokens?: Array<{ accessToken: string; actAssertion?: string | undefined }>;
  failures?: string[];
}

type Request = ReplicaRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

const SCRIPT = fileURLToPath(new URL('./fixtures/replica.ts', import.meta.url));

export class Replica {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: ReplicaReply) => void>();
  private stderr = '';

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: ReplicaReply) => {
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
  }

  static async start(settings: ReplicaSettings): Promise<Replica> {
    const child = fork(SCRIPT, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { PATH: process.env.PATH ?? '' } });
    const replica = new Replica(child);
    const reply = await replica.send({ type: 'init', settings });
    if (!reply.ok) throw new Error(`replica did not start: ${reply.message}`);
    return replica;
  }

  send(request: Request, timeoutMs = 60_000): Promise<ReplicaReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`replica: no answer to ${request.type} in ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      const exited = () => reject(new Error(`replica exited (${this.child.exitCode}); stderr: ${this.stderr}`));
      if (this.child.exitCode !== null) exited();
      else this.child.send({ ...request, id } as ReplicaRequest);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.send({ type: 'close' }, 10_000).catch(() => this.child.kill('SIGKILL'));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Starts `count` replicas with the same settings, in parallel. */
export async function startReplicas(count: number, settings: ReplicaSettings): Promise<Replica[]> {
  const settled = await Promise.allSettled(Array.from({ length: count }, () => Replica.start(settings)));
  const started = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((r) => r.stop()));
    throw failed.reason;
  }
  return started;
}
