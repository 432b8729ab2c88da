import { createHash } from 'node:crypto';

/** Labels and annotations the pipeline puts on the Jobs it creates, and finds them back by. */
export const LABELS = {
  category: 'titelive-etl/category',
  stage: 'titelive-etl/stage',
  /** The run id shortened to a label value (see runTag); the full id is in the annotation. */
  run: 'titelive-etl/run',
} as const;
export const ANNOTATIONS = {
  runId: 'titelive-etl/run-id',
  attempt: 'titelive-etl/attempt',
  /** What `kubectl create job --from=cronjob/…` writes, so tools that read it see the same thing. */
  instantiate: 'cronjob.kubernetes.io/instantiate',
} as const;

/** Longest Job name: pods of an Indexed Job are named after it, and names stop at 63 characters. */
const MAX_JOB_NAME = 63;

/** The CronJob the chart installs for one stage of one category: `<release>-<category>-<stage>`. */
export function stageTemplateName(release: string, category: string, stage: string): string {
  return `${release}-${category}-${stage}`;
}

/**
 * A run id as a short label value and name part: `2026-11-23` → `20261123`; anything else →
 * its lowercase letters and digits if 8 or fewer, else 8 hex characters of its SHA-256.
 */
export function runTag(runId: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(runId)) return runId.replaceAll('-', '');
  const plain = runId.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (plain.length > 0 && plain.length <= 8 && plain === runId) return plain;
  return createHash('sha256').update(runId).digest('hex').slice(0, 8);
}

/**
 * The name of attempt n of a stage for a run: `<template>-<runTag>-<n>`, e.g.
 * `titelive-etl-paper-fetch-20261123-1`. The same inputs give the same name, so a pipeline that
 * restarts finds its Jobs again; a template name too long to fit is shortened with a hash.
 */
export function stageJobName(template: string, runId: string, attempt: number): string {
  const suffix = `-${runTag(runId)}-${attempt}`;
  if (template.length + suffix.length <= MAX_JOB_NAME) return `${template}${suffix}`;
  const hash = createHash('sha256').update(template).digest('hex').slice(0, 6);
  const head = template.slice(0, MAX_JOB_NAME - suffix.length - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}${suffix}`;
}
