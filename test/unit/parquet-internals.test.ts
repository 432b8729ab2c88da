import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { writePageHeader, writeRleBitPackedHybrid } from '../../src/runtime/parquet/writer-internals.js';

/**
 * What src/runtime/parquet relies on in hyparquet and hyparquet-writer beyond their main entry
 * points: fields of their classes and functions of their `./src/*.js` paths. A version that
 * changes any of them fails here, not silently in the files written.
 */
describe('the Parquet libraries, as the writer uses them', () => {
  const root = path.resolve(import.meta.dirname, '../..');

  it('are the exact versions package.json pins', () => {
    const wanted = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const name of ['hyparquet', 'hyparquet-writer']) {
      expect(wanted.dependencies[name], `${name} pinned exactly`).to.match(/^\d+\.\d+\.\d+$/);
      const installed = JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
      expect(installed.version, name).to.equal(wanted.dependencies[name]);
    }
  });

  it('ByteWriter: index, offset, buffer and ensure behave as the sinks and encoders expect', () => {
    const out = new ByteWriter();
    expect(out.index).to.equal(0);
    expect(out.offset).to.equal(0);
    out.appendUint8(7);
    out.appendUint32(1);
    expect(out.index).to.equal(5);
    expect(out.offset).to.equal(5);
    out.ensure(1 << 20);
    expect(out.buffer).to.be.instanceOf(ArrayBuffer);
    expect(out.buffer.byteLength).to.be.at.least(out.index + (1 << 20));
    // Bytes written straight into the buffer count once index moves past them.
    new Uint8Array(out.buffer)[out.index] = 9;
    out.index += 1;
    expect([...out.getBytes()]).to.deep.equal([7, 1, 0, 0, 0, 9]);
  });

  it('ParquetWriter: row_groups and num_rows set by hand make the footer finish() writes', () => {
    const out = new ByteWriter();
    const writer = new ParquetWriter({ writer: out, schema: [{ name: 'root', num_children: 1 }, { name: 'ean', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED' }] });
    expect(writer.row_groups).to.be.an('array');
    expect(typeof writer.num_rows).to.equal('bigint');
    writer.row_groups = [{ columns: [], total_byte_size: 0n, num_rows: 3n }];
    writer.num_rows = 3n;
    writer.finish();
    const bytes = out.getBytes();
    expect(new TextDecoder().decode(bytes.slice(0, 4))).to.equal('PAR1');
    expect(new TextDecoder().decode(bytes.slice(-4))).to.equal('PAR1');
    const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    expect(metadata.num_rows).to.equal(3n);
    expect(metadata.row_groups).to.have.length(1);
  });

  it('writePageHeader and parquetHeader (from ./src/*.js) round-trip a data page header', () => {
    const out = new ByteWriter();
    const header = {
      type: 'DATA_PAGE_V2' as const,
      uncompressed_page_size: 120,
      compressed_page_size: 80,
      data_page_header_v2: { num_values: 10, num_nulls: 1, num_rows: 10, encoding: 'RLE_DICTIONARY' as const, definition_levels_byte_length: 3, repetition_levels_byte_length: 0, is_compressed: true },
    };
    writePageHeader(out, header);
    const bytes = out.getBytes();
    const read = parquetHeader({ view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 });
    expect(read).to.deep.include({ type: 'DATA_PAGE_V2', uncompressed_page_size: 120, compressed_page_size: 80 });
    expect(read.data_page_header_v2).to.deep.include({ num_values: 10, num_nulls: 1, num_rows: 10, encoding: 'RLE_DICTIONARY', definition_levels_byte_length: 3 });
  });

  it('writeRleBitPackedHybrid writes small integers and says how many bytes', () => {
    const out = new ByteWriter();
    const written = writeRleBitPackedHybrid(out, new Int32Array([1, 1, 1, 1, 1, 1, 1, 1, 0, 1]), 1);
    expect(written).to.equal(out.index);
    expect(written).to.be.greaterThan(0);
  });
});
