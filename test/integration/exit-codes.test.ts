import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { SANDBOX_PASSWORD, SANDBOX_USERNAME, Sandbox } from '../../src/sandbox/server.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/run-stages.js';
import { startSecretManagerEmulator, type SecretManagerEmulator } from '../helpers/secret-manager-emulator.js';

describe('exit codes Kubernetes acts on', function () {
  this.timeout(120_000);
  let sandbox: Sandbox;
  let secrets: SecretManagerEmulator;

  before(async () => {
    sandbox = new Sandbox({ products: 50, endDay: '2024-01-08', days: 3 });
    await sandbox.start();
    secrets = await startSecretManagerEmulator({
      user: SANDBOX_USERNAME,
      password: SANDBOX_PASSWORD,
      denied: grpc.status.PERMISSION_DENIED,
      malformed: grpc.status.INVALID_ARGUMENT,
      flaky: grpc.status.UNAVAILABLE,
      busy: grpc.status.RESOURCE_EXHAUSTED,
    });
  });
  after(async () => {
    await sandbox?.stop();
    await secrets?.stop();
  });

  const plan = async (usernameSecret: string) =>
    runCli(['plan', '--category', 'paper', '--run-id', '2024-01-08', '--data-url', await tempDir(), '--window-days', '2'], {
      TITELIVE_API_URL: sandbox.apiUrl,
      TITELIVE_LOGIN_URL: sandbox.loginUrl,
      TITELIVE_SECRETS_SOURCE: 'secret-manager',
      GCP_PROJECT_ID: 'test-project',
      SECRET_MANAGER_EMULATOR_HOST: secrets.host,
      TITELIVE_USERNAME_SECRET: usernameSecret,
      TITELIVE_PASSWORD_SECRET: 'password',
    });

  it('reads the credentials from Secret Manager and runs', async () => {
    const result = await plan('user');
    expect(result.code, result.stderr).to.equal(0);
    expect(secrets.calls.get('user')).to.equal(1);
  });

  it('exits 2 when the secret is missing, access is denied or the name is refused, before any work', async () => {
    const requestsBefore = sandbox.getStats().apiRequests;
    for (const name of ['missing', 'denied', 'malformed']) {
      const result = await plan(name);
      expect(result.code, `${name}: ${result.stderr}`).to.equal(2);
      expect(result.stderr).to.contain(`cannot read secret '${name}' in project 'test-project'`).and.contain('roles/secretmanager.secretAccessor');
    }
    expect(sandbox.getStats().apiRequests, 'no Titelive request').to.equal(requestsBefore);
  });

  it('exits 1 when Secret Manager is unavailable or busy, after a few retries, so that Kubernetes retries the pod', async () => {
    for (const name of ['flaky', 'busy']) {
      const before = secrets.calls.get(name) ?? 0;
      const result = await plan(name);
      expect(result.code, `${name}: ${result.stderr}`).to.equal(1);
      expect(result.stderr).to.contain(`cannot read secret '${name}'`).and.contain('Kubernetes retries it');
      expect((secrets.calls.get(name) ?? 0) - before, `${name}: calls`).to.be.greaterThan(1);
    }
  });

  it('puts the stack trace in the ERROR entry of a failed job, where error reporting groups it', async () => {
    const result = await runCli(['parse', '--category', 'paper', '--run-id', '2024-01-08', '--data-url', await tempDir()]);
    expect(result.code).to.equal(3);
    const entries = result.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    const failed = entries.find((entry) => entry.event === 'job_failed')!;
    expect(failed.stack_trace).to.be.a('string').and.match(/^UpstreamIncompleteError: /).and.match(/\n {4}at /);
    expect(entries.filter((entry) => entry.event === 'job_failed')).to.have.length(1);
  });
});
