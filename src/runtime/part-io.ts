import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ManifestFile, ShardManifest } from './manifest.js';
import { parquetBytesWrittenTotal, parquetRowsWrittenTotal } from './metrics.js';
import type { ColumnSpec } from './parquet/parquet-schema.js';
import { readParquetRows } from './parquet/parquet-reader.js';
import { ParquetFileWriter, type EncodedRowGroup, type Row } from './parquet/parquet-writer.js';
import type { Storage } from './storage/storage.js';

/**
 * A stage's output part: rows go to a local temporary file (under TMPDIR, an emptyDir in the
 * pod), and `commit` moves the finished file to its place in one atomic step.
 */
export class PartWriter {
  private constructor(
    private readonly storage: Storage,
    readonly destination: string,
    private readonly folder: string,
    private readonly writer: ParquetFileWriter,
    private readonly stage: string,
  ) {}

  static async open(storage: Storage, destination: string, columns: readonly ColumnSpec[], metadata: Record<string, string> = {}, rowGroupSize?: number): Promise<PartWriter> {
    const folder = await mkdtemp(path.join(tmpdir(), 'titelive-etl-'));
    const writer = new ParquetFileWriter(path.join(folder, 'part.parquet'), columns, { metadata, rowGroupSize });
    return new PartWriter(storage, destination, folder, writer, metadata.stage ?? 'unknown');
  }

  get rows(): number {
    return this.writer.rows;
  }

  append(row: Row): Promise<void> {
    return this.writer.append(row);
  }

  /** A row group encoded elsewhere (e.g. on a worker thread) with the same columns. */
  appendRowGroup(group: EncodedRowGroup): Promise<void> {
    return this.writer.appendRowGroup(group);
  }

  async commit(): Promise<ManifestFile> {
    try {
      const { rows, bytes, sha256 } = await this.writer.close();
      await this.storage.putFile(this.writer.localPath, this.destination, 'application/vnd.apache.parquet');
      parquetRowsWrittenTotal.inc({ stage: this.stage }, rows);
      parquetBytesWrittenTotal.inc({ stage: this.stage }, bytes);
      return { path: this.destination, rows, bytes, sha256 };
    } finally {
      await this.discard();
    }
  }

  async discard(): Promise<void> {
    this.writer.abandon();
    await rm(this.folder, { recursive: true, force: true });
  }
}

/** Rows of one stored Parquet file, copied to a local temporary file first when it is remote. */
export async function* readStoredRows(storage: Storage, file: string, options: { columns?: string[] } = {}): AsyncGenerator<Row> {
  const local = storage.localFile(file);
  if (local) {
    yield* readParquetRows(local, options);
    return;
  }
  const folder = await mkdtemp(path.join(tmpdir(), 'titelive-etl-in-'));
  try {
    yield* readParquetRows(await localCopyOf(storage, file, folder), options);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Every row of a completed upstream stage, part after part, in shard order. */
export async function* readStageRows(storage: Storage, manifests: readonly ShardManifest[], options: { columns?: string[] } = {}): AsyncGenerator<Row> {
  for (const manifest of manifests) {
    for (const output of manifest.outputs) yield* readStoredRows(storage, output.path, options);
  }
}

/** The local file behind `file`: itself on local storage, else a copy made in `folder` (as `name`). */
export async function localCopyOf(storage: Storage, file: string, folder: string, name = path.basename(file) || 'input.parquet'): Promise<string> {
  const local = storage.localFile(file);
  if (local) return local;
  const copy = path.join(folder, name);
  await storage.getFile(file, copy);
  return copy;
}
