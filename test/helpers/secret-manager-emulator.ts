import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * A Secret Manager stand-in on loopback, speaking the real gRPC service from the client
 * library's own .proto files: each secret name answers as `secrets` says, a value or a gRPC
 * status code. Counts the calls per secret.
 */
export interface SecretManagerEmulator {
  host: string;
  calls: Map<string, number>;
  stop(): Promise<void>;
}

export async function startSecretManagerEmulator(secrets: Record<string, string | grpc.status>): Promise<SecretManagerEmulator> {
  const require = createRequire(import.meta.url);
  const secretManagerProtos = path.join(path.dirname(require.resolve('@google-cloud/secret-manager/package.json')), 'build', 'protos');
  // google-gax's entry is build/src/index.js; its .proto files are in build/protos.
  const gaxProtos = path.join(path.dirname(require.resolve('google-gax')), '..', 'protos');
  const definition = await protoLoader.load('google/cloud/secretmanager/v1/service.proto', { includeDirs: [secretManagerProtos, gaxProtos], keepCase: false, longs: String, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as { google: { cloud: { secretmanager: { v1: { SecretManagerService: { service: grpc.ServiceDefinition } } } } } };
  const calls = new Map<string, number>();
  const server = new grpc.Server();
  server.addService(loaded.google.cloud.secretmanager.v1.SecretManagerService.service, {
    accessSecretVersion: (call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const secret = /\/secrets\/([^/]+)\//.exec(call.request.name)?.[1] ?? '';
      calls.set(secret, (calls.get(secret) ?? 0) + 1);
      const answer = secrets[secret];
      if (answer === undefined) return callback({ code: grpc.status.NOT_FOUND, details: `Secret [${call.request.name}] not found or has no versions.` });
      if (typeof answer === 'number') return callback({ code: answer, details: `emulated ${grpc.status[answer]}` });
      callback(null, { name: call.request.name, payload: { data: Buffer.from(answer) } });
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  return {
    host: `127.0.0.1:${port}`,
    calls,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
