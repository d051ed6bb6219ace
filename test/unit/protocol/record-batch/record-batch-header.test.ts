import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompressionCodec } from '../../../../protocol/compression.js';
import { decodeRecordBatchSync, encodeRecordBatchSync } from '../../../../protocol/record-batch.js';
import {
  compressionOf,
  CorruptRecordBatchError,
  CRC_COVERAGE_START,
  hasDeleteHorizon,
  isControl,
  isTransactional,
  LOG_OVERHEAD,
  makeAttributes,
  readRecordBatchHeader,
  RECORD_BATCH_HEADER_SIZE,
  recordBatchesIn,
  recordBatchSizeAt,
  stampBaseOffset,
  stampPartitionLeaderEpoch,
  TimestampType,
  timestampTypeOf,
  validateRecordBatch,
  verifyRecordBatchCrc,
} from '../../../../protocol/record-batch-header.js';

const record = (n: number) => ({
  key: Buffer.from(`k${n}`),
  value: Buffer.from(`value ${n}`),
  headers: [{ key: 'h', value: Buffer.from([n]) }],
  timestamp: 1_700_000_000_000n + BigInt(n),
});

function sampleBatch(count = 3, extra: Partial<Parameters<typeof encodeRecordBatchSync>[0]> = {}): Buffer {
  return encodeRecordBatchSync({
    baseOffset: 100n,
    partitionLeaderEpoch: 7,
    producerId: 4000n,
    producerEpoch: 3,
    baseSequence: 12,
    records: Array.from({ length: count }, (_, i) => record(i)),
    ...extra,
  });
}

describe('record batch header', () => {
  it('reads every field of the 61-byte header at the documented positions', () => {
    const batch = sampleBatch(3, { isTransactional: true, compression: CompressionCodec.None });
    const header = readRecordBatchHeader(batch);
    expect(header).toEqual({
      baseOffset: 100n,
      batchLength: batch.length - LOG_OVERHEAD,
      partitionLeaderEpoch: 7,
      magic: 2,
      crc: batch.readUInt32BE(17),
      attributes: 0x10,
      lastOffsetDelta: 2,
      baseTimestamp: 1_700_000_000_000n,
      maxTimestamp: 1_700_000_000_002n,
      producerId: 4000n,
      producerEpoch: 3,
      baseSequence: 12,
      recordsCount: 3,
    });
    expect(RECORD_BATCH_HEADER_SIZE).toBe(61);
    // batch bytes at fixed positions, independent of our reader
    expect(batch.readBigInt64BE(0)).toBe(100n);
    expect(batch.readInt8(16)).toBe(2);
    expect(batch.readInt32BE(57)).toBe(3);
  });

  it('reads a header at a non-zero offset', () => {
    const batch = sampleBatch();
    const padded = Buffer.concat([Buffer.alloc(5, 0xee), batch]);
    expect(readRecordBatchHeader(padded, 5)).toEqual(readRecordBatchHeader(batch));
    expect(verifyRecordBatchCrc(padded, 5)).toBe(true);
  });

  it('refuses short input, magic other than 2 and impossible batch lengths with CORRUPT_MESSAGE', () => {
    const batch = sampleBatch();
    const expectCorrupt = (buf: Buffer, pattern: RegExp) => {
      let error: unknown;
      try {
        readRecordBatchHeader(buf);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(CorruptRecordBatchError);
      expect((error as CorruptRecordBatchError).code).toBe(2);
      expect((error as Error).message).toMatch(pattern);
    };
    expectCorrupt(batch.subarray(0, 60), /needs 61 bytes/);
    const magic1 = Buffer.from(batch);
    magic1.writeInt8(1, 16);
    expectCorrupt(magic1, /magic 1/);
    const shortLength = Buffer.from(batch);
    shortLength.writeInt32BE(48, 8);
    expectCorrupt(shortLength, /batchLength 48/);
    const negativeCount = Buffer.from(batch);
    negativeCount.writeInt32BE(-1, 57);
    expectCorrupt(negativeCount, /negative recordsCount/);
  });

  it('recordBatchSizeAt needs only the first 12 bytes', () => {
    const batch = sampleBatch();
    expect(recordBatchSizeAt(batch.subarray(0, 11), 0)).toBeNull();
    expect(recordBatchSizeAt(batch.subarray(0, 12), 0)).toBe(batch.length);
    const bad = Buffer.from(batch.subarray(0, 12));
    bad.writeInt32BE(-5, 8);
    expect(() => recordBatchSizeAt(bad, 0)).toThrow(CorruptRecordBatchError);
  });

  it('detects a flip of any byte from the CRC field to the end', () => {
    const batch = sampleBatch(2);
    expect(verifyRecordBatchCrc(batch)).toBe(true);
    for (let i = 17; i < batch.length; i++) {
      for (const mask of [0x01, 0x80]) {
        const copy = Buffer.from(batch);
        copy[i]! ^= mask;
        expect(verifyRecordBatchCrc(copy), `byte ${i} mask ${mask}`).toBe(false);
      }
    }
  });

  it('validateRecordBatch and decode both reject a corrupted batch with a typed error', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: CRC_COVERAGE_START, max: 10_000 }),
        fc.integer({ min: 1, max: 255 }),
        (pos, mask) => {
          const batch = sampleBatch(4, { compression: CompressionCodec.Gzip });
          const at = pos % batch.length;
          fc.pre(at >= CRC_COVERAGE_START);
          batch[at]! ^= mask;
          expect(() => validateRecordBatch(batch)).toThrow(CorruptRecordBatchError);
          expect(() => decodeRecordBatchSync(batch)).toThrow(CorruptRecordBatchError);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('stamping baseOffset and partitionLeaderEpoch keeps the CRC valid and is seen by decode', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
        fc.integer({ min: -1, max: 2 ** 31 - 1 }),
        (baseOffset, epoch) => {
          const batch = sampleBatch(3, { compression: CompressionCodec.Snappy });
          stampBaseOffset(batch, 0, baseOffset);
          stampPartitionLeaderEpoch(batch, 0, epoch);
          expect(verifyRecordBatchCrc(batch)).toBe(true);
          const header = validateRecordBatch(batch);
          expect(header.baseOffset).toBe(baseOffset);
          expect(header.partitionLeaderEpoch).toBe(epoch);
          const decoded = decodeRecordBatchSync(batch);
          expect(decoded.records.map((r) => r.offset)).toEqual([
            baseOffset,
            baseOffset + 1n,
            baseOffset + 2n,
          ]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('the header view equals the header of a full decode', () => {
    for (const compression of [0, 1, 2, 3, 4] as CompressionCodec[]) {
      const batch = sampleBatch(5, { compression });
      expect(decodeRecordBatchSync(batch).header).toEqual(readRecordBatchHeader(batch));
      expect(compressionOf(readRecordBatchHeader(batch).attributes)).toBe(compression);
    }
  });

  it('attribute helpers agree with makeAttributes', () => {
    for (let bits = 0; bits < 64; bits++) {
      const compression = (bits & 7) % 5;
      const attributes = makeAttributes({
        compression,
        timestampType: bits & 8 ? TimestampType.LogAppendTime : TimestampType.CreateTime,
        isTransactional: (bits & 16) !== 0,
        isControl: (bits & 32) !== 0,
      });
      expect(compressionOf(attributes)).toBe(compression);
      expect(timestampTypeOf(attributes)).toBe(
        bits & 8 ? TimestampType.LogAppendTime : TimestampType.CreateTime,
      );
      expect(isTransactional(attributes)).toBe((bits & 16) !== 0);
      expect(isControl(attributes)).toBe((bits & 32) !== 0);
      expect(hasDeleteHorizon(attributes)).toBe(false);
    }
    expect(hasDeleteHorizon(0x40)).toBe(true);
    for (const id of [5, 6, 7]) expect(() => compressionOf(id)).toThrow(CorruptRecordBatchError);
  });
});

describe('recordBatchesIn', () => {
  it('walks a concatenation and stops at a partial tail, reporting where', () => {
    const batches = [sampleBatch(1), sampleBatch(4, { compression: CompressionCodec.Lz4 }), sampleBatch(2)];
    const all = Buffer.concat(batches);
    for (let cut = 0; cut <= all.length; cut++) {
      const slice = all.subarray(0, cut);
      const walk = recordBatchesIn(slice);
      const seen: number[] = [];
      let step = walk.next();
      while (!step.done) {
        seen.push(step.value.size);
        expect(step.value.header).toEqual(readRecordBatchHeader(slice, step.value.offset));
        step = walk.next();
      }
      let whole = 0;
      const expected: number[] = [];
      for (const b of batches) {
        if (whole + b.length > cut) break;
        whole += b.length;
        expected.push(b.length);
      }
      expect(seen).toEqual(expected);
      expect(step.value).toEqual({ validBytes: whole, partialTailBytes: cut - whole });
    }
  });

  it('throws on a complete but unreadable batch rather than skipping it', () => {
    const batch = sampleBatch(1);
    batch.writeInt8(0, 16);
    expect(() => [...recordBatchesIn(Buffer.concat([sampleBatch(1), batch]))]).toThrow(/magic 0/);
  });
});
