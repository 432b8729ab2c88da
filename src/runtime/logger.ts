import { pino, stdTimeFunctions, type Logger, type LevelWithSilent } from 'pino';
import { createRequire } from 'node:module';
import type pinoPretty from 'pino-pretty';

export type { Logger } from 'pino';
export type LogFormat = 'json' | 'pretty' | 'auto';

/** Cloud Logging reads `severity` from JSON lines; these are its names for pino's levels. */
const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/** Anything that could carry a credential is censored wherever it appears in a log object. */
const REDACTED_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'mongodbUri',
  '*.mongodbUri',
];

export interface LoggerOptions {
  level?: LevelWithSilent;
  format?: LogFormat;
  /** Fields added to every line (stage, category, shard…). */
  base?: Record<string, unknown>;
  /** Where lines go; standard error by default so standard output stays for command results. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  const format = options.format ?? 'auto';
  const usePretty = format === 'pretty' || (format === 'auto' && (destination as { isTTY?: boolean }).isTTY === true);
  const pinoOptions = {
    level: options.level ?? 'info',
    messageKey: 'message',
    base: options.base ?? {},
    timestamp: stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: {
      level(label: string) {
        return { severity: SEVERITY[label] ?? 'DEFAULT', level: label };
      },
    },
  };
  if (usePretty) {
    // Loaded only for a terminal: pods log JSON and start without it.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof pinoPretty;
    const stream = pretty({
      destination,
      sync: true,
      colorize: (destination as { isTTY?: boolean }).isTTY === true,
      messageKey: 'message',
      ignore: 'pid,hostname,severity,level,category,runId',
      // The message already says what happened; the fields stay in the JSON format.
      hideObject: true,
      translateTime: 'HH:MM:ss',
    });
    return pino(pinoOptions, stream);
  }
  return pino(pinoOptions, destination);
}
