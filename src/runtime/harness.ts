import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { ExitCode, StoppedError, exitCodeOf, messageOf } from './errors.js';

export interface JobContext {
  logger: Logger;
  /** Aborted on SIGTERM/SIGINT; long work checks it between units and stops without a manifest. */
  signal: AbortSignal;
}

export interface JobOptions {
  name: string;
  logger: Logger;
  /** After a stop signal, the longest the work may take to wind down before the process exits anyway. */
  drainMs?: number;
}

/**
 * The one place a command's work starts: it turns signals into a clean stop, logs the outcome
 * once and returns the process exit code (0 ok, 1 work failed, 2 config, 3 upstream incomplete,
 * 130/143 stopped by a signal).
 */
export async function runJob(options: JobOptions, work: (context: JobContext) => Promise<void>): Promise<number> {
  const { logger, name } = options;
  const controller = new AbortController();
  // Every request in flight listens to this signal: hundreds at once are expected, not a leak.
  setMaxListeners(0, controller.signal);
  let signalsSeen = 0;
  const onSignal = (signalName: NodeJS.Signals) => {
    signalsSeen += 1;
    if (signalsSeen > 1) {
      logger.warn({ signal: signalName }, `${name}: second ${signalName}, exiting now`);
      process.exit(signalName === 'SIGINT' ? ExitCode.INTERRUPTED : ExitCode.TERMINATED);
    }
    logger.warn({ signal: signalName }, `${name}: ${signalName} received, stopping; no manifest will be written for unfinished work`);
    controller.abort(new StoppedError(signalName));
    // A call that ignores the abort (a hung server) must not keep the pod past its grace period.
    if (options.drainMs !== undefined) {
      setTimeout(() => {
        logger.error({ event: 'drain_timeout', signal: signalName, drainMs: options.drainMs }, `${name}: work still running ${options.drainMs! / 1000} s after ${signalName}; exiting now without a manifest`);
        process.exit(signalName === 'SIGINT' ? ExitCode.INTERRUPTED : ExitCode.TERMINATED);
      }, options.drainMs).unref();
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const startedAt = Date.now();
  try {
    await work({ logger, signal: controller.signal });
    if (controller.signal.aborted) throw controller.signal.reason;
    logger.info({ event: 'job_finished', durationMs: Date.now() - startedAt }, `${name}: finished in ${seconds(startedAt)}`);
    return ExitCode.OK;
  } catch (error) {
    const stopped = controller.signal.aborted ? (controller.signal.reason as StoppedError) : undefined;
    const reported = stopped ?? error;
    const code = exitCodeOf(reported);
    // `stack_trace` in the ERROR entry itself is what Cloud Error Reporting groups failures by.
    const stackTrace = reported instanceof Error ? reported.stack : undefined;
    logger.error(
      { event: 'job_failed', exitCode: code, durationMs: Date.now() - startedAt, error: messageOf(reported), ...(stackTrace ? { stack_trace: stackTrace } : {}) },
      `${name}: ${messageOf(reported)}`,
    );
    return code;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

function seconds(startedAt: number): string {
  return `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;
}
