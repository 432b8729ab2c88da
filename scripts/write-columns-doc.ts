/** Writes docs/columns.md from the field catalogue (npm run docs:columns). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderColumnsDoc } from '../src/titelive/columns-doc.js';

const file = path.resolve(import.meta.dirname, '..', 'docs', 'columns.md');
writeFileSync(file, renderColumnsDoc(), 'utf8');
process.stdout.write(`${file} written\n`);
