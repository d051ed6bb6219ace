import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompressionCodec } from '../../../../protocol/compression.js';
import { crc32c } from '../../../../protocol/crc32c.js';
import {
  ControlRecordType,
  controlRecordTypeOf,
  decodeRecordBatch,
  decodeRecordBatches,
  decodeRecordBatchesSync,
  decodeRecordBatchSync,
  encodeRecordBatch,
  encodeRecordBatchSync,
} from '../../../../protocol/record-batch.js';
import {
  CorruptRecordBatchError,
  CRC_COVERAGE_START,
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchField,
  TimestampType,
} from '../../../../protocol/record-batch-header.js';
import { comparable, expectedRecords, recordsArb } from '../../../support/record-batch-arbitraries.js';
import { ALL_COMPRESSION_CODECS } from '../../../support/compression-codecs.js';

const CODECS = ALL_COMPRESSION_CODECS;

/** Rewrites the records section of an uncompressed batch and fixes length and CRC, to forge bad records. */
function withRecordsSection(batch: Buffer, records: Buffer, recordsCount?: number): Buffer {
  const out = Buffer.concat([batch.subarray(0, RECORD_BATCH_HEADER_SIZE), records]);
  out.writeInt32BE(out.length - LOG_OVERHEAD, RecordBatchField.batchLength);
  if (recordsCount !== undefined) out.writeInt32BE(recordsCount, RecordBatchField.recordsCount);
  out.writeUInt32BE(crc32c(out.subarray(CRC_COVERAGE_START)), RecordBatchField.crc);
  return out;
}

describe('record batch round trips', () => {
  for (const compression of CODECS) {
    it(`${CompressionCodec[compression]}: random records decode to what was encoded (async and sync agree)`, async () => {
      await fc.assert(
        fc.asyncProperty(recordsArb, fc.bigInt({ min: 0n, max: 2n ** 62n }), async (records, baseOffset) => {
          const batch = await encodeRecordBatch({ baseOffset, compression, records });
          const syncBatch = encodeRecordBatchSync({ baseOffset, compression, records });
          const decoded = await decodeRecordBatch(batch);
          expect(comparable(decoded.records)).toEqual(comparable(expectedRecords(records, baseOffset)));
          expect(syncBatch.equals(batch) || compression === CompressionCodec.Gzip).toBe(true);
          expect(comparable(decodeRecordBatchSync(syncBatch).records)).toEqual(comparable(decoded.records));
          const { header } = decoded;
          expect(header.recordsCount).toBe(records.length);
          expect(header.lastOffsetDelta).toBe(records.length - 1);
          expect(header.baseTimestamp).toBe(records[0]!.timestamp);
          expect(header.maxTimestamp).toBe(
            records.reduce((m, r) => (r.timestamp > m ? r.timestamp : m), -1n),
          );
          expect(header.attributes & 7).toBe(compression);
          expect(header.batchLength).toBe(batch.length - LOG_OVERHEAD);
        }),
        { numRuns: 40 },
      );
    });
  }

  it('keeps producer fields, transactional flag, explicit offset deltas and extreme timestamps', () => {
    const batch = encodeRecordBatchSync({
      baseOffset: 5n,
      producerId: 2n ** 40n,
      producerEpoch: 9,
      baseSequence: 2 ** 31 - 1,
      isTransactional: true,
      baseTimestamp: 0n,
      records: [
        { key: null, value: null, timestamp: 2n ** 62n, offsetDelta: 0 },
        { key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: -(2n ** 62n), offsetDelta: 7 },
      ],
    });
    const { header, records } = decodeRecordBatchSync(batch);
    expect(header).toMatchObject({ producerId: 2n ** 40n, producerEpoch: 9, baseSequence: 2 ** 31 - 1 });
    expect(header.attributes).toBe(0x10);
    expect(header.lastOffsetDelta).toBe(7);
    expect(records.map((r) => [r.offset, r.timestamp])).toEqual([
      [5n, 2n ** 62n],
      [12n, -(2n ** 62n)],
    ]);
    expect(records[0]!.key).toBeNull();
    expect(records[1]!.key).toEqual(Buffer.alloc(0));
    expect(() =>
      encodeRecordBatchSync({
        records: [
          { key: null, value: null, offsetDelta: 3 },
          { key: null, value: null, offsetDelta: 3 },
        ],
      }),
    ).toThrow(RangeError);
  });

  it('LogAppendTime batches report maxTimestamp as every record timestamp', () => {
    const batch = encodeRecordBatchSync({
      timestampType: TimestampType.LogAppendTime,
      maxTimestamp: 1234n,
      records: [
        { key: null, value: Buffer.from('a'), timestamp: 1n },
        { key: null, value: Buffer.from('b'), timestamp: 2n },
      ],
    });
    expect(decodeRecordBatchSync(batch).records.map((r) => r.timestamp)).toEqual([1234n, 1234n]);
  });

  it('encodes records byte-exactly as the Kafka spec lays them out', () => {
    const batch = encodeRecordBatchSync({
      baseTimestamp: 1000n,
      records: [
        {
          key: Buffer.from('k'),
          value: null,
          timestamp: 999n,
          headers: [{ key: 'h', value: Buffer.from('v') }],
        },
      ],
    });
    // length 11 (zigzag 22), attributes 0, timestampDelta -1 (zigzag 1), offsetDelta 0, key len 1 'k',
    // value null (zigzag 1), 1 header: key len 1 'h', value len 1 'v'
    expect([...batch.subarray(RECORD_BATCH_HEADER_SIZE)]).toEqual([
      22, 0, 1, 0, 2, 0x6b, 1, 2, 2, 0x68, 2, 0x76,
    ]);
  });

  it('control batches carry their marker type', () => {
    const key = Buffer.from([0, 0, 0, 1]);
    const batch = encodeRecordBatchSync({
      isControl: true,
      isTransactional: true,
      records: [{ key, value: Buffer.from([0, 0, 0, 0, 0, 0]) }],
    });
    const { header, records } = decodeRecordBatchSync(batch);
    expect(header.attributes & 0x30).toBe(0x30);
    expect(controlRecordTypeOf(records[0]!.key)).toBe(ControlRecordType.Commit);
    expect(controlRecordTypeOf(Buffer.from([0, 0, 0, 0]))).toBe(ControlRecordType.Abort);
    expect(controlRecordTypeOf(null)).toBeNull();
  });
});

describe('decodeRecordBatches', () => {
  it('decodes every complete batch and ignores a partial trailing one', async () => {
    const a = encodeRecordBatchSync({ baseOffset: 0n, records: [{ key: null, value: Buffer.from('a') }] });
    const b = encodeRecordBatchSync({
      baseOffset: 1n,
      compression: CompressionCodec.Zstd,
      records: [
        { key: null, value: Buffer.from('b') },
        { key: null, value: Buffer.from('c') },
      ],
    });
    const all = Buffer.concat([a, b, a]);
    for (const cut of [all.length, all.length - 1, a.length + b.length + 11, a.length + 1, 0]) {
      const slice = all.subarray(0, cut);
      const expected =
        cut >= a.length * 2 + b.length ? 3 : cut >= a.length + b.length ? 2 : cut >= a.length ? 1 : 0;
      const decoded = await decodeRecordBatches(slice);
      expect(decoded.length).toBe(expected);
      expect(decodeRecordBatchesSync(slice).length).toBe(expected);
    }
    const values = (await decodeRecordBatches(all)).flatMap((d) => d.records.map((r) => r.value?.toString()));
    expect(values).toEqual(['a', 'b', 'c', 'a']);
  });
});

describe('hostile batches', () => {
  const base = encodeRecordBatchSync({ records: [{ key: Buffer.from('k'), value: Buffer.from('v') }] });
  const body = base.subarray(RECORD_BATCH_HEADER_SIZE);

  const rejects = (batch: Buffer, pattern: RegExp) => {
    let error: unknown;
    try {
      decodeRecordBatchSync(batch);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CorruptRecordBatchError);
    expect((error as CorruptRecordBatchError).code).toBe(2);
    expect((error as Error).message).toMatch(pattern);
  };

  it('refuses a recordsCount that cannot fit before allocating', () => {
    rejects(withRecordsSection(base, body, 2 ** 31 - 1), /recordsCount 2147483647 cannot fit/);
  });

  it('refuses fewer records than declared, and bytes left after the declared records', () => {
    rejects(withRecordsSection(base, Buffer.concat([body, Buffer.alloc(7)]), 2), /record/);
    rejects(withRecordsSection(base, Buffer.concat([body, body])), /bytes left after the 1 records/);
  });

  it('refuses record, key and header lengths pointing past the data', () => {
    const forged = (patch: (b: Buffer) => void) => {
      const b = Buffer.from(body);
      patch(b);
      return withRecordsSection(base, b);
    };
    rejects(
      forged((b) => (b[0] = 0x7e)),
      /record length/,
    ); // length 63 > available
    rejects(
      forged((b) => (b[4] = 0x7e)),
      /record key/,
    ); // key length 63
    rejects(
      forged((b) => (b[4] = 0x03)),
      /record key/,
    ); // key length -2
    rejects(
      forged((b) => (b[8] = 0x7e)),
      /header count/,
    ); // 63 headers
  });

  it('refuses a batch whose declared length runs past the buffer', () => {
    rejects(base.subarray(0, base.length - 1), /truncated/);
  });

  it('maps corrupt compressed data and decompression bombs to CorruptRecordBatchError', async () => {
    const zstd = encodeRecordBatchSync({
      compression: CompressionCodec.Zstd,
      records: [{ key: null, value: Buffer.alloc(1_000_000) }],
    });
    expect(zstd.length).toBeLessThan(1000);
    await expect(decodeRecordBatch(zstd, 0, { maxOutputBytes: 100_000 })).rejects.toThrow(
      /exceeds the limit/,
    );
    expect(() => decodeRecordBatchSync(zstd, 0, { maxOutputBytes: 100_000 })).toThrow(
      CorruptRecordBatchError,
    );
    const garbage = withRecordsSection(zstd, Buffer.from('definitely not zstd'));
    await expect(decodeRecordBatch(garbage)).rejects.toBeInstanceOf(CorruptRecordBatchError);
  });

  it('skipCrcCheck decodes a batch whose CRC is stale but whose records are sound', () => {
    const stale = Buffer.from(base);
    stale.writeUInt32BE(0, RecordBatchField.crc);
    expect(() => decodeRecordBatchSync(stale)).toThrow(/CRC mismatch/);
    expect(decodeRecordBatchSync(stale, 0, { skipCrcCheck: true }).records[0]!.value).toEqual(
      Buffer.from('v'),
    );
  });

  it('never throws anything but CorruptRecordBatchError on random corruption', () => {
    const batches = CODECS.map((compression) =>
      encodeRecordBatchSync({
        compression,
        records: Array.from({ length: 5 }, (_, i) => ({
          key: Buffer.from(`key-${i}`),
          value: Buffer.alloc(50 + i, i),
          headers: [{ key: 'h', value: Buffer.from([i]) }],
        })),
      }),
    );
    fc.assert(
      fc.property(
        fc.nat(CODECS.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        (which, flips) => {
          const batch = batches[which]!;
          const body2 = Buffer.from(batch.subarray(RECORD_BATCH_HEADER_SIZE));
          for (const [pos, mask] of flips) body2[pos % body2.length]! ^= mask;
          // Fix the CRC so the corruption reaches the record decoder / decompressor.
          const forged = withRecordsSection(batch, body2);
          try {
            decodeRecordBatchSync(forged);
          } catch (err) {
            expect(err).toBeInstanceOf(CorruptRecordBatchError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
