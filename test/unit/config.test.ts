import { expect } from 'chai';
import { resolveFetchConfig, resolvePipelineConfig, resolvePlanConfig, resolveShard, resolveWindow } from '../../src/config.js';
import { ConfigError } from '../../src/runtime/errors.js';
import { STAGES } from '../../src/stage-table.js';

const creds = { TITELIVE_USERNAME: 'u', TITELIVE_PASSWORD: 'p' };

async function configError(promise: Promise<unknown> | (() => unknown)): Promise<ConfigError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('accepts both category spellings', async () => {
    const seed = await resolveFetchConfig({ category: 'MUSIQUE_ENREGISTREE', 'data-url': './d', 'run-id': '2024-01-08' }, creds);
    expect(seed.dataset).to.equal('music');
    const api = await resolveFetchConfig({ 'data-url': './d', 'run-id': 'r1' }, { ...creds, CATEGORY: 'paper' });
    expect(api.dataset).to.equal('paper');
    const livre = await resolveFetchConfig({ category: 'LIVRE', 'data-url': './d' }, creds);
    expect(livre.dataset).to.equal('paper');
  });

  it('names the flag or the variable a bad value came from', async () => {
    const fromFlag = await configError(resolveFetchConfig({ category: 'books', 'data-url': './d' }, creds));
    expect(fromFlag.message).to.contain('--category').and.contain("'books'");
    const fromEnv = await configError(resolveFetchConfig({ category: 'paper', 'data-url': './d' }, { ...creds, SHARD_COUNT: 'four' }));
    expect(fromEnv.message).to.contain('SHARD_COUNT').and.contain("'four'");
    const missing = await configError(resolveFetchConfig({ category: 'paper' }, creds));
    expect(missing.message).to.contain('--data-url / DATA_URL is required');
  });

  it('reads the shard from JOB_COMPLETION_INDEX and SHARD_COUNT, flags first', () => {
    expect(resolveShard({}, { JOB_COMPLETION_INDEX: '3', SHARD_COUNT: '4' })).to.deep.equal({ index: 3, count: 4 });
    expect(resolveShard({ 'shard-index': 1 }, { JOB_COMPLETION_INDEX: '3', SHARD_COUNT: '4' })).to.deep.equal({ index: 1, count: 4 });
    expect(resolveShard({}, {})).to.deep.equal({ index: 0, count: 1 });
    expect(() => resolveShard({}, { JOB_COMPLETION_INDEX: '4', SHARD_COUNT: '4' })).to.throw(ConfigError, /between 0 and 3/);
  });

  it('resolves the window from dates, or leaves its start to the cursor with --window-days, --lookback-days and --max-catch-up-days', () => {
    expect(resolveWindow({ 'window-days': 7 }, {}, '2024-01-08')).to.deep.equal({ end: '2024-01-08', days: 7, lookbackDays: 7, maxCatchUpDays: 62 });
    expect(resolveWindow({ 'min-modified-date': '2024-01-01', 'max-modified-date': '2024-01-08' }, {}, 'x')).to.deep.include({ start: '2024-01-01', end: '2024-01-08' });
    expect(resolveWindow({}, { LOOKBACK_DAYS: '0', MAX_CATCH_UP_DAYS: '10' }, '2024-03-01')).to.deep.equal({ end: '2024-03-01', days: 1, lookbackDays: 0, maxCatchUpDays: 10 });
    expect(() => resolveWindow({}, { LOOKBACK_DAYS: '-1' }, '2024-03-01')).to.throw(ConfigError, /LOOKBACK_DAYS/);
    expect(() => resolveWindow({ 'min-modified-date': '2024-02-30' }, {}, '2024-03-01')).to.throw(ConfigError, /--min-modified-date.*YYYY-MM-DD/);
    expect(() => resolveWindow({ 'min-modified-date': '2024-01-09', 'max-modified-date': '2024-01-08' }, {}, 'x')).to.throw(ConfigError, /empty/);
  });

  it('wants credentials, from variables or mounted files, and never echoes them', async () => {
    const error = await configError(resolvePlanConfig({ category: 'paper', 'data-url': './d', 'run-id': '2024-01-08' }, {}));
    expect(error.message).to.contain('TITELIVE_USERNAME').and.contain('TITELIVE_PASSWORD');
    const noFile = await configError(resolvePlanConfig({ category: 'paper', 'data-url': './d' }, { TITELIVE_USERNAME: 'u', TITELIVE_PASSWORD_FILE: '/nonexistent/secret' }));
    expect(noFile.message).to.contain('TITELIVE_PASSWORD_FILE').and.contain('/nonexistent/secret');
    const secretManager = await configError(resolvePlanConfig({ category: 'paper', 'data-url': './d', 'secrets-source': 'secret-manager' }, {}));
    expect(secretManager.message).to.contain('GCP_PROJECT_ID');
  });

  it('divides nothing by zero: rate limit and parallelism must be positive', async () => {
    const rate = await configError(resolveFetchConfig({ category: 'paper', 'data-url': './d' }, { ...creds, TITELIVE_RATE_LIMIT: '0' }));
    expect(rate.message).to.contain('TITELIVE_RATE_LIMIT');
    const parallelism = await configError(resolveFetchConfig({ category: 'paper', 'data-url': './d' }, { ...creds, PARALLELISM: '0' }));
    expect(parallelism.message).to.contain('PARALLELISM');
    const batch = await configError(resolveFetchConfig({ category: 'paper', 'data-url': './d', 'batch-size': 251 }, creds));
    expect(batch.message).to.contain('--batch-size').and.contain('250');
  });

  it("pipeline: reads the chart's variables, and refuses stages out of order, unknown stages and release names the chart cannot have", async () => {
    const env = { CATEGORY: 'paper', DATA_URL: 'gs://b/runs', RELEASE_NAME: 'etl', POD_NAMESPACE: 'data', PIPELINE_JOB_NAME: 'paper-manual-1', POLL_INTERVAL_MS: '10000' };
    const config = resolvePipelineConfig({ 'run-id': '2026-11-23' }, env);
    expect(config).to.deep.include({ release: 'etl', namespace: 'data', ownerJob: 'paper-manual-1', pollIntervalMs: 10_000, stages: [...STAGES] });
    expect(resolvePipelineConfig({ stages: 'images,load' }, env).stages).to.deep.equal(['images', 'load']);
    expect((await configError(() => resolvePipelineConfig({ stages: 'load,images' }, env))).message).to.contain('in run order');
    expect((await configError(() => resolvePipelineConfig({ stages: 'plan,upload' }, env))).message).to.contain('unknown stages (upload)');
    expect((await configError(() => resolvePipelineConfig({}, { ...env, RELEASE_NAME: 'Titelive_ETL' }))).message).to.contain('RELEASE_NAME').and.contain("'Titelive_ETL'");
    expect((await configError(() => resolvePipelineConfig({ release: 'r'.repeat(38) }, env))).message).to.contain('up to 37');
    // A backfill: the plan Job gets the list; a list without its own run id would take the scheduled run's.
    expect(config.stageEnv).to.deep.equal({ plan: {} });
    expect(resolvePipelineConfig({ 'run-id': 'backfill-1', 'eans-from': 'gs://b/l.csv' }, env).stageEnv).to.deep.equal({ plan: { EANS_FROM: 'gs://b/l.csv', MOVE_CURSOR: 'false' } });
    expect(resolvePipelineConfig({ 'run-id': 'repair-1', 'retry-failed-from': '2026-11-23', 'include-unavailable': true }, env).stageEnv).to.deep.equal({ plan: { RETRY_FAILED_FROM: '2026-11-23', INCLUDE_UNAVAILABLE: 'true' } });
    expect((await configError(() => resolvePipelineConfig({ 'eans-from': 'gs://b/l.csv' }, env))).message).to.contain('its own --run-id');
  });
});
