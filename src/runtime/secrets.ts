import { readFile } from 'node:fs/promises';
import { ConfigError, messageOf } from './errors.js';
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

/** The latest version of a Google Secret Manager secret, through Workload Identity or ADC. */
export async function secretFromSecretManager(projectId: string, secretName: string): Promise<string> {
  const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
  const client = new SecretManagerServiceClient();
  const name = `projects/${projectId}/secrets/${secretName}/versions/latest`;
  try {
    const [version] = await client.accessSecretVersion({ name });
    const data = version.payload?.data;
    if (!data) throw new Error('the secret version has no payload');
    return typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  } catch (error) {
    throw new ConfigError(
      `Secret Manager: cannot read secret '${secretName}' in project '${projectId}' (${firstLine(messageOf(error))}); ` +
        'check GCP_PROJECT_ID and that the service account has roles/secretmanager.secretAccessor',
    );
  } finally {
    await client.close().catch(() => undefined);
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
