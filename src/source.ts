import type { Logger } from 'pino';
import type { ColumnBuffer } from './runtime/parquet/column-buffer.js';
import type { ColumnSpec } from './runtime/parquet/parquet-schema.js';
import type { TiteliveConfig } from './stage-configs.js';

/*
 * What a data source gives the stages. The stages (plan, fetch, parse, images, load) are the
 * same for every source; what is a source's own (its API client, its answers' shapes, its
 * datasets, its columns, how a product is flattened, where its covers are, what a document
 * holds) sits behind this interface. A source is one folder and one line in src/sources.ts.
 */

/** A cell as the Parquet writer takes it: string (STRING), number (DOUBLE), bigint (INT64), null. */
export type FlatValue = string | number | bigint | null;

/** What flattening found beyond its rows, counted per column position of the products columns. */
export interface FlattenNotes {
  /** Values that could not be read as their column's number type; stored as null. */
  coercedToNull: Uint32Array;
  /** Digit strings stored as numbers in a number column. */
  textToNumber: Uint32Array;
  /** Numbers and booleans stored as their text in a text column. */
  numberToText: Uint32Array;
  /** Fields outside the source's columns (name → rows), kept apart. */
  extraFields: Map<string, number>;
}

export interface Source {
  name: string;
  /** Each spelling a user may give for a dataset, and the dataset it names. */
  datasetSpellings: Readonly<Record<string, string>>;
  /** Plan and fetch: one pod's connection, with its share (slot) of the request budget. */
  connect(config: TiteliveConfig, slot: number, logger: Logger): Promise<SourceConnection>;
  /** Parse, images and load: the products' columns and rules, loaded on first use. */
  products(): Promise<ProductsFacet>;
  /** Plan --eans-from: why a listed key (trimmed) cannot be fetched, or undefined when it can; absent: any non-empty key. */
  keyProblem?(key: string): string | undefined;
  /** Plan --eans-from: the columns of a Parquet or CSV list that hold the keys, in order of preference. */
  keyColumns?: readonly string[];
}

export interface DayRequest {
  dataset: string;
  day: string;
  /** The window's first day: items modified before it are not planned. */
  windowStart: string;
  allowPartial: boolean;
  concurrency: number;
  signal: AbortSignal;
  logger: Logger;
}

export interface DayListing {
  /** What the source says the day holds. */
  total: number;
  /** Products read. */
  products: number;
  /** Every item of the day's products: its key (undefined: it has none), and whether it is in the window. */
  items: Array<{ key: string | undefined; inWindow: boolean }>;
  /** Requests it took. */
  requests: number;
  anomalies: Array<Record<string, unknown>>;
  /** The day holds more than the source lists (total), of which `kept` were listed (allowPartial). */
  capped?: { total: number; kept: number };
}

export type FetchedItem = { key: string; status: 'found'; data: string } | { key: string; status: 'deleted' } | { key: string; status: 'failed'; error: string };

export interface SourceConnection {
  /** What the plan was read from, for the manifest's inputs. */
  origin: string;
  listDay(request: DayRequest): Promise<DayListing>;
  /** One call's worth of keys (at most the fetch batch size) → one item each, in their order. */
  fetchBatch(dataset: string, keys: string[], signal?: AbortSignal): Promise<FetchedItem[]>;
  close(): void;
}

export interface FlattenOptions {
  /** Run mode: the key the product was fetched for (only that item's row); file mode: every item. */
  key?: string;
  windowStart: string;
}

export interface ImageSideSource {
  url: string | null;
  /** The source says this side has no image, though a URL is there. */
  flaggedOff: boolean;
}

/** A side's mirror, as load stores it. */
export interface ImageMirror {
  url: string | null;
  uuid: string | null;
  path: string | null;
  status: string | null;
}

/** What the database stores for one item, before the bookkeeping fields. */
export interface DocumentContent {
  _id: string;
  [field: string]: unknown;
}

export interface ProductsFacet {
  /** The columns of parse's parts, in order. */
  columns: readonly ColumnSpec[];
  /** The column holding each row's key (one row per key). */
  keyColumn: string;
  newNotes(): FlattenNotes;
  countsByColumn(counts: Uint32Array): Array<[string, number]>;
  addCountsByColumn(counts: Uint32Array, found: ReadonlyArray<[string, number]>): void;
  /** A parsed product's rows, cells in `columns` order; filteredOld counts items before the window. */
  flatten(product: Record<string, unknown>, options: FlattenOptions, notes: FlattenNotes): { rows: FlatValue[][]; filteredOld: number };
  /**
   * Optionally, the same from the product's JSON bytes straight into `columns`, each row offered
   * to `keepRow` with its key cell; undefined for a product this path does not take.
   */
  flattenBytes?(bytes: Uint8Array, options: FlattenOptions, notes: FlattenNotes, columns: readonly ColumnBuffer[], keepRow: (key: FlatValue) => boolean): { rows: number; filteredOld: number } | undefined;
  /** Images: the sides each row may have a cover for, the columns that say where, and each side's URL. */
  imageSides: readonly string[];
  imageColumns: readonly string[];
  imageSidesOf(row: Record<string, unknown>): ImageSideSource[];
  /** Load: a products row (and its images row) as a document, its hash, the collection's validator and indexes. */
  document(row: Record<string, unknown>, dataset: string, images?: Record<string, unknown>): DocumentContent;
  /** Audit: the images row a stored document was made with (the inverse of `document`'s images), or undefined when it had none. */
  imagesRowOf(document: Record<string, unknown>): Record<string, unknown> | undefined;
  documentSchema: Record<string, unknown>;
  /** The `status` of a document whose key the source no longer has. */
  deletedStatus: string;
  documentIndexes: ReadonlyArray<{ key: Record<string, 1>; name: string }>;
}
