import { expect } from 'chai';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Sandbox } from '../../src/sandbox/server.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/run-stages.js';
import { startMongo, startPrometheusStack, type MongoServer, type PrometheusStack } from '../helpers/services.js';

const runId = '2024-01-08';
const PASSWORD = 'Titelive-Pw-7c41e9';
const WRONG_PASSWORD = 'Wrong-Pw-03bd52';
const MONGO_PASSWORD = 'Mongo-Pw-5fa2d8';

/** Every file under `folder`, recursively. */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

describe('no secret anywhere', function () {
  this.timeout(240_000);
  let sandbox: Sandbox;
  let mongo: MongoServer;
  let stack: PrometheusStack;

  before(async function () {
    mongo = await startMongo(this);
    stack = await startPrometheusStack(this, [], []);
    // 401s (tokens expire every few calls), 5xx answers to retry, at debug level below.
    sandbox = new Sandbox({ products: 300, endDay: runId, days: 10, credentials: { username: 'etl-user', password: PASSWORD }, faults: { tokenTtlRequests: 4, errorRate: 0.08, retryAfterSeconds: 0 } });
    await sandbox.start();
  });
  after(async () => {
    await sandbox?.stop();
    await stack?.stop();
    await mongo?.stop();
  });

  it('runs every stage with faults and failures at debug level, and no log, error, manifest or pushed metric holds a password or token', async () => {
    const dataUrl = await tempDir('titelive-secrets-');
    const mongoUrl = new URL(mongo.uri);
    mongoUrl.username = 'etl';
    mongoUrl.password = MONGO_PASSWORD;
    mongoUrl.searchParams.set('authMechanism', 'PLAIN');
    const env = {
      TITELIVE_API_URL: sandbox.apiUrl,
      TITELIVE_LOGIN_URL: sandbox.loginUrl,
      TITELIVE_USERNAME: 'etl-user',
      TITELIVE_PASSWORD: PASSWORD,
      TITELIVE_RATE_LIMIT: '1000',
      HTTP_MAX_ATTEMPTS: '10',
      LOG_LEVEL: 'debug',
      PUSHGATEWAY_URL: stack.pushgatewayUrl,
      MONGODB_URI: mongoUrl.href,
      MONGODB_DATABASE: `secrets_${process.pid}`,
      IMAGE_HOSTS: new URL(sandbox.url).origin,
      CATEGORY: 'paper',
      RUN_ID: runId,
      DATA_URL: dataUrl,
    };
    const results: CliResult[] = [];
    const step = async (args: string[], extra: Record<string, string> = {}, expected = 0) => {
      const result = await runCli(args, { ...env, ...extra });
      results.push(result);
      expect(result.code, `${args.join(' ')}: ${result.stderr.slice(-2000)}`).to.equal(expected);
      return result;
    };
    const shard = (index: number) => ({ JOB_COMPLETION_INDEX: String(index), SHARD_COUNT: '2' });

    await step(['plan', '--min-modified-date', '2024-01-01', '--max-modified-date', runId]);
    // A failing shard: refused credentials (exit 2), then a server that is not there (exit 1).
    await step(['fetch'], { ...shard(0), TITELIVE_PASSWORD: WRONG_PASSWORD }, 2);
    for (const index of [0, 1]) await step(['fetch'], shard(index));
    for (const index of [0, 1]) await step(['parse'], shard(index));
    for (const index of [0, 1]) await step(['images', '--images-url', path.join(dataUrl, 'mirror')], shard(index));
    const unreachable = new URL(mongoUrl.href);
    unreachable.port = '9';
    await step(['load'], { ...shard(0), MONGODB_URI: `${unreachable.href}&serverSelectionTimeoutMS=1000` }, 1);
    for (const index of [0, 1]) await step(['load'], shard(index));
    await step(['verify']);

    // The faults happened: logins again after 401s, 5xx retried, a token per login.
    const stats = sandbox.getStats();
    expect(stats.status401, 'expired tokens answered 401').to.be.greaterThan(0);
    expect(sandbox.issuedTokens.length, 'tokens issued').to.be.greaterThan(2);
    const logs = results.map((result) => result.stdout + result.stderr).join('\n');
    expect(logs).to.contain('"event":"http_retry"');
    expect(logs).to.contain('"level":"debug"');

    const places: Array<[string, string]> = [['logs and errors', logs]];
    for (const file of await filesUnder(dataUrl)) places.push([file, (await readFile(file)).toString('latin1')]);
    expect(places.filter(([name]) => name.endsWith('.json')).length, 'manifests read').to.be.greaterThan(8);
    const pushed = await (await fetch(`${stack.pushgatewayUrl}/metrics`)).text();
    expect(pushed, 'the stages pushed').to.contain('titelive_etl_stage_exit_code');
    places.push(['pushed metrics', pushed], ['pushed groups', await (await fetch(`${stack.pushgatewayUrl}/api/v1/metrics`)).text()]);

    const secrets: Array<[string, string]> = [['password', PASSWORD], ['wrong password', WRONG_PASSWORD], ['MongoDB password', MONGO_PASSWORD], ...sandbox.issuedTokens.map((token, index): [string, string] => [`bearer token ${index}`, token])];
    const found = places.flatMap(([where, text]) => secrets.filter(([, secret]) => text.includes(secret)).map(([what]) => `${what} in ${where}`));
    expect(found).to.deep.equal([]);
  });
});
