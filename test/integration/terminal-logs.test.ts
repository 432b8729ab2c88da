import { expect } from 'chai';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../helpers/services.js';
import { tempDir } from '../helpers/run-stages.js';

/** Runs the CLI under a pseudo-terminal (util-linux `script`), as a person in a terminal does: LOG_FORMAT=auto picks pretty. */
function onTerminal(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, '--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), ...args].map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, LOG_FORMAT: 'auto', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

// Pretty entries start with their time: `[19:49:42]: `, colours aside.
const ENTRY = /\[\d\d:\d\d:\d\d\]: /g;

function entriesPerLine(output: string): number[] {
  // eslint-disable-next-line no-control-regex
  return output.replace(/\u001b\[[0-9;]*m/g, '').split(/\r?\n/).map((line) => (line.match(ENTRY) ?? []).length).filter((count) => count > 0);
}

describe('logs on a terminal', function () {
  this.timeout(180_000);

  it('put one entry per line for a command', async () => {
    const dataUrl = await tempDir();
    const { code, output } = await onTerminal(['cursor', '--category', 'paper', '--data-url', dataUrl, '--set', '2024-01-01']);
    expect(code).to.equal(0);
    const counts = entriesPerLine(output);
    expect(counts.length, output).to.be.at.least(2);
    expect(counts.every((count) => count === 1), output).to.equal(true);
  });

  it("put one entry per line for run-local and its workers", async () => {
    const dataUrl = await tempDir();
    const { code, output } = await onTerminal(['run-local', '--products', '150', '--window-days', '2', '--shards', '2', '--data-url', dataUrl]);
    expect(code, output.slice(-2000)).to.equal(0);
    const counts = entriesPerLine(output);
    expect(counts.length, 'entries from run-local and its workers').to.be.greaterThan(10);
    expect(counts.every((count) => count === 1), output.slice(0, 3000)).to.equal(true);
    expect(output).to.contain('fetch paper shard 2/2');
  });
});
