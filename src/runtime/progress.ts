import type { Logger } from 'pino';

/**
 * A progress line at most every `intervalMs`: done/total, rate and the counts by outcome.
 * Logged at info level, so it reads as a line on a terminal and as a record in Cloud Logging.
 */
export class Progress {
  private done = 0;
  private readonly counts = new Map<string, number>();
  private readonly startedAt = Date.now();
  private lastLogAt = Date.now();

  constructor(
    private readonly logger: Logger,
    private readonly label: string,
    private readonly total: number,
    private readonly unit: string,
    private readonly intervalMs = 5_000,
  ) {}

  add(outcome: string, count = 1): void {
    this.done += count;
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + count);
    const now = Date.now();
    if (now - this.lastLogAt >= this.intervalMs) {
      this.lastLogAt = now;
      this.log('progress');
    }
  }

  countsByOutcome(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  log(event: string): void {
    const seconds = Math.max((Date.now() - this.startedAt) / 1000, 0.001);
    const percent = this.total > 0 ? Math.floor((this.done / this.total) * 100) : 100;
    const rate = this.done / seconds;
    const outcomes = [...this.counts].map(([name, count]) => `${count} ${name}`).join(', ');
    this.logger.info(
      { event, done: this.done, total: this.total, perSecond: Number(rate.toFixed(1)), counts: this.countsByOutcome() },
      `${this.label}: ${this.done}/${this.total} ${this.unit} (${percent}%), ${rate.toFixed(1)}/s${outcomes ? `, ${outcomes}` : ''}`,
    );
  }
}
