/**
 * A budget of `size` units (slots, bytes…) shared by concurrent work: acquire(n) waits, in
 * arrival order, until n units are free. Holders can give part of their share back early.
 */
export class Semaphore {
  private free: number;
  private readonly waiting: Array<{ units: number; wake: () => void }> = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  get inUse(): number {
    return this.size - this.free;
  }

  async acquire(units = 1): Promise<void> {
    if (units > this.size) throw new Error(`cannot take ${units} units of a budget of ${this.size}`);
    if (this.waiting.length === 0 && this.free >= units) {
      this.free -= units;
      return;
    }
    await new Promise<void>((wake) => this.waiting.push({ units, wake }));
  }

  release(units = 1): void {
    this.free += units;
    // First come, first served: a large request is not overtaken by smaller ones.
    while (this.waiting.length > 0 && this.free >= this.waiting[0]!.units) {
      const next = this.waiting.shift()!;
      this.free -= next.units;
      next.wake();
    }
  }
}
