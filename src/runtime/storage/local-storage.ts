import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError, type Storage, type Versioned } from './storage.js';

/** How long a conditional write waits for another writer's lock, and when a lock left by a killed process is stale. */
export const LOCAL_LOCK = { waitMs: 10_000, staleMs: 30_000, pollMs: 20 };

/** A folder on the local disk; writes go to a temporary name beside the target, then rename. */
export class LocalStorage implements Storage {
  readonly root: string;

  constructor(readonly url: string) {
    this.root = path.resolve(url.startsWith('file://') ? fileURLToPath(url) : url);
  }

  locate(relative: string): string {
    return path.join(this.root, relative);
  }

  localFile(relative: string): string {
    return this.locate(relative);
  }

  async exists(relative: string): Promise<boolean> {
    try {
      await stat(this.locate(relative));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async readText(relative: string): Promise<string> {
    try {
      return await readFile(this.locate(relative), 'utf8');
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError(`${this.locate(relative)} does not exist`);
      throw error;
    }
  }

  async writeText(relative: string, text: string): Promise<void> {
    await this.atomically(relative, (temporary) => writeFile(temporary, text, 'utf8'));
  }

  async putFile(localPath: string, relative: string): Promise<void> {
    const target = this.locate(relative);
    if (path.resolve(localPath) === target) return;
    await this.atomically(relative, (temporary) => copyFile(localPath, temporary));
  }

  async getFile(relative: string, localPath: string): Promise<void> {
    try {
      await copyFile(this.locate(relative), localPath);
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError(`${this.locate(relative)} does not exist`);
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const found: string[] = [];
    const walk = async (relativeDir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(this.locate(relativeDir), { withFileTypes: true });
      } catch (error) {
        if (isMissing(error)) return;
        throw error;
      }
      for (const entry of entries) {
        const child = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
        if (entry.isDirectory()) await walk(child);
        else if (!entry.name.includes('.tmp-')) found.push(child);
      }
    };
    await walk(prefix.replace(/\/+$/, ''));
    return found.sort();
  }

  async readVersioned(relative: string): Promise<Versioned | undefined> {
    try {
      const text = await readFile(this.locate(relative), 'utf8');
      return { text, version: digest(text) };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** Under an exclusive lock (a folder that only one process can create), compare then rename into place. */
  async writeTextIfVersion(relative: string, text: string, version: string | undefined): Promise<boolean> {
    const target = this.locate(relative);
    await mkdir(path.dirname(target), { recursive: true });
    const lock = `${target}.lock`;
    await acquireLock(lock);
    try {
      const current = await this.readVersioned(relative);
      if (current?.version !== version) return false;
      await this.writeText(relative, text);
      return true;
    } finally {
      await rmdir(lock).catch(() => undefined);
    }
  }

  private async atomically(relative: string, write: (temporary: string) => Promise<void>): Promise<void> {
    const target = this.locate(relative);
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await write(temporary);
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function acquireLock(lock: string): Promise<void> {
  const deadline = Date.now() + LOCAL_LOCK.waitMs;
  for (;;) {
    try {
      await mkdir(lock);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = await stat(lock).then((info) => Date.now() - info.mtimeMs, () => 0);
    if (held > LOCAL_LOCK.staleMs) {
      await rmdir(lock).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${lock}: held by another writer for over ${LOCAL_LOCK.waitMs / 1000} s; if no titelive-etl process is running, remove that folder`);
    await new Promise((resolve) => setTimeout(resolve, LOCAL_LOCK.pollMs));
  }
}

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR');
}
