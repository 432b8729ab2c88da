import { ConfigError } from '../errors.js';
import { readParquetInfo, type ParquetFileInfo } from './parquet-reader.js';

/**
 * A file given as input, checked before any work: a readable Parquet footer and the columns
 * the command reads. Anything else is bad input (exit 2), named by `where` (the file's location
 * and the setting it came from), with what was wrong and `expected`.
 */
export async function checkParquetInput(localPath: string, where: string, required: readonly string[], expected: string): Promise<ParquetFileInfo> {
  let info: ParquetFileInfo;
  try {
    info = await readParquetInfo(localPath);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`${where}: not a readable Parquet file (${reason}): truncated, still being written, or another format; expected ${expected}`);
  }
  const missing = required.filter((column) => !info.columns.includes(column));
  if (missing.length > 0) {
    throw new ConfigError(`${where}: no ${missing.map((column) => `"${column}"`).join(', ')} column (it has ${info.columns.map((column) => `"${column}"`).join(', ') || 'none'}); expected ${expected}`);
  }
  return info;
}
