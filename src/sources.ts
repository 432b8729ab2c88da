import { ConfigError } from './runtime/errors.js';
import type { Source } from './source.js';
import { titeliveSource } from './titelive/source.js';

/** The sources this build knows: one line each. */
const SOURCES: Source[] = [titeliveSource];

/** Adds a source at run time (a test's); threads started after see it only if it is listed above. */
export function registerSource(source: Source): void {
  if (SOURCES.some((known) => known.name === source.name)) throw new Error(`a source named ${source.name} is already registered`);
  SOURCES.push(source);
}

export function datasetSpellings(): string[] {
  return SOURCES.flatMap((source) => Object.keys(source.datasetSpellings));
}

/** The dataset a user's spelling names (`LIVRE` → `paper`), or undefined. */
export function parseDataset(text: string): string | undefined {
  for (const source of SOURCES) {
    const dataset = source.datasetSpellings[text] ?? source.datasetSpellings[text.trim()];
    if (dataset !== undefined) return dataset;
  }
  return undefined;
}

/** The source of a dataset; a dataset no source serves is a configuration error. */
export function sourceOf(dataset: string): Source {
  const source = SOURCES.find((each) => Object.values(each.datasetSpellings).includes(dataset));
  if (!source) throw new ConfigError(`no source serves the dataset '${dataset}'; known: ${[...new Set(SOURCES.flatMap((each) => Object.values(each.datasetSpellings)))].join(', ')}`);
  return source;
}

export function sourceNamed(name: string): Source {
  const source = SOURCES.find((each) => each.name === name);
  if (!source) throw new Error(`no source named ${name}`);
  return source;
}

/** The source of the seed's files (parse's and images' file modes): the seed is Titelive's. */
export function seedFileSource(): Source {
  return sourceNamed(titeliveSource.name);
}
