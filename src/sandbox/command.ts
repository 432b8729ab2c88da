import type { Options } from 'yargs';
import { createLogger } from '../runtime/logger.js';
import { parseChoice, parseHttpUrl, parseInteger, parseNumber, readSetting, type Argv } from '../runtime/settings.js';
import { parseIsoDay, today } from '../runtime/calendar.js';

const GROUP = 'Sandbox:';
const FAULTS = 'Faults:';

export const SANDBOX_OPTIONS: Record<string, Options> = {
  port: { type: 'number', group: GROUP, describe: 'Port on 127.0.0.1 (default 8080; 0 picks a free one)' },
  host: { type: 'string', group: GROUP, describe: 'Address to listen on (default 127.0.0.1)' },
  'public-url': { type: 'string', group: GROUP, describe: 'The URL clients reach it by, used in image URLs (e.g. http://titelive-sandbox:8080 behind a Service); default: the listening address' },
  products: { type: 'number', group: GROUP, describe: 'Products per category (default 5000)' },
  seed: { type: 'number', group: GROUP, describe: 'Catalog seed: the same seed gives the same catalog (default 1)' },
  days: { type: 'number', group: GROUP, describe: 'Products are modified over this many days (default 30)' },
  'end-day': { type: 'string', group: GROUP, describe: 'Last modification day, YYYY-MM-DD (default today; with --history-start, the day before it)' },
  'history-start': { type: 'string', group: GROUP, describe: 'A catalogue that changes day by day from this day (YYYY-MM-DD): products modified, created, deleted, some changes shown late; POST /_sandbox/clock {"day"} moves its clock, GET /_sandbox/truth?base=paper lists every EAN as the API shows it' },
  clock: { type: 'string', group: GROUP, describe: 'With --history-start: the day the catalogue is seen at (default today)' },
  'rate-limit': { type: 'number', group: FAULTS, describe: 'API requests per second allowed; beyond: 429 + Retry-After (default 0 = no limit)' },
  'latency-ms': { type: 'number', group: FAULTS, describe: 'Delay added to every answer (default 0)' },
  'error-rate': { type: 'number', group: FAULTS, describe: 'Fraction of API requests answered 500/502/503 (default 0)' },
  'throttle-every': { type: 'number', group: FAULTS, describe: 'After this many API requests, a burst of 429s (default 0 = never)' },
  'throttle-burst': { type: 'number', group: FAULTS, describe: 'Length of each 429 burst, in requests' },
  'retry-after-seconds': { type: 'number', group: FAULTS, describe: 'Retry-After sent with 429/503 (default 1)' },
  'token-ttl-requests': { type: 'number', group: FAULTS, describe: 'A token expires (401) after this many calls (default 0 = never)' },
  'object-results': { type: 'number', group: FAULTS, describe: 'Fraction of answers whose result is an object keyed "0","1",… (default 0)' },
  'result-cap': { type: 'number', group: FAULTS, describe: 'Results a search pages through at most (default 20000)' },
  'ean-404': { type: 'string', group: FAULTS, describe: 'none-found (404 only when no EAN exists) or any-missing (default none-found)' },
};

const read = (argv: Argv, flag: string) => readSetting(argv, {}, { flag });

/** `titelive-etl sandbox`: serves until SIGINT/SIGTERM. */
export async function runSandboxCommand(argv: Argv): Promise<number> {
  // Loaded here, not with the CLI: every other command starts without the sandbox server.
  const { SANDBOX_PASSWORD, SANDBOX_USERNAME, Sandbox } = await import('./server.js');
  const sandbox = new Sandbox({
    port: parseInteger(read(argv, 'port'), { min: 0, max: 65_535 }) ?? 8080,
    host: read(argv, 'host').raw ?? '127.0.0.1',
    publicUrl: parseHttpUrl(read(argv, 'public-url'))?.replace(/\/+$/, ''),
    products: parseInteger(read(argv, 'products'), { min: 1, max: 10_000_000 }) ?? 5_000,
    seed: parseInteger(read(argv, 'seed')) ?? 1,
    days: parseInteger(read(argv, 'days'), { min: 1, max: 3_650 }) ?? 30,
    ...(read(argv, 'end-day').raw || !read(argv, 'history-start').raw ? { endDay: read(argv, 'end-day').raw ? parseIsoDay(read(argv, 'end-day').raw as string, '--end-day') : today() } : {}),
    ...(read(argv, 'history-start').raw
      ? { history: { start: parseIsoDay(read(argv, 'history-start').raw as string, '--history-start'), clock: read(argv, 'clock').raw ? parseIsoDay(read(argv, 'clock').raw as string, '--clock') : today() } }
      : {}),
    faults: {
      rateLimit: parseNumber(read(argv, 'rate-limit'), { min: 0 }) ?? 0,
      latencyMs: parseInteger(read(argv, 'latency-ms'), { min: 0 }) ?? 0,
      errorRate: parseNumber(read(argv, 'error-rate'), { min: 0, max: 1 }) ?? 0,
      throttleEvery: parseInteger(read(argv, 'throttle-every'), { min: 0 }) ?? 0,
      throttleBurst: parseInteger(read(argv, 'throttle-burst'), { min: 0 }) ?? 0,
      retryAfterSeconds: parseNumber(read(argv, 'retry-after-seconds'), { min: 0 }) ?? 1,
      tokenTtlRequests: parseInteger(read(argv, 'token-ttl-requests'), { min: 0 }) ?? 0,
      objectResults: parseNumber(read(argv, 'object-results'), { min: 0, max: 1 }) ?? 0,
      resultCap: parseInteger(read(argv, 'result-cap'), { min: 1 }) ?? 20_000,
      ean404: parseChoice(read(argv, 'ean-404'), ['none-found', 'any-missing'] as const) ?? 'none-found',
    },
  });
  const logger = createLogger({ base: { stage: 'sandbox' } });
  await sandbox.start();
  process.stdout.write(
    [
      `Titelive sandbox on ${sandbox.url} (${sandbox.catalog.options.products} products per category, modified ${sandbox.catalog.options.days} days up to ${sandbox.catalog.options.endDay})`,
      `export TITELIVE_API_URL=${sandbox.apiUrl}`,
      `export TITELIVE_LOGIN_URL=${sandbox.loginUrl}`,
      `export TITELIVE_USERNAME=${SANDBOX_USERNAME} TITELIVE_PASSWORD=${SANDBOX_PASSWORD}`,
      `stats: ${sandbox.url}/_sandbox/stats   faults: ${sandbox.url}/_sandbox/faults${sandbox.history ? `   clock: ${sandbox.url}/_sandbox/clock (at ${sandbox.history.today})   truth: ${sandbox.url}/_sandbox/truth?base=paper` : ''}`,
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logger.info({ stats: sandbox.getStats() }, 'sandbox stopping');
  await sandbox.stop();
  return 0;
}
