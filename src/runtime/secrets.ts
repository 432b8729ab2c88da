import { readFile } from 'node:fs/promises';
import { ConfigError, WorkFailedError, messageOf } from './errors.js';
import { isConfigFailure } from './secret-manager-failure.js';
import type { Env } from './settings.js';

/**
 * A secret value from the environment: `NAME` itself, or the file named by `NAME_FILE`
 * (a mounted Kubernetes Secret). Trailing newlines of files are dropped.
 */
export async function secretFromEnvOrFile(env: Env, name: string): Promise<string | undefined> {
  const direct = env[name];
  if (direct !== undefined && direct !== '') return direct;
  const file = env[`${name}_FILE`];
  if (file === undefined || file === '') return undefined;
  try {
    return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new ConfigError(`${name}_FILE: cannot read '${file}' (${messageOf(error).replace(/^.*?: /, '')}); mount the Secret there or unset ${name}_FILE`);
  }
}

/** Retries of one secret read after UNAVAILABLE and the like, within the library's backoff. */
const SECRET_READ_RETRIES = 3;

/**
 * The latest version of a Google Secret Manager secret, through Workload Identity or ADC.
 * `SECRET_MANAGER_EMULATOR_HOST` (host:port) sends the calls in plain text to an emulator.
 * A missing secret, denied access or a bad name is a ConfigError (exit 2); a failure that may
 * pass is a WorkFailedError (exit 1), so Kubernetes retries the pod.
 */
export async function secretFromSecretManager(projectId: string, secretName: string, env: Env = process.env): Promise<string> {
  const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
  const client = new SecretManagerServiceClient(await emulatorOptions(env.SECRET_MANAGER_EMULATOR_HOST));
  const name = `projects/${projectId}/secrets/${secretName}/versions/latest`;
  try {
    const [version] = await client.accessSecretVersion({ name }, { maxRetries: SECRET_READ_RETRIES });
    const data = version.payload?.data;
    if (!data) throw new ConfigError(`Secret Manager: secret '${secretName}' in project '${projectId}' has no payload in its latest version; add a version with the value`);
    return typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as { code?: unknown }).code;
    const grpcCode = typeof code === 'number' ? code : undefined;
    const what = `Secret Manager: cannot read secret '${secretName}' in project '${projectId}' (${firstLine(messageOf(error))})`;
    if (isConfigFailure(grpcCode)) {
      throw new ConfigError(`${what}; check GCP_PROJECT_ID, the secret's name and that the service account has roles/secretmanager.secretAccessor`);
    }
    throw new WorkFailedError(`${what}; this may pass: the pod exits 1 so that Kubernetes retries it`);
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function emulatorOptions(host: string | undefined): Promise<ConstructorParameters<typeof import('@google-cloud/secret-manager').SecretManagerServiceClient>[0]> {
  if (!host) return {};
  const match = /^([^:]+):(\d+)$/.exec(host);
  if (!match) throw new ConfigError(`SECRET_MANAGER_EMULATOR_HOST: '${host}' is not host:port`);
  const { grpc } = await import('google-gax');
  return { apiEndpoint: match[1], port: Number(match[2]), sslCreds: grpc.credentials.createInsecure() };
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
