/** The stages of a run, in order; each is a folder of the run. */
export const STAGES = ['plan', 'fetch', 'parse'] as const;
export type StageName = (typeof STAGES)[number];
