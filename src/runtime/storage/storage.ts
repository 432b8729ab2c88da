/**
 * Where a run's files live: a local folder on a laptop, a GCS bucket prefix in production.
 * Paths are relative to the storage root and use `/`. Every write is atomic: a reader sees
 * the whole new file or nothing, never a part of one.
 */
export interface Storage {
  /** The root, as the user gave it (`./data`, `file:///…`, `gs://bucket/prefix`). */
  readonly url: string;
  /** The full location of a path, for messages and manifests. */
  locate(path: string): string;
  exists(path: string): Promise<boolean>;
  /** Reads a text file; rejects with a NotFoundError naming the location when it is missing. */
  readText(path: string): Promise<string>;
  writeText(path: string, text: string, contentType?: string): Promise<void>;
  /** Relative paths of the files under a folder prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Copies a finished local file to `path` in one atomic step. */
  putFile(localPath: string, path: string, contentType?: string): Promise<void>;
  /** Copies `path` to a local file (for readers that need random access). */
  getFile(path: string, localPath: string): Promise<void>;
  /** The local file behind `path` when the storage is a local folder, so readers skip the copy. */
  localFile(path: string): string | undefined;
  /** A small text file and the version it was read at (for writeTextIfVersion), or undefined when it is missing. */
  readVersioned(path: string): Promise<Versioned | undefined>;
  /**
   * Writes `text` only when the file is still at `version` (undefined: only when it does not
   * exist); false when another writer got there first. Two writers never both succeed.
   */
  writeTextIfVersion(path: string, text: string, version: string | undefined): Promise<boolean>;
}

/** A file's text and an opaque version: a GCS generation, or a digest of a local file. */
export interface Versioned {
  text: string;
  version: string;
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

export function joinPath(...parts: string[]): string {
  return parts
    .filter((part) => part !== '')
    .join('/')
    .replace(/\/{2,}/g, '/');
}
