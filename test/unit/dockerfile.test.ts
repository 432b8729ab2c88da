import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/services.js';

/** The image cannot be built here (no container engine): its invariants are checked by reading. */
describe('Dockerfile', function () {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const instructions = text.split('\n').filter((line) => /^[A-Z]+ /.test(line));
  const froms = instructions.filter((line) => line.startsWith('FROM '));

  it('builds on the official Node 22 image pinned to a full version, in two stages', function () {
    expect(froms).to.have.length(2);
    for (const from of froms) expect(from).to.match(/^FROM node:22\.\d+\.\d+-[a-z]+-slim( AS build)?$/);
    expect(froms[0]).to.match(/ AS build$/);
    expect(new Set(froms.map((from) => from.split(' ')[1])).size, 'both stages on the same base').to.equal(1);
  });

  it('runs the compiled CLI as a numeric non-root user, exec form, in production mode', function () {
    const runtime = instructions.slice(instructions.indexOf(froms[1]!));
    expect(runtime).to.include('ENV NODE_ENV=production');
    const user = runtime.find((line) => line.startsWith('USER '));
    expect(user).to.match(/^USER [1-9]\d*:[1-9]\d*$/);
    expect(runtime.find((line) => line.startsWith('ENTRYPOINT '))).to.equal('ENTRYPOINT ["node", "/app/dist/cli.js"]');
    expect(runtime.filter((line) => line.startsWith('RUN ')), 'nothing runs in the runtime stage: no shell needed').to.deep.equal([]);
    expect(runtime.some((line) => line.startsWith('LABEL org.opencontainers.image.title='))).to.equal(true);
    const uid = Number(user!.split(' ')[1]!.split(':')[0]);
    const values = readFileSync(path.join(ROOT, 'charts', 'titelive-etl', 'values.yaml'), 'utf8');
    expect(values, 'the chart runs as the image user').to.contain(`runAsUser: ${uid}`);
  });

  it('copies only files that exist, production dependencies only, and a .dockerignore keeps the context small', function () {
    const build = instructions.slice(0, instructions.indexOf(froms[1]!));
    const copied = build.filter((line) => line.startsWith('COPY ')).flatMap((line) => line.split(' ').slice(1, -1));
    expect(copied).to.include.members(['package.json', 'package-lock.json', 'src']);
    for (const file of copied) expect(existsSync(path.join(ROOT, file)), file).to.equal(true);
    expect(build.join('\n')).to.contain('npm ci').and.contain('npm prune --omit=dev');
    const ignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignore).to.include.members(['node_modules', 'dist', 'tools', '.git']);
    const bin = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['titelive-etl'];
    expect(`/app/${bin}`).to.equal('/app/dist/cli.js');
  });
});
