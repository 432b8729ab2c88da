import type { SchemaElement } from 'hyparquet';

/** The column types the product writes; each maps to one plain Parquet physical/logical type. */
export type ColumnType = 'STRING' | 'INT32' | 'INT64' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP_MILLIS';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** Required columns reject nulls at write time. Optional by default. */
  required?: boolean;
  /**
   * Written plain, without the dictionary attempt the writer otherwise makes on every column
   * chunk: for values nearly all distinct (keys, URLs, titles) or long free text, where the
   * dictionary would be thrown away.
   */
  plain?: boolean;
}

/** A plain text column: its values go to the writer as UTF-8 bytes (see Utf8Arena). */
export function isPlainText(column: ColumnSpec): boolean {
  return column.plain === true && column.type === 'STRING';
}

export function toParquetSchema(columns: readonly ColumnSpec[]): SchemaElement[] {
  const root: SchemaElement = { name: 'root', num_children: columns.length };
  return [root, ...columns.map(toSchemaElement)];
}

function toSchemaElement(column: ColumnSpec): SchemaElement {
  const repetition_type = column.required ? 'REQUIRED' : 'OPTIONAL';
  switch (column.type) {
    case 'STRING':
      return { name: column.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type };
    case 'INT32':
      return { name: column.name, type: 'INT32', repetition_type };
    case 'INT64':
      return { name: column.name, type: 'INT64', repetition_type };
    case 'DOUBLE':
      return { name: column.name, type: 'DOUBLE', repetition_type };
    case 'BOOLEAN':
      return { name: column.name, type: 'BOOLEAN', repetition_type };
    case 'TIMESTAMP_MILLIS':
      return {
        name: column.name,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MILLIS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
        repetition_type,
      };
  }
}
