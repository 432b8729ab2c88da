import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { cp, mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../helpers/services.js';
import { tempDir } from '../helpers/run-stages.js';

/**
 * `npm run demo` on a machine that has never run the tests: no MONGODB_URI and no FerretDB in
 * tools/bin. The demo must get FerretDB itself (built with Go) and run all five stages.
 */
describe('npm run demo on a fresh checkout', function () {
  this.timeout(600_000);

  it('builds FerretDB when there is none, says so, and loads', async function () {
    const checkout = await tempDir('demo-checkout-');
    await mkdir(path.join(checkout, 'scripts', 'lib'), { recursive: true });
    for (const file of ['scripts/demo.sh', 'scripts/install-tools.sh', 'scripts/lib/apt-install.sh']) await cp(path.join(ROOT, file), path.join(checkout, file));
    for (const folder of ['dist', 'node_modules']) await symlink(path.join(ROOT, folder), path.join(checkout, folder));
    const env = { ...process.env };
    delete env.MONGODB_URI;
    delete env.MONGODB_URI_FILE;
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn('bash', [path.join(checkout, 'scripts', 'demo.sh')], { cwd: checkout, env: { ...env, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (exit) => resolve({ code: exit, output: text }));
    });
    expect(code, output.slice(-3000)).to.equal(0);
    expect(output).to.contain('demo: no MONGODB_URI and no tools/bin/ferretdb: building FerretDB with Go');
    expect(output).not.to.contain('load skipped');
    expect(output).to.match(/^\s+load\s+\d+ worker\(s\).*inserted \d+/m);
    expect(output).to.contain('verify: every input is accounted for, stage by stage');
  });
});
