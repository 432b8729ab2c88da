import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { keyListLines, type ListedLine } from '../../src/runtime/key-lists/key-list-lines.js';
import { SortedKeys } from '../../src/runtime/key-lists/sorted-keys.js';
import { ParquetFileWriter } from '../../src/runtime/parquet/parquet-writer.js';
import { ean13Problem } from '../../src/titelive/ean13.js';
import { tempDir } from '../helpers/run-stages.js';

const COLUMNS = ['ean', 'gencod', 'article_gencod'];

async function linesOf(file: string): Promise<ListedLine[]> {
  const lines: ListedLine[] = [];
  for await (const line of keyListLines(file, COLUMNS, '--eans-from')) lines.push(line);
  return lines;
}

describe('lists of EANs (plan --eans-from)', () => {
  it('ean13Problem accepts real EANs and names what is wrong with the others', () => {
    expect(ean13Problem('9782070612758')).to.equal(undefined);
    expect(ean13Problem('3760154710053')).to.equal(undefined);
    expect(ean13Problem('9782070612757')).to.equal('wrong check digit (7, expected 8)');
    expect(ean13Problem('978207061275')).to.equal('12 characters, not 13 digits');
    expect(ean13Problem('97820706127a8')).to.equal('not all digits');
  });

  it('SortedKeys gives the keys back sorted, each once, and counts the repeats', () => {
    const keys = new SortedKeys();
    const input = ['9782070612758', '0000000000017', 'abc', '9782070612758', '3760154710053', 'abc', '0000000000017', '9782070612758'];
    for (const key of input) keys.add(key);
    expect([...keys.sorted()]).to.deep.equal(['0000000000017', '3760154710053', '9782070612758', 'abc']);
    expect(keys.size).to.equal(4);
    expect(keys.duplicates).to.equal(4);
    // Past the first growth of its table.
    const many = new SortedKeys();
    for (let i = 0; i < 200_000; i++) many.add(String(9_780_000_000_000 + ((i * 7_919) % 150_000)));
    expect(many.size).to.equal(150_000);
    const sorted = [...many.sorted()];
    expect(sorted.every((key, index) => index === 0 || sorted[index - 1]! < key)).to.equal(true);
  });

  it('reads text one key per line, a CSV by the column its header names, and trims and unquotes', async () => {
    const folder = await tempDir();
    const text = path.join(folder, 'list.txt');
    await writeFile(text, '\uFEFF9782070612758\n  3760154710053 \r\n\n');
    expect(await linesOf(text)).to.deep.equal([{ line: 1, text: '9782070612758' }, { line: 2, text: '3760154710053' }, { line: 3, text: '' }]);
    const csv = path.join(folder, 'list.csv');
    await writeFile(csv, 'title;GENCOD;price\n"Le Petit Prince";"9782070612758";7.5\nSans titre;3760154710053;\n');
    expect(await linesOf(csv)).to.deep.equal([{ line: 2, text: '9782070612758' }, { line: 3, text: '3760154710053' }]);
    const noHeader = path.join(folder, 'two-columns.csv');
    await writeFile(noHeader, '9782070612758,7.5\n');
    let error: unknown;
    try {
      await linesOf(noHeader);
    } catch (caught) {
      error = caught;
    }
    expect(String(error)).to.contain('has 2 fields and none is named ean, gencod, article_gencod');
  });

  it('reads a Parquet list by its first key column, and names the columns it has when none fits', async () => {
    const folder = await tempDir();
    const file = path.join(folder, 'list.parquet');
    const writer = new ParquetFileWriter(file, [{ name: 'titre', type: 'STRING' }, { name: 'article_gencod', type: 'STRING' }]);
    await writer.append({ titre: 'a', article_gencod: '9782070612758' });
    await writer.append({ titre: 'b', article_gencod: null });
    await writer.close();
    expect(await linesOf(file)).to.deep.equal([{ line: 1, text: '9782070612758' }, { line: 2, text: '' }]);
    const other = path.join(folder, 'other.parquet');
    const otherWriter = new ParquetFileWriter(other, [{ name: 'isbn', type: 'STRING' }]);
    await otherWriter.append({ isbn: '9782070612758' });
    await otherWriter.close();
    let error: unknown;
    try {
      await linesOf(other);
    } catch (caught) {
      error = caught;
    }
    expect(String(error)).to.contain('has no column ean, gencod, article_gencod (its columns: isbn)');
  });

  it('names a list that is not there', async () => {
    let error: unknown;
    try {
      await linesOf('/nonexistent/eans.csv');
    } catch (caught) {
      error = caught;
    }
    expect(String(error)).to.contain('--eans-from: /nonexistent/eans.csv does not exist');
  });
});
