/** Arrival times of API requests, to enforce a budget and to report the busiest second. */
export class RequestLog {
  private readonly window: number[] = [];
  maxInAnySecond = 0;

  /** Records an arrival; returns how many arrived in the second ending now, this one included. */
  arrive(now: number): number {
    this.window.push(now);
    while (this.window.length > 0 && (this.window[0] as number) <= now - 1000) this.window.shift();
    this.maxInAnySecond = Math.max(this.maxInAnySecond, this.window.length);
    return this.window.length;
  }

  reset(): void {
    this.window.length = 0;
    this.maxInAnySecond = 0;
  }
}
