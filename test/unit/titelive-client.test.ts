import { expect } from 'chai';
import { AgentPool } from '../../src/runtime/http/agent-pool.js';
import { HttpClient } from '../../src/runtime/http/http-client.js';
import { ConfigError } from '../../src/runtime/errors.js';
import { Sandbox, SANDBOX_PASSWORD, SANDBOX_USERNAME } from '../../src/sandbox/server.js';
import { TiteliveClient } from '../../src/titelive/client.js';
import { fetchBatch } from '../../src/titelive/ean-lookup.js';

describe('Titelive client against the sandbox', () => {
  let sandbox: Sandbox;
  let pool: AgentPool;
  beforeEach(async () => {
    sandbox = new Sandbox({ products: 500, endDay: '2024-01-31', days: 10 });
    await sandbox.start();
    pool = new AgentPool({ maxSockets: 4 });
  });
  afterEach(async () => {
    pool.destroy();
    await sandbox.stop();
  });

  const client = (password = SANDBOX_PASSWORD) =>
    new TiteliveClient({
      apiUrl: sandbox.apiUrl,
      loginUrl: sandbox.loginUrl,
      username: SANDBOX_USERNAME,
      password,
      http: new HttpClient({ pool, retry: { baseDelayMs: 10, maxDelayMs: 50 } }),
    });

  it('logs in once for many concurrent calls after the token expires (single flight)', async () => {
    const titelive = client();
    await titelive.search({ category: 'paper', day: '2024-01-30', nextDay: '2024-01-31', page: 1, perPage: 10 });
    expect(sandbox.getStats().logins).to.equal(1);
    sandbox.expireTokens();
    const eans = sandbox.catalog.eansModifiedBetween('paper', '2024-01-30', '2024-01-31').slice(0, 20);
    await Promise.all(eans.map((ean) => titelive.lookupEans('paper', [ean])));
    expect(sandbox.getStats().logins).to.equal(2);
    expect(sandbox.getStats().status401).to.be.at.least(1);
  });

  it('gives up after a bounded number of logins when every token is refused', async () => {
    sandbox.faults.refuseTokens = true;
    let error: unknown;
    try {
      await client().search({ category: 'paper', day: '2024-01-30', nextDay: '2024-01-31', page: 1, perPage: 10 });
    } catch (caught) {
      error = caught;
    }
    expect((error as Error).message).to.contain('kept answering 401 after 3 new logins');
    // The first login and three refreshes.
    expect(sandbox.getStats().logins).to.equal(4);
  });

  it('reports refused credentials as a configuration error without the password', async () => {
    let error: unknown;
    try {
      await client('wrong-secret-123').search({ category: 'paper', day: '2024-01-30', nextDay: '2024-01-31', page: 1, perPage: 10 });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.contain('TITELIVE_PASSWORD').and.not.contain('wrong-secret-123').and.not.contain(SANDBOX_USERNAME + '/');
  });

  it('splits nothing it does not need to: a 404 for one EAN means deleted', async () => {
    const titelive = client();
    const answer = await titelive.lookupEans('paper', ['9780000000000']);
    expect(answer.status).to.equal('not_found');
  });

  it('retries 429 with Retry-After and 5xx, then answers', async () => {
    sandbox.faults.throttleEvery = 2;
    sandbox.faults.throttleBurst = 1;
    sandbox.faults.retryAfterSeconds = 0.05;
    const titelive = client();
    const pages = await Promise.all([1, 2, 3].map((page) => titelive.search({ category: 'paper', day: '2024-01-25', nextDay: '2024-01-31', page, perPage: 20 })));
    expect(pages.every((page) => page.products.length === 20)).to.equal(true);
    expect(sandbox.getStats().status429).to.be.at.least(1);
  });

  it('isolates an EAN whose /ean always answers 500: halves of its batch, each tried twice, down to it alone', async () => {
    const eans = sandbox.catalog.eansModifiedBetween('paper', '2024-01-21', '2024-01-31').slice(0, 250);
    expect(eans).to.have.length(250);
    const poison = eans[137]!;
    sandbox.faults.failingEans = [poison];
    sandbox.faults.retryAfterSeconds = 0.01;
    sandbox.resetStats();
    const items = await fetchBatch(client(), 'paper', eans);
    expect(items.filter((item) => item.status === 'failed').map((item) => item.key)).to.deep.equal([poison]);
    expect(items.filter((item) => item.status === 'found').length).to.be.greaterThan(200);
    // The whole batch 6 times, then at each of 8 halvings the half holding it twice and the other once.
    expect(sandbox.getStats().eanLookups).to.be.at.most(6 + 8 * 3);
  });
});
