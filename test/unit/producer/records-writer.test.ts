import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferMemory } from '../../../producer/buffer-memory.js';
import { RecordsWriter } from '../../../producer/records-writer.js';
import { CompressionCodec } from '../../../protocol/compression.js';
import { validateRecordBatch } from '../../../protocol/record-batch-header.js';
import { decodeRecordBatchSync } from '../../../protocol/record-batch.js';
import { ALL_COMPRESSION_CODECS } from '../../support/compression-codecs.js';

const bytes = fc.option(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  { nil: null },
);
const header = fc.record({ key: fc.string({ maxLength: 20 }), value: bytes });
const record = fc.record({
  key: bytes,
  value: bytes,
  headers: fc.array(header, { maxLength: 3 }),
  delta: fc.integer({ min: 0, max: 10_000_000 }),
});

describe('RecordsWriter', () => {
  it.each(ALL_COMPRESSION_CODECS)(
    'encodes batches the protocol decoder reads back exactly (codec %i)',
    (codec) => {
      fc.assert(
        fc.property(
          fc.array(record, { minLength: 1, maxLength: 40 }),
          fc.bigInt({ min: 0n, max: 2n ** 40n }),
          (records, producerId) => {
            const base = 1_700_000_000_000;
            const writer = new RecordsWriter(base, 16);
            for (const r of records) writer.append(r.key, r.value, r.headers, base + r.delta);
            const batch = writer.assembleSync({ producerId, producerEpoch: 3, baseSequence: 42 }, codec);
            const header = validateRecordBatch(batch); // CRC and lengths
            expect(header).toMatchObject({
              producerId,
              producerEpoch: 3,
              baseSequence: 42,
              recordsCount: records.length,
              lastOffsetDelta: records.length - 1,
            });
            expect(header.maxTimestamp).toBe(BigInt(base + Math.max(0, ...records.map((r) => r.delta))));
            const decoded = decodeRecordBatchSync(batch);
            expect(
              decoded.records.map((r) => ({
                key: r.key,
                value: r.value,
                headers: r.headers,
                timestamp: r.timestamp,
              })),
            ).toEqual(
              records.map((r) => ({
                key: r.key,
                value: r.value,
                headers: r.headers,
                timestamp: BigInt(base + r.delta),
              })),
            );
          },
        ),
        { numRuns: codec === CompressionCodec.None ? 300 : 60 },
      );
    },
  );

  it('assembles the same bytes asynchronously', async () => {
    const writer = new RecordsWriter(1000, 8);
    for (let i = 0; i < 100; i++)
      writer.append(Buffer.from(`k${i}`), Buffer.alloc(50, i), undefined, 1000 + i);
    const identity = { producerId: 9n, producerEpoch: 0, baseSequence: 0 };
    for (const codec of [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Zstd]) {
      const asyncBatch = await writer.assemble(identity, codec);
      expect(decodeRecordBatchSync(asyncBatch).records).toHaveLength(100);
    }
  });
});

describe('BufferMemory', () => {
  it('admits up to the limit, queues the rest in order, and always admits into an empty buffer', async () => {
    const memory = new BufferMemory(100);
    expect(memory.tryReserve(60)).toBe(true);
    expect(memory.tryReserve(50)).toBe(false);
    const order: string[] = [];
    const a = memory.reserve(50).then(() => order.push('a'));
    const b = memory.reserve(10).then(() => order.push('b'));
    expect(memory.hasRoom).toBe(false);
    expect(memory.tryReserve(1)).toBe(false); // nobody jumps the queue
    memory.release(60);
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
    expect(memory.usedBytes).toBe(60);
    memory.release(60);
    expect(memory.tryReserve(500)).toBe(true); // larger than the limit, but the buffer was empty
  });
});
