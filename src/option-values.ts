import { ConfigError } from './runtime/errors.js';
import {
  parseBoolean, parseChoice, parseHttpUrl, parseInteger, parseNumber, readSetting, type Argv, type Env, type RawSetting,
} from './runtime/settings.js';
import { OPTIONS, optionSpec, type OptionName, type OptionSpec, type OptionValue } from './options.js';

/** Where a value is read: the command (for its own defaults) or `sandbox`, run-local on its sandbox. */
export type OptionContext = string | undefined;

export function rawOption(argv: Argv, env: Env, name: OptionName): RawSetting {
  return readSetting(argv, env, { flag: name, env: (OPTIONS[name] as OptionSpec).env });
}

/** The default of `name` in `context`: the context's row entry, else the option's own. */
export function defaultOf(name: OptionName, context?: OptionContext): OptionValue | undefined {
  const spec = optionSpec(name);
  const own = context === undefined ? undefined : spec.defaults?.[context];
  if (own !== undefined) return own;
  return typeof spec.default === 'function' ? spec.default() : spec.default;
}

/** The value as given (checked against the row's type, bounds and choices), else its default. */
function checkedValue(argv: Argv, env: Env, name: OptionName, context?: OptionContext): OptionValue | undefined {
  const spec = optionSpec(name);
  const setting = rawOption(argv, env, name);
  const given =
    spec.type === 'boolean' ? parseBoolean(setting)
    : spec.type === 'number' ? (spec.integer ? parseInteger(setting, spec) : parseNumber(setting, spec))
    : spec.choices ? parseChoice(setting, spec.choices)
    : spec.url ? parseHttpUrl(setting)
    : setting.raw;
  return given ?? defaultOf(name, context);
}

/** `T` for an option whose row has a default (it always has a value), `T | undefined` otherwise. */
type ValueOf<Name extends OptionName, T> = (typeof OPTIONS)[Name] extends { default: unknown } ? T : T | undefined;

export function numberOption<Name extends OptionName>(argv: Argv, env: Env, name: Name, context?: OptionContext): ValueOf<Name, number> {
  return checkedValue(argv, env, name, context) as ValueOf<Name, number>;
}

export function stringOption<Name extends OptionName>(argv: Argv, env: Env, name: Name, context?: OptionContext): ValueOf<Name, string> {
  return checkedValue(argv, env, name, context) as ValueOf<Name, string>;
}

export function booleanOption(argv: Argv, env: Env, name: OptionName, context?: OptionContext): boolean {
  return (checkedValue(argv, env, name, context) as boolean | undefined) ?? false;
}

/** A value that must be there: given, or a default of the row. */
export function requiredOption(argv: Argv, env: Env, name: OptionName, hint: string, context?: OptionContext): string {
  const value = stringOption(argv, env, name, context);
  if (value === undefined) throw new ConfigError(`${rawOption(argv, env, name).from} is required: ${hint}`);
  return value;
}
