import { createReadStream } from 'node:fs';
import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { ConfigError } from '../errors.js';
import { readParquetInfo, readParquetRows } from '../parquet/parquet-reader.js';
import { localCopyOf } from '../part-io.js';
import { openStorage, splitLocation } from '../storage/open-storage.js';

/** One entry of a key list: where it is (line or row, from 1) and its text, trimmed. */
export interface ListedLine {
  line: number;
  text: string;
}

const PARQUET_MAGIC = 'PAR1';
const SEPARATORS = [',', ';', '\t'] as const;

/**
 * The entries of a list of keys, read as a stream: a Parquet file (its first column among
 * `columns`), or text with one key per line, optionally CSV with a header naming one of
 * `columns`. The file may be local, `file://` or `gs://` (copied to a temporary file first).
 */
export async function* keyListLines(location: string, columns: readonly string[], from: string): AsyncGenerator<ListedLine> {
  const { folder, name } = splitLocation(location.startsWith('file://') ? fileURLToPath(location) : location);
  const storage = openStorage(folder, from);
  if (!(await storage.exists(name))) throw new ConfigError(`${from}: ${location} does not exist; give a local path, a file:// URL or a gs://bucket/path to a list of EANs`);
  const scratch = storage.localFile(name) ? undefined : await mkdtemp(path.join(tmpdir(), 'titelive-etl-list-'));
  try {
    const file = await localCopyOf(storage, name, scratch ?? '', 'list');
    if (await startsWithParquetMagic(file)) yield* parquetLines(file, columns, location, from);
    else yield* textLines(file, columns, location, from);
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

async function startsWithParquetMagic(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && head.toString('latin1') === PARQUET_MAGIC;
  } finally {
    await handle.close();
  }
}

async function* parquetLines(file: string, columns: readonly string[], location: string, from: string): AsyncGenerator<ListedLine> {
  const info = await readParquetInfo(file);
  const column = columns.find((name) => info.columns.includes(name));
  if (column === undefined) throw new ConfigError(`${from}: the Parquet file ${location} has no column ${columns.join(', ')} (its columns: ${info.columns.join(', ')})`);
  let line = 0;
  for await (const row of readParquetRows(file, { columns: [column] })) {
    line += 1;
    const value = row[column];
    yield { line, text: value === null || value === undefined ? '' : String(value).trim() };
  }
}

async function* textLines(file: string, columns: readonly string[], location: string, from: string): AsyncGenerator<ListedLine> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  let layout: { separator: string | undefined; index: number; header: boolean } | undefined;
  for await (const raw of lines) {
    line += 1;
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (layout === undefined) {
      if (text.trim() === '') {
        yield { line, text: '' };
        continue;
      }
      layout = headerLayout(text, columns, location, from);
      if (layout.header) continue;
    }
    const cell = layout.separator === undefined ? text : (text.split(layout.separator)[layout.index] ?? '');
    yield { line, text: unquote(cell.trim()) };
  }
}

/** The first non-empty line: a header naming a key column, or the first key itself. */
function headerLayout(first: string, columns: readonly string[], location: string, from: string): { separator: string | undefined; index: number; header: boolean } {
  const separator = SEPARATORS.find((candidate) => first.includes(candidate));
  const cells = (separator === undefined ? [first] : first.split(separator)).map((cell) => unquote(cell.trim()).toLowerCase());
  for (const column of columns) {
    const index = cells.indexOf(column);
    if (index >= 0) return { separator, index, header: true };
  }
  if (separator !== undefined && cells.length > 1) {
    throw new ConfigError(`${from}: the first line of ${location} has ${cells.length} fields and none is named ${columns.join(', ')}: give a header naming the key column, or one key per line`);
  }
  return { separator: undefined, index: 0, header: false };
}

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1).replace(/""/g, '"').trim() : text;
}
