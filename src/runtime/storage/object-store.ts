import { randomBytes } from 'node:crypto';
import { link, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';
import type { HttpClient } from '../http/http-client.js';
import { createGcsClient } from './gcs-storage.js';
import { joinPath } from './storage.js';

/**
 * A flat set of named objects (the image mirror) that is written once per name: creating an
 * object that exists is refused by the store itself, so two pods can never both write one.
 */
export interface ObjectStore {
  /** Where an object is, as users see it: gs://bucket/prefix/name or a local path. */
  locate(name: string): string;
  exists(name: string, signal?: AbortSignal): Promise<boolean>;
  /** Stores the bytes unless the name exists; says which happened. */
  createIfAbsent(name: string, bytes: Buffer, contentType: string, signal?: AbortSignal): Promise<'created' | 'exists'>;
}

/** `gs://bucket/prefix` (through `http`, so GCS shares the pod's capped keep-alive agents) or a folder. */
export function openObjectStore(url: string, http: HttpClient): ObjectStore {
  checkObjectStoreUrl(url, 'the images URL');
  const match = /^gs:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (match?.[1]) return new GcsObjectStore(match[1], (match[2] ?? '').replace(/\/+$/, ''), http);
  return new LocalObjectStore(path.resolve(url.startsWith('file://') ? fileURLToPath(url) : url));
}

/** The URL, when it names a store (gs://bucket[/prefix], a folder or file://); a ConfigError naming `from` otherwise. */
export function checkObjectStoreUrl(url: string, from: string): string {
  if (url.startsWith('gs://') && !/^gs:\/\/[a-z0-9][a-z0-9._-]{1,220}(\/.*)?$/.test(url)) {
    throw new ConfigError(`${from}: '${url}' is not a valid gs://bucket/prefix URL`);
  }
  if (!url.startsWith('gs://') && /^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('file://')) {
    throw new ConfigError(`${from}: '${url}' is neither a gs:// URL nor a local folder`);
  }
  return url;
}

/** A local folder: an object is written beside its name, then hard-linked to it (which fails if it exists). */
export class LocalObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  locate(name: string): string {
    return path.join(this.root, name);
  }

  async exists(name: string): Promise<boolean> {
    try {
      await stat(this.locate(name));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async createIfAbsent(name: string, bytes: Buffer): Promise<'created' | 'exists'> {
    const target = this.locate(name);
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, bytes);
    try {
      await link(temporary, target);
      return 'created';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
      throw error;
    } finally {
      await rm(temporary, { force: true });
    }
  }
}

/**
 * GCS through its JSON API: a metadata GET to see whether an object exists, and a multipart
 * upload with ifGenerationMatch=0, which GCS (and fake-gcs-server) refuses with 412 when the
 * object exists. STORAGE_EMULATOR_HOST points it at an emulator, without credentials.
 */
export class GcsObjectStore implements ObjectStore {
  private readonly endpoint: string;
  private readonly emulated: boolean;
  private auth?: Promise<{ getAccessToken(): Promise<string | null | undefined> }>;

  constructor(
    readonly bucket: string,
    readonly prefix: string,
    private readonly http: HttpClient,
  ) {
    const emulator = process.env.STORAGE_EMULATOR_HOST;
    this.emulated = Boolean(emulator);
    this.endpoint = emulator ? (emulator.startsWith('http') ? emulator : `http://${emulator}`).replace(/\/storage\/v1\/?$/, '').replace(/\/+$/, '') : 'https://storage.googleapis.com';
  }

  locate(name: string): string {
    return `gs://${this.bucket}/${this.objectName(name)}`;
  }

  async exists(name: string, signal?: AbortSignal): Promise<boolean> {
    const response = await this.http.request({
      url: `${this.endpoint}/storage/v1/b/${this.bucket}/o/${encodeURIComponent(this.objectName(name))}?fields=name`,
      headers: await this.authHeaders(),
      signal,
      label: `GCS exists ${this.locate(name)}`,
    });
    if (response.statusCode === 200) return true;
    if (response.statusCode === 404) return false;
    throw new Error(`GCS: checking ${this.locate(name)} answered HTTP ${response.statusCode}`);
  }

  async createIfAbsent(name: string, bytes: Buffer, contentType: string, signal?: AbortSignal): Promise<'created' | 'exists'> {
    const boundary = `titelive-etl-${randomBytes(8).toString('hex')}`;
    const metadata = JSON.stringify({ name: this.objectName(name), contentType });
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n${metadata}\r\n--${boundary}\r\ncontent-type: ${contentType}\r\n\r\n`),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const response = await this.http.request({
      url: `${this.endpoint}/upload/storage/v1/b/${this.bucket}/o?uploadType=multipart&ifGenerationMatch=0&fields=name`,
      method: 'POST',
      headers: { ...(await this.authHeaders()), 'content-type': `multipart/related; boundary=${boundary}` },
      body,
      signal,
      label: `GCS upload ${this.locate(name)}`,
    });
    if (response.statusCode === 200) return 'created';
    if (response.statusCode === 412) return 'exists';
    throw new Error(`GCS: uploading ${this.locate(name)} answered HTTP ${response.statusCode}`);
  }

  private objectName(name: string): string {
    return joinPath(this.prefix, name);
  }

  /** Application Default Credentials (the pod's Workload Identity on GKE); none for an emulator. */
  private async authHeaders(): Promise<Record<string, string>> {
    if (this.emulated) return {};
    this.auth ??= createGcsClient().then((client) => client.authClient);
    // GoogleAuth caches the token and renews it before it expires.
    const token = await (await this.auth).getAccessToken();
    return token ? { authorization: `Bearer ${token}` } : {};
  }
}
