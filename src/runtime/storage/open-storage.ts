import path from 'node:path';
import { ConfigError } from '../errors.js';
import { GcsStorage } from './gcs-storage.js';
import { LocalStorage } from './local-storage.js';
import type { Storage } from './storage.js';

/** Picks the storage behind a URL: `gs://…` is GCS, a path or `file://` URL is the local disk. */
export function openStorage(url: string, from = '--data-url'): Storage {
  if (url.startsWith('gs://')) {
    if (!/^gs:\/\/[a-z0-9][a-z0-9._-]{1,220}(\/.*)?$/.test(url)) {
      throw new ConfigError(`${from}: '${url}' is not a valid gs://bucket/prefix URL`);
    }
    return new GcsStorage(url);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('file://')) {
    throw new ConfigError(`${from}: '${url}' is neither a gs:// URL nor a local path or file:// URL`);
  }
  return new LocalStorage(url);
}

/** A file location (gs:// URL or local path) as its folder, to open as storage, and its name. */
export function splitLocation(location: string): { folder: string; name: string } {
  if (location.startsWith('gs://')) {
    const cut = location.lastIndexOf('/');
    return { folder: location.slice(0, cut), name: location.slice(cut + 1) };
  }
  const absolute = path.resolve(location);
  return { folder: path.dirname(absolute), name: path.basename(absolute) };
}
