import type { Bucket, StorageOptions, Storage as GcsClient } from '@google-cloud/storage';
import { stat } from 'node:fs/promises';
import { NotFoundError, joinPath, type Storage, type Versioned } from './storage.js';

/**
 * How our own objects (parts, manifests) are written. Each name has one writer (its shard) and
 * a retried upload sends the same bytes, checked by CRC32C, so retrying every write is safe
 * even without a generation precondition, which a rerun replacing its part could not give.
 */
export const OWN_OBJECT_WRITES = {
  retry: { autoRetry: true, maxRetries: 5, retryDelayMultiplier: 2, maxRetryDelay: 16, totalTimeout: 600 } satisfies NonNullable<StorageOptions['retryOptions']>,
  /** Files larger than this go by resumable upload: a failure resends from the last chunk, not from the start. */
  resumableAboveBytes: 8 * 1024 * 1024,
};

/**
 * A `gs://bucket/prefix` location. An object becomes visible only when its upload is
 * finalised, so a killed pod never leaves a half file. `STORAGE_EMULATOR_HOST` (read by the
 * client library) points it at fake-gcs-server in tests.
 */
export class GcsStorage implements Storage {
  readonly bucketName: string;
  readonly prefix: string;
  private bucketHandle?: Promise<Bucket>;

  constructor(readonly url: string, private readonly client?: GcsClient) {
    const match = /^gs:\/\/([^/]+)\/?(.*)$/.exec(url);
    if (!match?.[1]) throw new Error(`'${url}' is not a gs://bucket/prefix URL`);
    this.bucketName = match[1];
    this.prefix = (match[2] ?? '').replace(/\/+$/, '');
  }

  private bucket(): Promise<Bucket> {
    this.bucketHandle ??= (this.client ? Promise.resolve(this.client) : createOwnObjectsClient()).then((client) => client.bucket(this.bucketName));
    return this.bucketHandle;
  }

  private objectName(relative: string): string {
    return joinPath(this.prefix, relative);
  }

  locate(relative: string): string {
    return `gs://${this.bucketName}/${this.objectName(relative)}`;
  }

  localFile(): undefined {
    return undefined;
  }

  async exists(relative: string): Promise<boolean> {
    const [exists] = await (await this.bucket()).file(this.objectName(relative)).exists();
    return exists;
  }

  async readText(relative: string): Promise<string> {
    try {
      const [contents] = await (await this.bucket()).file(this.objectName(relative)).download();
      return contents.toString('utf8');
    } catch (error) {
      if (isNotFound(error)) throw new NotFoundError(`${this.locate(relative)} does not exist`);
      throw error;
    }
  }

  async writeText(relative: string, text: string, contentType = 'application/json'): Promise<void> {
    await (await this.bucket()).file(this.objectName(relative)).save(text, { resumable: false, contentType, validation: 'crc32c' });
  }

  async putFile(localPath: string, relative: string, contentType = 'application/octet-stream'): Promise<void> {
    const { size } = await stat(localPath);
    await (await this.bucket()).upload(localPath, {
      destination: this.objectName(relative),
      resumable: size > OWN_OBJECT_WRITES.resumableAboveBytes,
      contentType,
      validation: 'crc32c',
    });
  }

  async getFile(relative: string, localPath: string): Promise<void> {
    try {
      await (await this.bucket()).file(this.objectName(relative)).download({ destination: localPath });
    } catch (error) {
      if (isNotFound(error)) throw new NotFoundError(`${this.locate(relative)} does not exist`);
      throw error;
    }
  }

  /** The generation is read before the bytes, so a write conditioned on it fails if anything came between. */
  async readVersioned(relative: string): Promise<Versioned | undefined> {
    const file = (await this.bucket()).file(this.objectName(relative));
    try {
      const [metadata] = await file.getMetadata();
      const [contents] = await file.download();
      return { text: contents.toString('utf8'), version: String(metadata.generation) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** An upload with ifGenerationMatch (0: only if absent); GCS answers 412 to the writer that came second. */
  async writeTextIfVersion(relative: string, text: string, version: string | undefined): Promise<boolean> {
    const file = (await this.bucket()).file(this.objectName(relative));
    try {
      await file.save(text, { resumable: false, contentType: 'application/json', validation: 'crc32c', preconditionOpts: { ifGenerationMatch: version === undefined ? 0 : Number(version) } });
      return true;
    } catch (error) {
      if (typeof error === 'object' && error !== null && 'code' in error && error.code === 412) return false;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const folder = joinPath(this.prefix, prefix).replace(/\/+$/, '') + '/';
    const [files] = await (await this.bucket()).getFiles({ prefix: folder, autoPaginate: true });
    const base = this.prefix ? this.prefix.length + 1 : 0;
    return files.map((file) => file.name.slice(base)).sort();
  }
}

/**
 * A GCS client, pointed at STORAGE_EMULATOR_HOST (`host:port` or `http://host:port`) when set.
 * The library is loaded on first use: it takes a good part of a second, which commands on local
 * folders should not pay. The library would take the emulator variable as its JSON API base
 * verbatim (without /storage/v1), which fake-gcs-server does not serve, so it is hidden while
 * the client is built and given as `apiEndpoint` instead, which the library completes correctly.
 */
export async function createGcsClient(options: StorageOptions = {}): Promise<GcsClient> {
  const { Storage } = await import('@google-cloud/storage');
  const emulator = process.env.STORAGE_EMULATOR_HOST;
  if (!emulator) return new Storage(options);
  const apiEndpoint = (emulator.startsWith('http') ? emulator : `http://${emulator}`).replace(/\/storage\/v1\/?$/, '').replace(/\/+$/, '');
  delete process.env.STORAGE_EMULATOR_HOST;
  try {
    return new Storage({ projectId: process.env.GCP_PROJECT_ID ?? 'test-project', ...options, apiEndpoint });
  } finally {
    process.env.STORAGE_EMULATOR_HOST = emulator;
  }
}

/** A client whose writes are retried on 429, 5xx and network errors (see OWN_OBJECT_WRITES). */
async function createOwnObjectsClient(): Promise<GcsClient> {
  const { IdempotencyStrategy } = await import('@google-cloud/storage');
  return createGcsClient({ retryOptions: { ...OWN_OBJECT_WRITES.retry, idempotencyStrategy: IdempotencyStrategy.RetryAlways } });
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 404;
}
