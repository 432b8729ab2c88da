import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { requireStageComplete, stageCompletion } from '../../src/runtime/completion.js';
import { UpstreamIncompleteError } from '../../src/runtime/errors.js';
import { writeManifest } from '../../src/runtime/manifest.js';
import { PartWriter, readStoredRows } from '../../src/runtime/part-io.js';
import { readParquetInfo } from '../../src/runtime/parquet/parquet-reader.js';
import { encodeRowGroup } from '../../src/runtime/parquet/parquet-writer.js';
import { partPath } from '../../src/runtime/run-layout.js';
import { LocalStorage } from '../../src/runtime/storage/local-storage.js';
import { tempDir } from '../helpers/run-stages.js';

const run = { dataset: 'paper', runId: '2024-01-08' };

function draft(shardIndex: number, shardCount: number) {
  return { stage: 'fetch', dataset: 'paper', runId: '2024-01-08', shardIndex, shardCount, inputs: [], outputs: [], counts: { found: 1 }, accounting: { unit: 'EANs', in: 1, ended: { found: 1 }, names: {} }, anomalies: [], details: {}, startedAt: new Date() };
}

describe('hand-off: parts, manifests and the completion barrier', () => {
  it('writes parts atomically and streams them back row group by row group, text intact', async () => {
    const storage = new LocalStorage(await tempDir());
    const destination = partPath(run, 'fetch', { index: 2, count: 4 });
    expect(destination).to.equal('paper/2024-01-08/fetch/part-00002-of-00004.parquet');
    const writer = await PartWriter.open(storage, destination, [
      { name: 'ean', type: 'STRING', required: true },
      { name: 'n', type: 'INT64' },
      { name: 'text', type: 'STRING' },
    ], { stage: 'test' }, 100);
    const text = 'L’été « œuvre » Noël 🎈 naïve';
    for (let i = 0; i < 1_050; i++) await writer.append({ ean: String(9780000000000 + i), n: i, text: i % 3 === 0 ? null : `${text} ${i}` });
    expect(await storage.exists(destination)).to.equal(false);
    const file = await writer.commit();
    expect(file).to.include({ path: destination, rows: 1_050 });
    const stored = await readFile(storage.localFile(destination));
    expect(file.sha256).to.equal(createHash('sha256').update(stored).digest('hex'));
    expect(file.bytes).to.equal(stored.length);
    const info = await readParquetInfo(storage.localFile(destination));
    expect(info.rowGroups).to.equal(11);
    expect(info.metadata.stage).to.equal('test');
    let count = 0;
    for await (const row of readStoredRows(storage, destination)) {
      expect(row.n).to.equal(count);
      expect(row.text).to.equal(count % 3 === 0 ? null : `${text} ${count}`);
      count += 1;
    }
    expect(count).to.equal(1_050);
    const files = await readdir(path.dirname(storage.localFile(destination)));
    expect(files.filter((name) => name.includes('.tmp-'))).to.deep.equal([]);
  });

  it('checksums a part made of row groups encoded apart and rows written in place, and leaves nothing when discarded', async () => {
    const storage = new LocalStorage(await tempDir());
    const columns = [{ name: 'ean', type: 'STRING' as const, required: true }, { name: 'text', type: 'STRING' as const }];
    const writer = await PartWriter.open(storage, 'part.parquet', columns, { stage: 'test' }, 10);
    for (let group = 0; group < 3; group++) {
      const eans = Array.from({ length: 500 }, (_, i) => String(9780000000000 + group * 1_000 + i));
      await writer.appendRowGroup(encodeRowGroup(columns, [eans, eans.map((ean) => `« ${ean} »`)], eans.length));
      await writer.append({ ean: String(9790000000000 + group), text: null });
    }
    const file = await writer.commit();
    const stored = await readFile(storage.localFile('part.parquet'));
    expect(file).to.include({ rows: 1_503, bytes: stored.length, sha256: createHash('sha256').update(stored).digest('hex') });
    const texts: unknown[] = [];
    for await (const row of readStoredRows(storage, 'part.parquet')) texts.push(row.text);
    expect(texts.slice(499, 502)).to.deep.equal(['« 9780000000499 »', null, '« 9780000001000 »']);

    const abandoned = await PartWriter.open(storage, 'abandoned.parquet', columns);
    await abandoned.append({ ean: '9780000000000', text: 'x' });
    await abandoned.discard();
    expect(await storage.exists('abandoned.parquet')).to.equal(false);
  });

  it('refuses to start on an incomplete upstream and names what is missing', async () => {
    const storage = new LocalStorage(await tempDir());
    let error: unknown;
    try {
      await requireStageComplete(storage, run, 'plan', 'fetch');
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(UpstreamIncompleteError);
    expect((error as Error).message).to.contain('fetch: upstream plan incomplete for paper/2024-01-08 (0 of ? shard manifests').and.contain('run plan first');

    await writeManifest(storage, draft(0, 3));
    await writeManifest(storage, draft(2, 3));
    const partial = await stageCompletion(storage, run, 'fetch');
    expect(partial).to.include({ complete: false, shardCount: 3 });
    expect(partial.missing).to.deep.equal([1]);
    try {
      await requireStageComplete(storage, run, 'fetch', 'parse');
      expect.fail('should refuse');
    } catch (caught) {
      expect((caught as Error).message).to.contain('2 of 3 shard manifests').and.contain('missing shards 1');
    }
    await writeManifest(storage, draft(1, 3));
    const manifests = await requireStageComplete(storage, run, 'fetch', 'parse');
    expect(manifests.map((manifest) => manifest.shardIndex)).to.deep.equal([0, 1, 2]);
    expect(manifests[0]!.productVersion).to.match(/^\d+\.\d+\.\d+/);
  });

  it('rejects manifests of two different shard counts', async () => {
    const storage = new LocalStorage(await tempDir());
    await writeManifest(storage, draft(0, 2));
    await writeManifest(storage, { ...draft(1, 3) });
    try {
      await stageCompletion(storage, run, 'fetch');
      expect.fail('should refuse');
    } catch (caught) {
      expect((caught as Error).message).to.contain('different shard counts').and.contain('delete that folder');
    }
  });
});
