/**
 * Collects item keys and gives them back sorted, each once, with the count of repeats. A
 * 13-digit key costs 8 bytes (a number in a growing Float64Array, sorted in place at the end),
 * so a list of millions of EANs fits in tens of megabytes; any other key goes to a plain Set.
 */
export class SortedKeys {
  private numbers = new Float64Array(1 << 16);
  private numberCount = 0;
  private readonly others = new Set<string>();
  private added = 0;
  private unique: number | undefined;

  add(key: string): void {
    this.added += 1;
    this.unique = undefined;
    if (key.length !== 13 || !/^\d{13}$/.test(key)) {
      this.others.add(key);
      return;
    }
    if (this.numberCount === this.numbers.length) {
      const grown = new Float64Array(this.numbers.length * 2);
      grown.set(this.numbers);
      this.numbers = grown;
    }
    this.numbers[this.numberCount++] = Number(key);
  }

  /** Keys added, repeats included. */
  get count(): number {
    return this.added;
  }

  /** Distinct keys (sorts on first use). */
  get size(): number {
    this.sort();
    return this.unique! + this.others.size;
  }

  get duplicates(): number {
    return this.added - this.size;
  }

  /** The distinct keys in ascending text order. */
  *sorted(): Generator<string> {
    this.sort();
    const others = [...this.others].sort();
    let other = 0;
    for (let i = 0; i < this.unique!; i++) {
      const key = String(this.numbers[i]!).padStart(13, '0');
      while (other < others.length && others[other]! < key) yield others[other++]!;
      yield key;
    }
    while (other < others.length) yield others[other++]!;
  }

  /** Sorts the numbers and drops repeats, in place; equal-length digit strings sort as their numbers. */
  private sort(): void {
    if (this.unique !== undefined) return;
    const numbers = this.numbers.subarray(0, this.numberCount).sort();
    let unique = 0;
    for (let i = 0; i < numbers.length; i++) if (i === 0 || numbers[i] !== numbers[unique - 1]) numbers[unique++] = numbers[i]!;
    this.numberCount = unique;
    this.unique = unique;
  }
}
