import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompressionCodec } from '../../../../protocol/compression.js';
import { Reader } from '../../../../protocol/primitives/reader.js';
import { encodeRecordBatchSync } from '../../../../protocol/record-batch.js';
import {
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchField,
} from '../../../../protocol/record-batch-header.js';
import {
  InvalidRecordsError,
  validateBatchRecords,
  type RecordWalkOptions,
} from '../../../../protocol/record-batch-validation.js';
import { ALL_COMPRESSION_CODECS } from '../../../support/compression-codecs.js';
import {
  bombBatch,
  lastOffsetDeltaBatch,
  lyingRecordLengthBatch,
  recordsCountBatch,
  withFreshCrc,
} from '../../../support/hostile-batches.js';
import { recordsArb } from '../../../support/record-batch-arbitraries.js';

const UNBOUNDED: RecordWalkOptions = { maxDecompressedBytes: 1024 * 1024 * 1024 };

function refusal(batch: Buffer, options: RecordWalkOptions = UNBOUNDED): InvalidRecordsError {
  try {
    validateBatchRecords(batch, 0, options);
  } catch (error) {
    if (error instanceof InvalidRecordsError) return error;
    throw error;
  }
  throw new Error('batch was accepted');
}

/** Byte positions of each record's length varint in an uncompressed batch. */
function recordStarts(batch: Buffer): number[] {
  const reader = new Reader(batch.subarray(RECORD_BATCH_HEADER_SIZE));
  const starts: number[] = [];
  while (reader.remaining > 0) {
    starts.push(RECORD_BATCH_HEADER_SIZE + reader.offset);
    const length = reader.readVarint('length');
    reader.readRaw(length, 'record');
  }
  return starts;
}

/** n small records with equal timestamps: every varint before the key is one byte. */
function smallBatch(n: number, timestamp = 1_700_000_000_000n): Buffer {
  return encodeRecordBatchSync({
    records: Array.from({ length: n }, (_, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`value-${i}`),
      headers: [{ key: 'h', value: Buffer.from('v') }],
      timestamp,
    })),
  });
}

const smallLz4 = (): Buffer =>
  encodeRecordBatchSync({
    records: [{ key: null, value: Buffer.from('small') }],
    compression: CompressionCodec.Lz4,
  });

describe('validateBatchRecords', () => {
  it('accepts every batch the encoder writes, in every codec', () => {
    fc.assert(
      fc.property(recordsArb, fc.constantFrom(...ALL_COMPRESSION_CODECS), (records, codec) => {
        const batch = encodeRecordBatchSync({ records, compression: codec });
        expect(() => validateBatchRecords(batch, 0, UNBOUNDED)).not.toThrow();
      }),
      { numRuns: 60 },
    );
  });

  it('walks a batch in place at any offset of a larger buffer', () => {
    const batch = smallBatch(3);
    const buf = Buffer.concat([Buffer.alloc(17, 0xff), batch, Buffer.alloc(5, 0xff)]);
    expect(() => validateBatchRecords(buf, 17, UNBOUNDED)).not.toThrow();
  });

  it('names the record whose length varint lies (87, with its index)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }).chain((n) => fc.tuple(fc.constant(n), fc.nat(n - 1))),
        fc.integer({ min: 1, max: 40 }),
        ([n, victim], extra) => {
          const batch = smallBatch(n);
          const at = recordStarts(batch)[victim]!;
          const length = batch[at]! >> 1;
          // Keep a one-byte varint so the rest of the batch does not move.
          fc.pre(length + extra < 64);
          batch[at] = (length + extra) << 1;
          const error = refusal(withFreshCrc(batch));
          expect(error.code).toBe(87);
          expect(error.recordIndex).toBe(victim);
          expect(error.message).toContain(`record ${victim}`);
        },
      ),
    );
  });

  it('names the record whose offsetDelta is not its index', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }).chain((n) => fc.tuple(fc.constant(n), fc.nat(n - 1))),
        fc.integer({ min: 0, max: 30 }),
        ([n, victim], wrong) => {
          fc.pre(wrong !== victim);
          const batch = smallBatch(n);
          // length varint (1 byte), attributes, timestampDelta 0 (1 byte), then offsetDelta.
          batch[recordStarts(batch)[victim]! + 3] = wrong << 1;
          const error = refusal(withFreshCrc(batch));
          expect(error.code).toBe(87);
          expect(error.recordIndex).toBe(victim);
        },
      ),
    );
  });

  it('refuses a recordsCount that is not the offset range (recordCount 1000 for one record)', () => {
    const error = refusal(recordsCountBatch(1000));
    expect(error.code).toBe(87);
    expect(error.recordIndex).toBeNull();
    expect(error.message).toMatch(/count 1000/);
  });

  it('refuses lastOffsetDelta 2^31-1 on a one-record batch', () => {
    const error = refusal(lastOffsetDeltaBatch(2 ** 31 - 1));
    expect(error.code).toBe(87);
    expect(error.message).toMatch(/2147483647/);
  });

  it('refuses an empty batch and a negative offset range', () => {
    const empty = encodeRecordBatchSync({ records: [] });
    expect(refusal(empty).code).toBe(87);
    expect(refusal(lastOffsetDeltaBatch(-5)).code).toBe(87);
  });

  it('finds the missing record when count and offset range both claim one more', () => {
    const batch = smallBatch(4);
    batch.writeInt32BE(5, RecordBatchField.recordsCount);
    batch.writeInt32BE(4, RecordBatchField.lastOffsetDelta);
    const error = refusal(withFreshCrc(batch));
    expect(error.code).toBe(87);
    expect(error.recordIndex).toBe(4);
  });

  it('refuses bytes left over after the declared records', () => {
    const batch = smallBatch(2);
    const longer = Buffer.concat([batch, Buffer.from([0])]);
    longer.writeInt32BE(longer.length - LOG_OVERHEAD, RecordBatchField.batchLength);
    const error = refusal(withFreshCrc(longer));
    expect(error.code).toBe(87);
    expect(error.recordIndex).toBeNull();
  });

  it('refuses a header count or key length that runs past its record', () => {
    const batch = smallBatch(3);
    const at = recordStarts(batch)[1]!;
    // length, attributes, timestampDelta, offsetDelta, key length 2 ("k1"): claim 50 bytes of key.
    batch[at + 4] = 50 << 1;
    const error = refusal(withFreshCrc(batch));
    expect([error.code, error.recordIndex]).toEqual([87, 1]);
    expect(refusal(lyingRecordLengthBatch()).recordIndex).toBe(0);
  });

  it('refuses an over-long varint', () => {
    const batch = smallBatch(1);
    const at = recordStarts(batch)[0]!;
    // offsetDelta becomes a 6-byte varint (continuation bits on), overrunning the 5-byte limit.
    batch.fill(0x80, at + 3, at + 9);
    expect(refusal(withFreshCrc(batch)).code).toBe(87);
  });

  it('checks CreateTime timestamps against the range and names the record (32)', () => {
    const now = 1_700_000_000_000;
    const batch = encodeRecordBatchSync({
      records: [
        { key: null, value: Buffer.from('a'), timestamp: BigInt(now) },
        { key: null, value: Buffer.from('b'), timestamp: BigInt(now - 10_000) },
        { key: null, value: Buffer.from('c'), timestamp: -1n },
      ],
    });
    const error = refusal(batch, { ...UNBOUNDED, timestampRange: { min: now - 5_000, max: now + 5_000 } });
    expect([error.code, error.recordIndex]).toEqual([32, 1]);
    expect(() =>
      validateBatchRecords(batch, 0, { ...UNBOUNDED, timestampRange: { min: now - 20_000, max: now } }),
    ).not.toThrow();
  });

  it.each(ALL_COMPRESSION_CODECS.filter((c) => c !== CompressionCodec.None))(
    'refuses a %s batch inflating past the bound (87), accepts it under the bound',
    (codec) => {
      const batch = bombBatch(codec, 4 * 1024 * 1024);
      expect(batch.length).toBeLessThan(1024 * 1024);
      const error = refusal(batch, { maxDecompressedBytes: 1024 * 1024 });
      expect(error.code).toBe(87);
      expect(error.message).toMatch(/exceed/);
      expect(() => validateBatchRecords(batch, 0, { maxDecompressedBytes: 8 * 1024 * 1024 })).not.toThrow();
    },
  );

  it('keeps the bound when the lz4 decoder reuses a larger scratch buffer from an earlier batch', () => {
    const bomb = bombBatch(CompressionCodec.Lz4, 4 * 1024 * 1024);
    expect(() => validateBatchRecords(bomb, 0, { maxDecompressedBytes: 8 * 1024 * 1024 })).not.toThrow();
    expect(() => validateBatchRecords(bomb, 0, { maxDecompressedBytes: 8 * 1024 * 1024 })).not.toThrow();
    expect(refusal(bomb, { maxDecompressedBytes: 1024 * 1024 }).code).toBe(87);
    expect(() => validateBatchRecords(smallLz4(), 0, UNBOUNDED)).not.toThrow();
  });

  it('answers 2 for compressed data that does not decode', () => {
    const batch = encodeRecordBatchSync({
      records: [{ key: null, value: Buffer.alloc(1000, 7) }],
      compression: CompressionCodec.Zstd,
    });
    batch.fill(0x55, RECORD_BATCH_HEADER_SIZE + 4);
    expect(refusal(withFreshCrc(batch)).code).toBe(2);
  });
});
