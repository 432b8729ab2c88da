import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { keyListLines } from '../../src/runtime/key-lists/key-list-lines.js';
import { openStorage } from '../../src/runtime/storage/open-storage.js';
import { ParquetFileWriter } from '../../src/runtime/parquet/parquet-writer.js';
import { tempDir } from '../helpers/run-stages.js';
import { startFakeGcsBucket, type FakeGcs } from '../helpers/services.js';

const COLUMNS = ['ean', 'gencod', 'article_gencod'];

async function texts(location: string): Promise<string[]> {
  const found: string[] = [];
  for await (const { text } of keyListLines(location, COLUMNS, '--eans-from')) found.push(text);
  return found;
}

describe('lists of EANs on a file:// URL and on GCS (fake-gcs-server)', function () {
  this.timeout(60_000);
  let gcs: FakeGcs;
  const bucket = `titelive-lists-${process.pid}`;
  before(async function () {
    gcs = await startFakeGcsBucket(this, bucket);
  });
  after(async () => gcs?.stop());

  it('reads a CSV and a Parquet list from gs://, and a text list from file://', async () => {
    const folder = await tempDir();
    const storage = openStorage(`gs://${bucket}/lists`);
    await storage.writeText('paper.csv', 'gencod,titre\n9782070612758,Le Petit Prince\n3760154710053,Disque\n');
    expect(await texts(`gs://${bucket}/lists/paper.csv`)).to.deep.equal(['9782070612758', '3760154710053']);
    const local = path.join(folder, 'list.parquet');
    const writer = new ParquetFileWriter(local, [{ name: 'ean', type: 'STRING' }]);
    for (const ean of ['9782070612758', ' 3760154710053 ']) await writer.append({ ean });
    await writer.close();
    await storage.putFile(local, 'paper.parquet');
    expect(await texts(`gs://${bucket}/lists/paper.parquet`)).to.deep.equal(['9782070612758', '3760154710053']);
    const text = path.join(folder, 'list.txt');
    await writeFile(text, '9782070612758\n');
    expect(await texts(pathToFileURL(text).href)).to.deep.equal(['9782070612758']);
    let error: unknown;
    try {
      await texts(`gs://${bucket}/lists/missing.csv`);
    } catch (caught) {
      error = caught;
    }
    expect(String(error)).to.contain(`gs://${bucket}/lists/missing.csv does not exist`);
  });
});
