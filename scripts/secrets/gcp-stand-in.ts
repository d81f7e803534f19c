/**
 * GCP Secret Manager STAND-IN (not Google's code): a gRPC server for the parts of
 * google.cloud.secretmanager.v1.SecretManagerService that the backend and its
 * tests use (CreateSecret, AddSecretVersion, AccessSecretVersion), built from the
 * official service.proto that @google-cloud/secret-manager ships, and driven by
 * the official Node client. Why a stand-in: the named emulator
 * (github.com/blackwell-systems/gcp-secret-manager-emulator) is refused by the Go
 * module proxy reachable here (403 "not available"), and no other Secret Manager
 * emulator is published on npm, PyPI or Maven Central.
 *
 * Plaintext gRPC on 127.0.0.1, as Google's emulators run; the client reaches it
 * only through DUAL_AUTH_GCP_ENDPOINT + DUAL_AUTH_GCP_PLAINTEXT=true.
 * A secret labelled `access: denied` answers PERMISSION_DENIED, like a missing
 * `secretmanager.versions.access` grant.
 *
 * Run: node --import tsx scripts/secrets/gcp-stand-in.ts  (prints {"port":N} when ready)
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const require = createRequire(import.meta.url);
// Both packages keep their .proto files in build/protos beside build/src (their main entry).
const protosOf = (pkg: string) => join(dirname(require.resolve(pkg)), '..', '..', 'build', 'protos');
const smRoot = protosOf('@google-cloud/secret-manager');
const gaxRoot = protosOf('google-gax');

const definition = protoLoader.loadSync(join(smRoot, 'google/cloud/secretmanager/v1/service.proto'), {
  includeDirs: [smRoot, gaxRoot],
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const loaded = grpc.loadPackageDefinition(definition) as any;
const service = loaded.google.cloud.secretmanager.v1.SecretManagerService.service as grpc.ServiceDefinition;

interface StoredSecret {
  labels: Record<string, string>;
  versions: Buffer[];
}
const secrets = new Map<string, StoredSecret>();

type Callback = (error: Partial<grpc.StatusObject> | null, value?: unknown) => void;
const fail = (callback: Callback, code: grpc.status, details: string) => callback({ code, details });

const SECRET_NAME = /^projects\/([^/]+)\/secrets\/([A-Za-z0-9_-]{1,255})$/;
const VERSION_NAME = /^(projects\/[^/]+\/secrets\/[^/]+)\/versions\/([^/]+)$/;

const handlers: grpc.UntypedServiceImplementation = {
  createSecret(call: grpc.ServerUnaryCall<any, any>, callback: Callback) {
    const { parent, secretId, secret } = call.request;
    const name = `${parent}/secrets/${secretId}`;
    if (!SECRET_NAME.test(name)) return fail(callback, grpc.status.INVALID_ARGUMENT, 'invalid secret name');
    if (secrets.has(name)) return fail(callback, grpc.status.ALREADY_EXISTS, `Secret [${name}] already exists.`);
    secrets.set(name, { labels: { ...(secret?.labels ?? {}) }, versions: [] });
    callback(null, { name, labels: secret?.labels ?? {}, replication: secret?.replication ?? { automatic: {} } });
  },
  addSecretVersion(call: grpc.ServerUnaryCall<any, any>, callback: Callback) {
    const stored = secrets.get(call.request.parent);
    if (!stored) return fail(callback, grpc.status.NOT_FOUND, `Secret [${call.request.parent}] not found.`);
    stored.versions.push(Buffer.from(call.request.payload?.data ?? []));
    callback(null, { name: `${call.request.parent}/versions/${stored.versions.length}`, state: 'ENABLED' });
  },
  accessSecretVersion(call: grpc.ServerUnaryCall<any, any>, callback: Callback) {
    const match = VERSION_NAME.exec(call.request.name ?? '');
    if (!match) return fail(callback, grpc.status.INVALID_ARGUMENT, 'invalid version name');
    const [, secretName, version] = match as unknown as [string, string, string];
    const stored = secrets.get(secretName);
    if (!stored) return fail(callback, grpc.status.NOT_FOUND, `Secret [${secretName}] not found or has no versions.`);
    if (stored.labels.access === 'denied') {
      return fail(callback, grpc.status.PERMISSION_DENIED, `Permission 'secretmanager.versions.access' denied for resource '${call.request.name}'.`);
    }
    const index = version === 'latest' ? stored.versions.length : Number(version);
    const data = stored.versions[index - 1];
    if (!data) return fail(callback, grpc.status.NOT_FOUND, `Secret Version [${call.request.name}] not found.`);
    callback(null, { name: `${secretName}/versions/${index}`, payload: { data } });
  },
};

const server = new grpc.Server();
server.addService(service, handlers);
server.bindAsync(`127.0.0.1:${process.env.PORT ?? 0}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) {
    console.error(error);
    process.exit(1);
  }
  console.log(JSON.stringify({ port }));
});
const stop = () => server.tryShutdown(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
