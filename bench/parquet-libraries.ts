/**
 * Why the Parquet layer uses hyparquet + hyparquet-writer: the same 100,000 flat rows written and
 * read back by each candidate, and a file written by pyarrow's defaults opened by each.
 *   npm run bench:parquet [-- --rows 100000]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { readParquetRows } from '../src/runtime/parquet/parquet-reader.js';
import { ParquetFileWriter } from '../src/runtime/parquet/parquet-writer.js';

const require = createRequire(import.meta.url);
const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg >= 0 ? Number(process.argv[rowsArg + 1]) : 100_000;
const folder = mkdtempSync(path.join(os.tmpdir(), 'parquet-bench-'));
const TEXT = ['L’été des cœurs « Mémoires »', 'Œuvres complètes — Noël à Besançon', 'Un roman fleuve où l’on suit trois générations 🎈'];

function row(i: number) {
  return { ean: String(9780000000000 + i), titre: TEXT[i % 3]! + ` ${i % 1000}`, resume: TEXT.join(' ').repeat(1 + (i % 4)), prix: 5 + (i % 4000) / 100, image: i % 2, tva: 5.5 };
}

interface Candidate {
  name: string;
  write(file: string): Promise<void>;
  read(file: string): Promise<number>;
}

type LegacyModule = {
  ParquetSchema: new (fields: Record<string, unknown>) => unknown;
  ParquetWriter: { openFile(schema: unknown, file: string): Promise<{ appendRow(row: unknown): Promise<void>; close(): Promise<void> }> };
  ParquetReader: { openFile(file: string): Promise<{ getCursor(): { next(): Promise<unknown> }; close(): Promise<void> }> };
};

function legacy(name: string, module: LegacyModule): Candidate {
  const schema = new module.ParquetSchema({
    ean: { type: 'UTF8' }, titre: { type: 'UTF8' }, resume: { type: 'UTF8' }, prix: { type: 'DOUBLE' }, image: { type: 'INT64' }, tva: { type: 'DOUBLE' },
  });
  return {
    name,
    async write(file) {
      const writer = await module.ParquetWriter.openFile(schema, file);
      for (let i = 0; i < ROWS; i++) await writer.appendRow(row(i));
      await writer.close();
    },
    async read(file) {
      const reader = await module.ParquetReader.openFile(file);
      const cursor = reader.getCursor();
      let count = 0;
      while (await cursor.next()) count++;
      await reader.close();
      return count;
    },
  };
}

const candidates: Candidate[] = [
  {
    name: 'hyparquet + hyparquet-writer (chosen)',
    async write(file) {
      const writer = new ParquetFileWriter(file, [
        { name: 'ean', type: 'STRING' }, { name: 'titre', type: 'STRING' }, { name: 'resume', type: 'STRING' },
        { name: 'prix', type: 'DOUBLE' }, { name: 'image', type: 'INT64' }, { name: 'tva', type: 'DOUBLE' },
      ]);
      for (let i = 0; i < ROWS; i++) await writer.append(row(i));
      await writer.close();
    },
    async read(file) {
      let count = 0;
      for await (const _ of readParquetRows(file)) count++;
      return count;
    },
  },
  legacy('@dsnp/parquetjs 1.8', require('@dsnp/parquetjs') as LegacyModule),
  legacy('parquetjs-lite 0.8', require('parquetjs-lite') as LegacyModule),
];

// A file as pyarrow writes it by default (pandas' to_parquet), if Python with pyarrow is at hand.
const pyarrowFile = path.join(folder, 'pyarrow.parquet');
const python = spawnSync('python3', ['-c', `
import pyarrow as pa, pyarrow.parquet as pq
n = ${ROWS}
pq.write_table(pa.table({"ean": [str(9780000000000 + i) for i in range(n)], "prix": [5 + (i % 4000) / 100 for i in range(n)]}), "${pyarrowFile}")
`], { env: { ...process.env, PYTHONPATH: path.resolve(import.meta.dirname, '..', 'tools', 'python') }, encoding: 'utf8' });
const havePyarrow = python.status === 0;

process.stdout.write(`Parquet libraries, ${ROWS} rows × 6 columns, Node ${process.version}, ${os.availableParallelism()} CPUs\n`);
for (const candidate of candidates) {
  const file = path.join(folder, `${candidate.name.replace(/\W+/g, '-')}.parquet`);
  let started = Date.now();
  await candidate.write(file);
  const writeSeconds = (Date.now() - started) / 1000;
  started = Date.now();
  const count = await candidate.read(file);
  const readSeconds = (Date.now() - started) / 1000;
  if (count !== ROWS) throw new Error(`${candidate.name} read ${count} rows of ${ROWS}`);
  let pyarrow = 'not tried (no pyarrow)';
  if (havePyarrow) {
    try {
      const rows = await candidate.read(pyarrowFile);
      pyarrow = rows === ROWS ? 'reads it' : `read ${rows} rows`;
    } catch (error) {
      pyarrow = `fails: ${String((error as Error)?.message ?? error).split('\n')[0]}`;
    }
  }
  process.stdout.write(
    `  ${candidate.name.padEnd(40)} write ${writeSeconds.toFixed(2)} s  read ${readSeconds.toFixed(2)} s  ` +
      `${(statSync(file).size / 1e6).toFixed(1)} MB  pyarrow file: ${pyarrow}\n`,
  );
}
