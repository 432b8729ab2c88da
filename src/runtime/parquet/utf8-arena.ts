/** Size of each chunk of an arena; a longer text gets a chunk of its own size. */
const CHUNK_BYTES = 1 << 20;
/** Chunks an arena keeps between row groups, at most; beyond, they are left to the collector. */
const KEPT_BYTES = 16 << 20;

/**
 * UTF-8 space reused from one row group to the next. Texts are written into shared chunks
 * with one native write each and handed out as views: encoding each text apart allocates a
 * buffer per text, much slower, and fresh chunks per row group pile up outside the heap until a
 * full collection (docs/benchmarks.md, "Design measurements"). A view is valid until the next reset.
 */
export class Utf8Arena {
  private readonly chunks: Buffer[] = [];
  private chunk = -1;
  private offset = 0;

  /** Makes all the space free again: every view handed out before now is invalid. */
  reset(): void {
    const kept = this.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    if (kept > KEPT_BYTES) this.chunks.length = 0;
    this.chunk = -1;
    this.offset = 0;
  }

  encode(text: string): Uint8Array {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8, so this much room never truncates.
    const room = text.length * 3;
    let chunk = this.chunks[this.chunk];
    if (!chunk || this.offset + room > chunk.length) {
      chunk = this.nextChunk(room);
      this.offset = 0;
    }
    const length = chunk.write(text, this.offset);
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset + this.offset, length);
    this.offset += length;
    return bytes;
  }

  /** A column's values with every string as its UTF-8 bytes (views, see encode); others unchanged. */
  encodeAll(values: readonly unknown[]): readonly unknown[] {
    // Values already encoded (a column buffer's views, see column-buffer.ts) pass as they are.
    if (!values.some((value) => typeof value === 'string')) return values;
    return values.map((value) => (typeof value === 'string' ? this.encode(value) : value));
  }

  private nextChunk(room: number): Buffer {
    this.chunk += 1;
    const reusable = this.chunks[this.chunk];
    if (reusable && reusable.length >= room) return reusable;
    const chunk = Buffer.allocUnsafeSlow(Math.max(room, CHUNK_BYTES));
    this.chunks[this.chunk] = chunk;
    return chunk;
  }
}
