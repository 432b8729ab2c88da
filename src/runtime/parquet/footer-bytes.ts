import type { RowGroup } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';

type WriterOptions = Omit<ConstructorParameters<typeof ParquetWriter>[0], 'writer'>;

/**
 * A file's footer with its row groups' metadata kept as the bytes the footer will hold, made as
 * each row group is written: a file of many row groups otherwise keeps every group's metadata as
 * JS objects until it is closed, and then builds the whole footer as objects again. The bytes
 * are the library's own: it writes a footer for one row group, and the group's part is cut out
 * of it (the footer's other fields are the same for any row groups).
 */
export class FooterBytes {
  private readonly groups: Uint8Array[] = [];
  private readonly emptyLayout: FooterLayout;

  constructor(private readonly options: WriterOptions) {
    this.emptyLayout = this.layout(0n);
  }

  get rowGroups(): number {
    return this.groups.length;
  }

  /** Keeps `group`'s metadata as footer bytes; the object is not needed after. */
  add(group: RowGroup): void {
    const footer = this.libraryFooter([group], 0n);
    const { prefix, tail } = this.emptyLayout;
    // One row group: the list header is a single byte, as it is for none.
    this.groups.push(footer.slice(prefix.length + 1, footer.length - tail.length));
  }

  /** Writes the footer (FileMetaData, its length, the closing magic) for `numRows` rows. */
  write(out: ByteWriter, numRows: bigint): void {
    const { prefix, tail, listType } = this.layout(numRows);
    const start = out.offset;
    out.appendBytes(prefix);
    if (this.groups.length > 14) {
      out.appendUint8(0xf0 | listType);
      out.appendVarInt(this.groups.length);
    } else {
      out.appendUint8((this.groups.length << 4) | listType);
    }
    for (const group of this.groups) out.appendBytes(group);
    out.appendBytes(tail);
    out.appendUint32(out.offset - start);
    out.appendUint32(PARQUET_MAGIC);
  }

  /**
   * Where the row group list is in the library's footer for `numRows`: the bytes before its
   * header's count (the field header included), and after the list. Found by comparing the
   * footers it writes for no row group and for one.
   */
  private layout(numRows: bigint): FooterLayout {
    const empty = this.libraryFooter([], numRows);
    const one = this.libraryFooter([{ columns: [], total_byte_size: 0n, num_rows: 0n }], numRows);
    let at = 0;
    while (at < empty.length && empty[at] === one[at]) at++;
    const tail = empty.subarray(at + 1);
    const listType = one[at]! & 0x0f;
    if (at >= empty.length || empty[at] !== 0 || one[at] !== (0x10 | listType) || !endsWith(one, tail)) throw new Error('the Parquet footer is not laid out as expected: row groups cannot be kept as bytes');
    return { prefix: empty.slice(0, at), tail: tail.slice(), listType };
  }

  /** The FileMetaData bytes the library writes for these row groups. */
  private libraryFooter(rowGroups: RowGroup[], numRows: bigint): Uint8Array {
    const out = new ByteWriter();
    const writer = new ParquetWriter({ ...this.options, writer: out });
    writer.row_groups = rowGroups;
    writer.num_rows = numRows;
    writer.finish();
    const bytes = out.getBytes();
    // Leading and closing magic, and the footer's length.
    return bytes.slice(4, bytes.length - 8);
  }
}

interface FooterLayout {
  prefix: Uint8Array;
  tail: Uint8Array;
  listType: number;
}

/** "PAR1", little-endian. */
const PARQUET_MAGIC = 0x31524150;

function endsWith(bytes: Uint8Array, end: Uint8Array): boolean {
  if (end.length > bytes.length) return false;
  const offset = bytes.length - end.length;
  for (let k = 0; k < end.length; k++) if (bytes[offset + k] !== end[k]) return false;
  return true;
}
