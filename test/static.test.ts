import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers/services.js';

function run(command: string, args: string[]) {
  return spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const full = path.join(folder, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe('static checks', function () {
  this.timeout(300_000);

  it('type-checks (TypeScript strict)', () => {
    const result = run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', 'tsconfig.json']);
    expect(result.status, result.stdout + result.stderr).to.equal(0);
  });

  it('lints (eslint, including: src/runtime/ never imports a source)', () => {
    const result = run(process.execPath, [path.join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '.']);
    expect(result.status, result.stdout + result.stderr).to.equal(0);
  });

  it('lint refuses the reversed imports: config or options importing a stage, a stage importing config', () => {
    const lint = (file: string, source: string) => spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--stdin', '--stdin-filename', file], { cwd: ROOT, encoding: 'utf8', input: source });
    for (const [file, source] of [
      ['src/config.ts', "import type { LoadConfig } from './stages/load.js';\nexport type X = LoadConfig;\n"],
      ['src/options.ts', "import { runPlan } from './stages/plan.js';\nexport const x = runPlan;\n"],
      ['src/stages/fetch.ts', "import type { FetchConfig } from '../config.js';\nexport type X = FetchConfig;\n"],
    ] as const) {
      const result = lint(file, source);
      expect(result.status, file).to.equal(1);
      expect(result.stdout, file).to.contain('no-restricted-imports');
    }
    expect(lint('src/stages/fetch.ts', "import type { FetchConfig } from '../stage-configs.js';\nexport type X = FetchConfig;\n").status).to.equal(0);
  });

  it('keeps src/runtime/ free of Titelive', () => {
    const offenders = filesUnder(path.join(ROOT, 'src', 'runtime')).filter((file) => /from '.*(titelive|stages|sandbox)\//.test(readFileSync(file, 'utf8')));
    expect(offenders).to.deep.equal([]);
  });
});
