import type { Logger } from 'pino';
import { Tally } from '../runtime/accounting.js';
import { keyListLines } from '../runtime/key-lists/key-list-lines.js';
import { SortedKeys } from '../runtime/key-lists/sorted-keys.js';
import type { Source } from '../source.js';

/** Lines between two progress lines while a list is read. */
const PROGRESS_EVERY = 500_000;

/** The keys of a list, sorted and distinct, and how each line of it ended. */
export interface ListedKeys {
  keys: SortedKeys;
  /** Lines: planned, duplicate, bad (named with their line), blank. */
  lines: Tally;
  bad: number;
  blank: number;
}

/**
 * Reads a list of keys (plan --eans-from): each line trimmed and checked by the source's rule;
 * a bad line is counted and named (line, text, why), never dropped unsaid; blank lines are
 * counted apart; repeats are counted once the list is sorted.
 */
export async function readListedKeys(location: string, source: Source, logger: Logger, signal: AbortSignal): Promise<ListedKeys> {
  const keys = new SortedKeys();
  const lines = new Tally('listed lines', ['planned', 'duplicate', 'bad', 'blank', 'over_limit']);
  let bad = 0;
  let blank = 0;
  let read = 0;
  for await (const { line, text } of keyListLines(location, source.keyColumns ?? ['key'], '--eans-from')) {
    read += 1;
    if (read % PROGRESS_EVERY === 0) {
      signal.throwIfAborted();
      logger.info({ event: 'list_progress', lines: read, keys: keys.count, bad }, `plan: ${read} lines of ${location} read, ${keys.count} keys, ${bad} bad`);
    }
    if (text === '') {
      blank += 1;
      lines.readAndEnd('blank');
      continue;
    }
    const problem = source.keyProblem ? source.keyProblem(text) : undefined;
    if (problem !== undefined) {
      bad += 1;
      lines.readAndEnd('bad', 1, `line ${line}: ${JSON.stringify(text.slice(0, 40))} (${problem})`);
      continue;
    }
    lines.add();
    keys.add(text);
  }
  return { keys, lines, bad, blank };
}
