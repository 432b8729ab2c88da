/** Exit codes shared by every command; the Helm chart's podFailurePolicy keys on CONFIG. */
export const ExitCode = {
  OK: 0,
  WORK_FAILED: 1,
  CONFIG: 2,
  UPSTREAM_INCOMPLETE: 3,
  RECONCILIATION_FAILED: 4,
  INTERRUPTED: 130,
  TERMINATED: 143,
} as const;

/** Bad flags, variables or secrets: reported before any work starts, exit code 2. */
export class ConfigError extends Error { readonly exitCode = ExitCode.CONFIG; override name = 'ConfigError'; }

/** A stage was asked to start before the stage it reads from has finished. */
export class UpstreamIncompleteError extends Error { readonly exitCode = ExitCode.UPSTREAM_INCOMPLETE; override name = 'UpstreamIncompleteError'; }

/** A run's manifests do not add up (`verify`): rerunning will not change them; a person must look. */
export class ReconciliationError extends Error { readonly exitCode = ExitCode.RECONCILIATION_FAILED; override name = 'ReconciliationError'; }

/** An audit found the copy's stale share above its threshold (--fail-on-stale): the copy needs a repair, not a retry. */
export class StaleCopyError extends Error { readonly exitCode = ExitCode.RECONCILIATION_FAILED; override name = 'StaleCopyError'; }

/** The work ran but some of it failed; the shard's manifest is not written. */
export class WorkFailedError extends Error { readonly exitCode = ExitCode.WORK_FAILED; override name = 'WorkFailedError'; }

/** The job was asked to stop (SIGTERM/SIGINT) before it finished. */
export class StoppedError extends Error {
  override name = 'StoppedError';
  constructor(readonly signalName: string) {
    super(`stopped by ${signalName} before the work finished; no manifest was written`);
  }
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof StoppedError) return error.signalName === 'SIGINT' ? ExitCode.INTERRUPTED : ExitCode.TERMINATED;
  if (error && typeof error === 'object' && 'exitCode' in error && typeof error.exitCode === 'number') return error.exitCode;
  return ExitCode.WORK_FAILED;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
