import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError, type Storage } from './storage.js';

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

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR');
}
