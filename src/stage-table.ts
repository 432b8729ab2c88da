/** The stages of a run, in order, and the folder of the run where each writes its shard manifests. */
export const STAGES = ['plan', 'fetch', 'parse', 'images', 'load'] as const;
export type Stage = (typeof STAGES)[number];

export const STAGE_FOLDERS: Record<Stage, string> = {
  plan: 'plan',
  fetch: 'fetch',
  parse: 'products',
  images: 'images',
  load: 'load',
};

export function isStage(name: string): name is Stage {
  return (STAGES as readonly string[]).includes(name);
}
