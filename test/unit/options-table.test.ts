import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OPTIONS, describeDefault, yargsOptions, type OptionName, type OptionSpec } from '../../src/options.js';
import { defaultOf } from '../../src/option-values.js';
import { ROOT } from '../helpers/services.js';

interface ReadmeRow {
  flags: string[];
  envs: string[];
  defaultCell: string;
}

/** The README's option tables: `| --flag | ENV | meaning | default |` rows. */
function readmeOptionRows(): ReadmeRow[] {
  return readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    .split('\n')
    .filter((line) => /^\| (`--|—)/.test(line))
    .map((line) => {
      const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim());
      return {
        flags: [...cells[0]!.matchAll(/`--([a-z0-9-]+)`/g)].map((match) => match[1]!),
        envs: [...cells[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1]!),
        defaultCell: cells.at(-1)!,
      };
    });
}

describe('the options table', () => {
  const rows = readmeOptionRows();
  const names = Object.keys(OPTIONS) as OptionName[];

  it('is the README: every option has a row, with its variable, and its defaults in the default column', () => {
    for (const name of names) {
      const spec: OptionSpec = OPTIONS[name];
      const mine = rows.filter((row) => row.flags.includes(name));
      expect(mine.length, `README rows for --${name}`).to.be.above(0);
      if (spec.env) expect(mine.some((row) => row.envs.includes(spec.env!)), `--${name}'s variable ${spec.env} in the README`).to.equal(true);
      const cells = mine.map((row) => row.defaultCell).join(' | ');
      const plain = spec.default === undefined || typeof spec.default === 'function' ? undefined : String(spec.default);
      for (const value of [plain, ...Object.values(spec.defaults ?? {}).map(String)].filter((value) => value !== undefined)) {
        expect(cells, `--${name}'s default ${value} in the README`).to.contain(value);
      }
      if (spec.required) expect(cells, `--${name} is required`).to.match(/required/);
    }
  });

  it('names in the README only flags and variables it has', () => {
    for (const row of rows) {
      for (const flag of row.flags) {
        expect(names, `README's --${flag}`).to.include(flag);
        const env = (OPTIONS[flag as OptionName] as OptionSpec).env;
        if (env) expect(row.envs, `--${flag}'s README row`).to.include(env);
      }
    }
  });

  it('gives each command its own defaults, and help says them', () => {
    expect(defaultOf('max-sockets')).to.equal(8);
    expect(defaultOf('max-sockets', 'images')).to.equal(32);
    expect(defaultOf('rate-limit', 'run-local')).to.equal(1);
    expect(defaultOf('rate-limit', 'sandbox')).to.equal(20);
    expect(defaultOf('window-days', 'run-local')).to.equal(7);
    expect(describeDefault(OPTIONS['rate-limit'])).to.equal('1; run-local with the sandbox: 20');
    expect(describeDefault(OPTIONS.category)).to.equal('required; run-local: paper');
    const help = yargsOptions(['max-attempts', 'data-url', 'limit']);
    expect(help['max-attempts']!.describe).to.contain('(default 6; images: 5) [env HTTP_MAX_ATTEMPTS]');
    expect(help['data-url']!.describe).to.contain('(required; run-local: ./data) [env DATA_URL]');
    expect(help.limit!.describe).to.not.contain('default');
  });

  it('keeps every default inside its own bounds and choices', () => {
    for (const name of names) {
      const spec: OptionSpec = OPTIONS[name];
      for (const value of [defaultOf(name), ...Object.keys(spec.defaults ?? {}).map((context) => defaultOf(name, context))]) {
        if (value === undefined) continue;
        if (typeof value === 'number') {
          if (spec.min !== undefined) expect(value, name).to.be.at.least(spec.min);
          if (spec.max !== undefined) expect(value, name).to.be.at.most(spec.max);
          if (spec.exclusiveMin !== undefined) expect(value, name).to.be.above(spec.exclusiveMin);
          if (spec.integer) expect(Number.isInteger(value), name).to.equal(true);
        }
        if (spec.choices) expect(spec.choices, name).to.include(value);
        expect(typeof value, name).to.equal(spec.type);
      }
    }
  });
});
