import { ConfigError } from './errors.js';

/**
 * One configurable value: a command-line flag with an optional environment fallback.
 * Errors name whichever of the two the value came from, so users know what to fix.
 */
export interface SettingSource {
  flag: string;
  env?: string;
}

export interface RawSetting {
  raw: string | undefined;
  /** `--flag` or `ENV_VAR`, for error messages. */
  from: string;
}

export type Argv = Record<string, unknown>;
export type Env = Record<string, string | undefined>;

export function readSetting(argv: Argv, env: Env, source: SettingSource): RawSetting {
  const fromFlag = argv[source.flag];
  if (fromFlag !== undefined && fromFlag !== null && fromFlag !== '') {
    return { raw: String(fromFlag), from: `--${source.flag}` };
  }
  if (source.env) {
    const fromEnv = env[source.env];
    if (fromEnv !== undefined && fromEnv !== '') return { raw: fromEnv, from: source.env };
  }
  return { raw: undefined, from: source.env ? `--${source.flag} / ${source.env}` : `--${source.flag}` };
}

export function requireValue(setting: RawSetting, hint: string): string {
  if (setting.raw === undefined) throw new ConfigError(`${setting.from} is required: ${hint}`);
  return setting.raw;
}

export function parseInteger(setting: RawSetting, bounds: { min?: number; max?: number } = {}): number | undefined {
  if (setting.raw === undefined) return undefined;
  const text = setting.raw.trim();
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new ConfigError(`${setting.from}: expected a whole number, got '${setting.raw}'`);
  }
  checkBounds(setting, value, bounds);
  return value;
}

export function parseNumber(setting: RawSetting, bounds: { min?: number; max?: number; exclusiveMin?: number } = {}): number | undefined {
  if (setting.raw === undefined) return undefined;
  const value = Number(setting.raw.trim());
  if (setting.raw.trim() === '' || !Number.isFinite(value)) {
    throw new ConfigError(`${setting.from}: expected a number, got '${setting.raw}'`);
  }
  if (bounds.exclusiveMin !== undefined && value <= bounds.exclusiveMin) {
    throw new ConfigError(`${setting.from}: must be greater than ${bounds.exclusiveMin}, got ${value}`);
  }
  checkBounds(setting, value, bounds);
  return value;
}

function checkBounds(setting: RawSetting, value: number, bounds: { min?: number; max?: number }): void {
  if (bounds.min !== undefined && value < bounds.min) {
    throw new ConfigError(`${setting.from}: must be at least ${bounds.min}, got ${value}`);
  }
  if (bounds.max !== undefined && value > bounds.max) {
    throw new ConfigError(`${setting.from}: must be at most ${bounds.max}, got ${value}`);
  }
}

export function parseBoolean(setting: RawSetting): boolean | undefined {
  if (setting.raw === undefined) return undefined;
  const text = setting.raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new ConfigError(`${setting.from}: expected true or false, got '${setting.raw}'`);
}

export function parseChoice<T extends string>(setting: RawSetting, choices: readonly T[]): T | undefined {
  if (setting.raw === undefined) return undefined;
  const found = choices.find((choice) => choice === setting.raw);
  if (!found) throw new ConfigError(`${setting.from}: expected one of ${choices.join(', ')}, got '${setting.raw}'`);
  return found;
}

export function parseHttpUrl(setting: RawSetting): string | undefined {
  if (setting.raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(setting.raw);
  } catch {
    throw new ConfigError(`${setting.from}: expected an http(s) URL, got '${setting.raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${setting.from}: expected an http(s) URL, got '${setting.raw}'`);
  }
  return setting.raw.replace(/\/+$/, '');
}
