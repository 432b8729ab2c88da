import { isUtf8 } from 'node:buffer';
import { ByteDictionary } from '../runtime/byte-dictionary.js';
import { JSON_ARRAY, JSON_NULL, JSON_NUMBER, JSON_OBJECT, JSON_STRING, JsonSpans, NOT_PLAIN_JSON } from '../runtime/json-spans.js';
import type { ColumnBuffer } from '../runtime/parquet/column-buffer.js';
import { keepArticle } from './article-filter.js';
import { coerce, type FlatValue, type FlattenNotes } from './flatten-product.js';
import { EXTRA_FIELDS_COLUMN, PRODUCTS_COLUMNS } from './product-columns.js';
import { eanOf } from './response-shapes.js';
import type { FlattenOptions } from '../source.js';

/*
 * flattenProductCells (flatten-product.ts) on a product's raw JSON bytes, writing its rows
 * straight into column buffers: values are located in the bytes (json-spans.ts) and copied as
 * they are when their column's rule keeps them as they are (most text, nested values written as
 * JSON.stringify writes them, plain numbers); the others are made JS values and given to the
 * same rules as there. A product in a form this path does not take (not valid UTF-8, invalid or
 * unusual JSON, escaped keys, repeated fields, articles neither a list nor keyed "1", "2", …)
 * returns undefined before any cell is written, and goes through JSON.parse and
 * flattenProductCells: both paths give the same cells.
 */

const COLUMN_COUNT = PRODUCTS_COLUMNS.length;
const EXTRA = PRODUCTS_COLUMNS.indexOf(EXTRA_FIELDS_COLUMN);
const GENCOD = PRODUCTS_COLUMNS.findIndex((column) => column.name === 'article_gencod');
const DATE_MODIFIED = PRODUCTS_COLUMNS.findIndex((column) => column.name === 'article_datemodification');
const RULE_CODES = Uint8Array.from(PRODUCTS_COLUMNS, (column) => ['text', 'json', 'integer', 'decimal'].indexOf(column.rule));
const TEXT = 0;
const JSON_RULE = 1;
const INTEGER = 2;

const encoder = new TextEncoder();

/**
 * Field names as bytes → column position, as flattenProductCells maps them. `next` remembers
 * which name followed each one last time: answers list their fields in one order, so the
 * next name is checked against that one before it is looked up.
 */
interface FieldTable {
  names: ByteDictionary;
  positions: Int32Array;
  next: Int32Array;
}

function fieldTable(names: ReadonlyArray<[string, number]>): FieldTable {
  const dictionary = new ByteDictionary();
  const positions = new Int32Array(names.length);
  for (const [name, position] of names) {
    const bytes = encoder.encode(name);
    positions[dictionary.add(bytes, 0, bytes.length)] = position;
  }
  // One more entry: what follows "no name yet" (the first field).
  return { names: dictionary, positions, next: new Int32Array(names.length + 1).fill(-1) };
}

/** The entry of the key just read in `fields` (-1: not a catalogue field); `previous`: the entry of the key before (-1 for none). */
function fieldIndex(bytes: Uint8Array, fields: FieldTable, previous: number): number {
  const slot = previous < 0 ? fields.next.length - 1 : previous;
  const expected = fields.next[slot]!;
  if (fields.names.matches(expected, bytes, reader.keyStart, reader.keyEnd)) return expected;
  const index = fields.names.indexOf(bytes, reader.keyStart, reader.keyEnd);
  if (index >= 0) fields.next[slot] = index;
  return index;
}
const named = PRODUCTS_COLUMNS.map((column, position) => [column.name, position] as [string, number]).filter(([, position]) => position !== EXTRA);
const PRODUCT_FIELDS = fieldTable(named);
const ARTICLE_FIELDS = fieldTable(named.filter(([name]) => name.startsWith('article_')).map(([name, position]) => [name.slice('article_'.length), position]));

/** A field outside the catalogue: its column name and its value as JSON text. */
interface ExtraField {
  name: string;
  json: string;
}

/**
 * Raw cells, per record (0: the product's own fields, 1…: its articles), COLUMN_COUNT each: the
 * value's kind (JSON_*, 0 when absent), span and what the reader knew of it.
 */
class RawCells {
  kinds = new Uint8Array(COLUMN_COUNT * 4);
  starts = new Int32Array(COLUMN_COUNT * 4);
  ends = new Int32Array(COLUMN_COUNT * 4);
  numbers = new Float64Array(COLUMN_COUNT * 4);
  /** 1: escaped string, 2: canonical, 4: integer number. */
  flags = new Uint8Array(COLUMN_COUNT * 4);
  extras: Array<ExtraField[] | undefined> = [];

  /** Empties the cells of `records` records from the first. */
  clear(records: number): void {
    this.kinds.fill(0, 0, records * COLUMN_COUNT);
    this.extras.length = 0;
  }

  /** Room for `records`, what is already read kept; record `records - 1` emptied. */
  grow(records: number): void {
    const cells = records * COLUMN_COUNT;
    if (cells > this.kinds.length) {
      this.kinds = grown(this.kinds, cells);
      this.starts = grown(this.starts, cells);
      this.ends = grown(this.ends, cells);
      this.numbers = grown(this.numbers, cells);
      this.flags = grown(this.flags, cells);
    }
    this.kinds.fill(0, cells - COLUMN_COUNT, cells);
  }
}

function grown<T extends Uint8Array | Int32Array | Float64Array>(array: T, cells: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(cells * 2);
  bigger.set(array);
  return bigger;
}

/** Articles read in the product being flattened (records 1…). */
let articleCount = 0;
const raw = new RawCells();
const reader = new JsonSpans();
const utf8 = new TextDecoder();

/** Cells made ready for the columns, for the product (0) and the article being written (1). */
const CELL_NULL = 0;
const CELL_BYTES = 1;
const CELL_NUMBER = 2;
const CELL_VALUE = 3;
const cellKinds = new Uint8Array(COLUMN_COUNT * 2);
const cellStarts = new Int32Array(COLUMN_COUNT * 2);
const cellEnds = new Int32Array(COLUMN_COUNT * 2);
const cellNumbers = new Float64Array(COLUMN_COUNT * 2);
const cellValues: FlatValue[] = new Array<FlatValue>(COLUMN_COUNT * 2).fill(null);

export interface BytesFlattenResult {
  /** Rows the product gave (before `keepRow`), as flattenProductCells's `rows.length`. */
  rows: number;
  filteredOld: number;
}

/**
 * Flattens the product in `bytes` (see flattenProductCells) into `columns`: each row the product
 * gives is offered to `keepRow` with its `article_gencod` cell, and written when it returns
 * true. Undefined (nothing written, nothing counted) for a product this path does not take.
 */
export function flattenProductBytes(
  bytes: Uint8Array,
  options: FlattenOptions,
  notes: FlattenNotes,
  columns: readonly ColumnBuffer[],
  keepRow: (gencod: FlatValue) => boolean,
): BytesFlattenResult | undefined {
  if (!readProduct(bytes)) return undefined;
  const articles = articleCount;
  let rows = 0;
  let filteredOld = 0;
  let productReady = false;
  for (let article = 1; article <= articles; article++) {
    const base = article * COLUMN_COUNT;
    articleBase = base;
    if (options.key !== undefined && eanOf({ gencod: rawValue(bytes, base + GENCOD) }) !== options.key) continue;
    if (!keepArticle({ datemodification: rawValue(bytes, base + DATE_MODIFIED) }, options.windowStart)) {
      filteredOld += 1;
      continue;
    }
    if (!productReady) {
      for (let position = 0; position < COLUMN_COUNT; position++) prepareCell(bytes, position, position, notes);
      productReady = true;
    }
    for (let position = 0; position < COLUMN_COUNT; position++) prepareCell(bytes, base + position, COLUMN_COUNT + position, notes);
    const extra = extraFieldsOf(raw.extras[0], raw.extras[article], notes);
    rows += 1;
    if (keepRow(cellText(bytes, GENCOD))) writeRow(bytes, columns, extra);
    if (options.key !== undefined) break;
  }
  return { rows, filteredOld };
}

/** Reads the product into `raw`; false when this path does not take it. */
function readProduct(bytes: Uint8Array): boolean {
  // TextDecoder would replace bytes that are not UTF-8, and skip a byte order mark.
  if (!isUtf8(bytes) || (bytes[0] === 0xef && bytes[1] === 0xbb)) return false;
  articleCount = 0;
  try {
    reader.reset(bytes);
    reader.openObject();
    raw.clear(1);
    let articlesSeen = false;
    let previous = -1;
    for (let first = true; reader.nextKey(first); first = false) {
      if (reader.keyEscaped) throw NOT_PLAIN_JSON;
      if (isArticleKey(bytes, reader.keyStart, reader.keyEnd)) {
        if (articlesSeen) throw NOT_PLAIN_JSON;
        articlesSeen = true;
        readArticles(bytes);
        continue;
      }
      previous = readField(bytes, PRODUCT_FIELDS, previous, 0, 0);
    }
    reader.finish();
    return !extraNamesCollide();
  } catch (error) {
    if (error === NOT_PLAIN_JSON || error instanceof RangeError) return false;
    throw error;
  }
}

const ARTICLE_KEY = encoder.encode('article');

function isArticleKey(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start !== ARTICLE_KEY.length) return false;
  for (let k = 0; k < ARTICLE_KEY.length; k++) if (bytes[start + k] !== ARTICLE_KEY[k]) return false;
  return true;
}

/** `article`: a list of objects, or an object keyed by ascending numbers; null for none. */
function readArticles(bytes: Uint8Array): void {
  const byte = reader.peek();
  if (byte === 0x6e /* null */) {
    reader.value();
    return;
  }
  if (byte === 0x5b /* [ */) {
    reader.openArray();
    for (let first = true; reader.nextItem(first); first = false) readArticle(bytes);
    return;
  }
  reader.openObject();
  let last = -1;
  let count = 0;
  for (let first = true; reader.nextKey(first); first = false) {
    const key = digitsValue(bytes, reader.keyStart, reader.keyEnd);
    if (!(key > last)) throw NOT_PLAIN_JSON;
    last = key;
    readArticle(bytes);
    count++;
  }
  // An empty object is one empty article for articlesOf: rare enough to leave to it.
  if (count === 0) throw NOT_PLAIN_JSON;
}

function readArticle(bytes: Uint8Array): void {
  if (reader.peek() !== 0x7b /* { */) throw NOT_PLAIN_JSON;
  const record = ++articleCount;
  raw.grow(record + 1);
  reader.openObject();
  let previous = -1;
  for (let first = true; reader.nextKey(first); first = false) {
    if (reader.keyEscaped) throw NOT_PLAIN_JSON;
    previous = readField(bytes, ARTICLE_FIELDS, previous, record * COLUMN_COUNT, record);
  }
}

/**
 * The value of the key just read, into `record`'s cell for it, or its extra fields. Returns the
 * key's entry in `fields` (see fieldIndex), or `previous` for a key outside it.
 */
function readField(bytes: Uint8Array, fields: FieldTable, previous: number, base: number, record: number): number {
  const index = fieldIndex(bytes, fields, previous);
  const keyStart = reader.keyStart;
  const keyEnd = reader.keyEnd;
  reader.value();
  if (index < 0) {
    addExtra(bytes, record, keyStart, keyEnd);
    return previous;
  }
  const cell = base + fields.positions[index]!;
  // A repeated field: JSON.parse keeps the last one; left to it.
  if (raw.kinds[cell] !== 0) throw NOT_PLAIN_JSON;
  raw.kinds[cell] = reader.kind;
  raw.starts[cell] = reader.start;
  raw.ends[cell] = reader.end;
  raw.numbers[cell] = reader.number;
  raw.flags[cell] = (reader.escaped && reader.kind === JSON_STRING ? 1 : 0) | (reader.canonical ? 2 : 0) | (reader.integer ? 4 : 0);
  return index;
}

function addExtra(bytes: Uint8Array, record: number, keyStart: number, keyEnd: number): void {
  const field = utf8.decode(bytes.subarray(keyStart, keyEnd));
  // A numeric name would come first in flattenProductCells's object; left to it.
  if (/^\d+$/.test(field)) throw NOT_PLAIN_JSON;
  const name = record === 0 ? field : `article_${field}`;
  const list = (raw.extras[record] ??= []);
  if (list.some((extra) => extra.name === name)) throw NOT_PLAIN_JSON;
  const kind = reader.kind;
  const text = kind === JSON_STRING ? utf8.decode(bytes.subarray(reader.start - 1, reader.end + 1)) : utf8.decode(bytes.subarray(reader.start, reader.end));
  list.push({ name, json: reader.canonical ? text : JSON.stringify(JSON.parse(text)) });
}

/** A product extra field named as one of an article's (`article_x`): one key in flattenArticle's object; left to it. */
function extraNamesCollide(): boolean {
  const product = raw.extras[0];
  if (!product) return false;
  for (let record = 1; record <= articleCount; record++) {
    if (raw.extras[record]?.some((extra) => product.some((other) => other.name === extra.name))) return true;
  }
  return false;
}

/** extra_fields of one row: the product's extra fields, then the article's, as flattenArticle writes them. */
function extraFieldsOf(product: ExtraField[] | undefined, article: ExtraField[] | undefined, notes: FlattenNotes): string | null {
  if (!product && !article) return null;
  const fields = [...(product ?? []), ...(article ?? [])];
  for (const { name } of fields) notes.extraFields.set(name, (notes.extraFields.get(name) ?? 0) + 1);
  return `{${fields.map(({ name, json }) => `${JSON.stringify(name)}:${json}`).join(',')}}`;
}

/** A raw cell as JSON.parse gives it (undefined when absent). */
function rawValue(bytes: Uint8Array, cell: number): unknown {
  const kind = raw.kinds[cell]!;
  if (kind === 0) return undefined;
  const start = raw.starts[cell]!;
  const end = raw.ends[cell]!;
  if (kind === JSON_STRING) return raw.flags[cell]! & 1 ? JSON.parse(utf8.decode(bytes.subarray(start - 1, end + 1))) : utf8.decode(bytes.subarray(start, end));
  if (kind === JSON_NUMBER) return Number.isNaN(raw.numbers[cell]!) ? JSON.parse(utf8.decode(bytes.subarray(start, end))) : raw.numbers[cell];
  return JSON.parse(utf8.decode(bytes.subarray(start, end)));
}

/**
 * The cell for raw cell `cell` by its column's rule, into prepared cell `target`: the bytes as
 * they are, a number, or what `coerce` makes of the JS value; counted as coerce counts.
 */
function prepareCell(bytes: Uint8Array, cell: number, target: number, notes: FlattenNotes): void {
  const position = cell % COLUMN_COUNT;
  const kind = raw.kinds[cell]!;
  if (kind === 0 || kind === JSON_NULL) {
    cellKinds[target] = CELL_NULL;
    return;
  }
  const start = raw.starts[cell]!;
  const end = raw.ends[cell]!;
  const flags = raw.flags[cell]!;
  const rule = RULE_CODES[position]!;
  if (rule === TEXT) {
    if (kind === JSON_STRING && !(flags & 1) && !isNullText(bytes, start, end)) return setBytes(target, start, end);
  } else if (rule === JSON_RULE) {
    if ((kind === JSON_OBJECT || kind === JSON_ARRAY) && flags & 2) return setBytes(target, start, end);
  } else if (kind === JSON_NUMBER) {
    const number = raw.numbers[cell]!;
    if (!Number.isNaN(number) && (rule !== INTEGER || flags & 4)) return setNumber(target, number);
  } else if (kind === JSON_STRING && !(flags & 1)) {
    const number = rule === INTEGER ? digitsValue(bytes, start, end) : decimalValue(bytes, start, end);
    if (!Number.isNaN(number)) {
      notes.textToNumber[position]! += 1;
      return setNumber(target, number);
    }
  }
  const value = coerce(rawValue(bytes, cell), position, notes);
  if (value === null) cellKinds[target] = CELL_NULL;
  else {
    cellKinds[target] = CELL_VALUE;
    cellValues[target] = value;
  }
}

function setBytes(target: number, start: number, end: number): void {
  cellKinds[target] = CELL_BYTES;
  cellStarts[target] = start;
  cellEnds[target] = end;
}

function setNumber(target: number, number: number): void {
  cellKinds[target] = CELL_NUMBER;
  cellNumbers[target] = number;
}

/** The prepared cell of column `position` for the row being written (the article's, else the product's). */
function cellOf(position: number): number {
  const article = COLUMN_COUNT + position;
  return raw.kinds[articleBase + position] !== 0 ? article : position;
}
/** Raw cells of the article being written. */
let articleBase = 0;

function cellText(bytes: Uint8Array, position: number): FlatValue {
  const cell = cellOf(position);
  const kind = cellKinds[cell];
  if (kind === CELL_BYTES) return utf8.decode(bytes.subarray(cellStarts[cell]!, cellEnds[cell]!));
  return kind === CELL_VALUE ? cellValues[cell]! : kind === CELL_NUMBER ? cellNumbers[cell]! : null;
}

function writeRow(bytes: Uint8Array, columns: readonly ColumnBuffer[], extra: string | null): void {
  for (let position = 0; position < COLUMN_COUNT; position++) {
    const column = columns[position]!;
    if (position === EXTRA) {
      column.push(extra);
      continue;
    }
    const cell = cellOf(position);
    const kind = cellKinds[cell];
    if (kind === CELL_BYTES) column.pushUtf8!(bytes, cellStarts[cell]!, cellEnds[cell]!);
    else if (kind === CELL_NUMBER) column.push(cellNumbers[cell]);
    else if (kind === CELL_VALUE) column.push(cellValues[cell]);
    else column.push(null);
  }
}

/** "None", "nan", "NaN": the seed's spellings of no value. */
function isNullText(bytes: Uint8Array, start: number, end: number): boolean {
  const length = end - start;
  if (length === 4) return bytes[start] === 0x4e && bytes[start + 1] === 0x6f && bytes[start + 2] === 0x6e && bytes[start + 3] === 0x65;
  if (length !== 3) return false;
  const first = bytes[start];
  return (first === 0x6e || first === 0x4e) && bytes[start + 1] === 0x61 && bytes[start + 2] === (first === 0x6e ? 0x6e : 0x4e);
}

/** ASCII digits (at most 15) as their value; NaN for anything else. */
function digitsValue(bytes: Uint8Array, start: number, end: number): number {
  if (end === start || end - start > 15) return Number.NaN;
  let value = 0;
  for (let at = start; at < end; at++) {
    const digit = bytes[at]! - 0x30;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

/** Digits with one optional `.` or `,` then digits (15 digits at most): its value; NaN otherwise. */
function decimalValue(bytes: Uint8Array, start: number, end: number): number {
  if (end === start || end - start > 16) return Number.NaN;
  let mantissa = 0;
  let digits = 0;
  let fraction = -1;
  for (let at = start; at < end; at++) {
    const byte = bytes[at]!;
    if ((byte === 0x2e || byte === 0x2c) && fraction < 0 && at > start) {
      fraction = 0;
      continue;
    }
    const digit = byte - 0x30;
    if (digit < 0 || digit > 9) return Number.NaN;
    mantissa = mantissa * 10 + digit;
    digits++;
    if (fraction >= 0) fraction++;
  }
  if (digits > 15) return Number.NaN;
  return fraction > 0 ? mantissa / 10 ** fraction : mantissa;
}
