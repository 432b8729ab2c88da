import type { ColumnSpec } from '../runtime/parquet/parquet-schema.js';

/*
 * The columns of the parts each stage hands to the next: one module, so that a stage reading
 * another's parts loads only their shape, not the stage. (The products columns are the source's.)
 */

/** plan/: one row per EAN to fetch, with the day the search found it. */
export const PLAN_COLUMNS: ColumnSpec[] = [
  { name: 'ean', type: 'STRING', required: true },
  { name: 'base', type: 'STRING', required: true },
  { name: 'day', type: 'STRING', required: true },
];

/** fetch/: one row per EAN, keyed by the EAN it was fetched for. */
export const RAW_COLUMNS: ColumnSpec[] = [
  { name: 'ean', type: 'STRING', required: true },
  { name: 'base', type: 'STRING', required: true },
  { name: 'status', type: 'STRING', required: true },
  { name: 'data', type: 'STRING' },
  { name: 'error', type: 'STRING' },
  { name: 'fetched_at', type: 'TIMESTAMP_MILLIS', required: true },
];

/** images/: the seed's image columns for the source's sides, plus the EAN they belong to. */
export function imagesColumns(sides: readonly string[]): ColumnSpec[] {
  return [
    { name: 'ean', type: 'STRING', required: true },
    ...sides.map((side): ColumnSpec => ({ name: side, type: 'STRING' })),
    ...sides.map((side): ColumnSpec => ({ name: `${side}_uuid`, type: 'STRING' })),
    ...sides.map((side): ColumnSpec => ({ name: `${side}_gcs_path`, type: 'STRING' })),
    ...sides.map((side): ColumnSpec => ({ name: `${side}_upload_status`, type: 'STRING' })),
  ];
}
