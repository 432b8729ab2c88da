import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { ByteWriter } from 'hyparquet-writer';

/** Bytes buffered before they go to the file. */
const FLUSH_BYTES = 1 << 20;

/**
 * The writer's output as a local file, hashed (SHA-256) as it is written, so a finished part's
 * checksum needs no second read of the file (docs/benchmarks.md, "Design measurements"). Small writes are buffered; a row group encoded elsewhere goes to the
 * file as it is (appendChunk), without a copy into the buffer.
 */
export class HashingFileSink extends ByteWriter {
  private readonly fd: number;
  private readonly hash: Hash = createHash('sha256');
  private digest: string | undefined;
  private closed = false;

  constructor(readonly localPath: string) {
    super(FLUSH_BYTES);
    this.fd = openSync(localPath, 'w');
  }

  override ensure(size: number): void {
    if (this.index > 0 && this.index + size > this.buffer.byteLength) this.writeBuffered();
    super.ensure(size);
  }

  /** Bytes that go to the file after what is buffered, in one write. */
  appendChunk(bytes: Uint8Array): void {
    this.writeBuffered();
    this.writeOut(bytes);
    this.offset += bytes.length;
  }

  override finish(): void {
    if (this.closed) return;
    try {
      this.writeBuffered();
    } finally {
      this.close();
    }
    this.digest = this.hash.digest('hex');
  }

  /** Closes the file without finishing it (the caller removes it). */
  abandon(): void {
    if (!this.closed) this.close();
  }

  /** The file's SHA-256, hex; known once finished. */
  get sha256(): string {
    if (this.digest === undefined) throw new Error(`${this.localPath}: the checksum is known only once the file is finished`);
    return this.digest;
  }

  override getBuffer(): ArrayBuffer {
    throw new Error(`${this.localPath}: written to a file, not kept in memory`);
  }

  override getBytes(): Uint8Array<ArrayBuffer> {
    throw new Error(`${this.localPath}: written to a file, not kept in memory`);
  }

  private close(): void {
    this.closed = true;
    closeSync(this.fd);
  }

  private writeBuffered(): void {
    if (this.index === 0) return;
    this.writeOut(new Uint8Array(this.buffer, 0, this.index));
    this.index = 0;
  }

  private writeOut(bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done);
    this.hash.update(bytes);
  }
}
