import { createRequire } from 'node:module';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CompressionCodec, DecompressionLimitError } from '../../../../protocol/compression.js';
import {
  kafkaJsCodecs,
  Lz4Codec,
  registerKafkaJsCodecs,
  SnappyCodec,
  ZstdCodec,
} from '../../../../protocol/kafkajs-codecs.js';
import {
  decodeRecordBatch,
  decodeRecordBatches,
  encodeRecordBatch,
  type RecordHeader,
} from '../../../../protocol/record-batch.js';
import { verifyRecordBatchCrc } from '../../../../protocol/record-batch-header.js';
import { comparable } from '../../../support/record-batch-arbitraries.js';
import { ALL_COMPRESSION_CODECS } from '../../../support/compression-codecs.js';

/*
 * kafkajs is a Kafka client we did not write. Its own record-batch encoder and decoder (the code its
 * producer and consumer run) must agree with ours for every codec; snappy, lz4 and zstd go through
 * our kafkajs codec plugins, registered the way an application would.
 */

const require = createRequire(import.meta.url);

interface KafkaJsLong {
  toString(): string;
}
type KafkaJsHeaders = Record<string, Buffer | null | Array<Buffer | null>>;
interface KafkaJsRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: KafkaJsHeaders;
}
interface KafkaJsBatch {
  firstOffset: string;
  partitionLeaderEpoch: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  inTransaction: boolean;
  records: KafkaJsRecord[];
}

const kafkajs = require('kafkajs') as {
  CompressionCodecs: Record<number, () => unknown>;
  CompressionTypes: Record<string, number>;
};
const Long = require('kafkajs/src/utils/long') as { fromValue(v: string | number): KafkaJsLong };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch(options: object): Promise<{ buffer: Buffer }>;
};
const KafkaJsRecordEncoder = require('kafkajs/src/protocol/recordBatch/record/v0') as (
  record: object,
) => object;
const decodeKafkaJsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: unknown,
) => Promise<KafkaJsBatch>;
const KafkaJsDecoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;
const decodeKafkaJsMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages') as (
  decoder: unknown,
) => Promise<KafkaJsRecord[]>;

const CODECS = ALL_COMPRESSION_CODECS;

beforeAll(() => {
  registerKafkaJsCodecs(kafkajs.CompressionCodecs);
});

/** kafkajs keeps headers as an object: one key, or an array for a repeated key, in first-seen order. */
function toKafkaJsHeaders(headers: RecordHeader[]): KafkaJsHeaders {
  const out: KafkaJsHeaders = {};
  for (const { key, value } of headers) {
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[key] = [existing, value];
  }
  return out;
}

function fromKafkaJsHeaders(headers: KafkaJsHeaders): RecordHeader[] {
  return Object.entries(headers).flatMap(([key, v]) =>
    (Array.isArray(v) ? v : [v]).map((value) => ({ key, value })),
  );
}

// Header keys that are not integer-like, so JavaScript object key order is insertion order.
const headerArb = fc.record({
  key: fc.constantFrom('h-a', 'h-b', 'trace-id', 'ünïcode', 'x'),
  value: fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)),
});
const interopRecordArb = fc.record({
  key: fc.option(
    fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)),
    { nil: null },
  ),
  value: fc.option(
    fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      fc.nat(100_000).map((n) => Buffer.alloc(n, n % 251)),
    ),
    { nil: null },
  ),
  headers: fc.array(headerArb, { maxLength: 3 }),
  timestampDelta: fc.integer({ min: 0, max: 100_000 }),
});
const batchArb = fc.record({
  records: fc.array(interopRecordArb, { minLength: 1, maxLength: 8 }),
  baseOffset: fc.bigInt({ min: 0n, max: 2n ** 53n }),
  baseTimestamp: fc.bigInt({ min: 1_500_000_000_000n, max: 1_900_000_000_000n }),
  producerId: fc.bigInt({ min: -1n, max: 2n ** 40n }),
  producerEpoch: fc.integer({ min: 0, max: 32767 }),
  baseSequence: fc.integer({ min: 0, max: 2 ** 30 }),
  transactional: fc.boolean(),
});

describe('kafkajs interop', () => {
  it('registers plugins in the shape kafkajs calls: factory -> { compress(encoder), decompress(buffer) }', async () => {
    expect(kafkajs.CompressionCodecs[kafkajs.CompressionTypes.Snappy!]).toBe(SnappyCodec);
    expect(kafkajs.CompressionCodecs[kafkajs.CompressionTypes.LZ4!]).toBe(Lz4Codec);
    expect(kafkajs.CompressionCodecs[kafkajs.CompressionTypes.ZSTD!]).toBe(ZstdCodec);
    const codec = ZstdCodec();
    const data = Buffer.from('kafkajs '.repeat(50));
    expect((await codec.decompress(await codec.compress({ buffer: data }))).equals(data)).toBe(true);
  });

  it('plugins built with kafkaJsCodecs({ maxOutputBytes }) refuse larger output', async () => {
    const limited = kafkaJsCodecs({ maxOutputBytes: 1000 });
    for (const factory of [limited.snappy, limited.lz4, limited.zstd]) {
      const codec = factory();
      const packed = await codec.compress({ buffer: Buffer.alloc(5000) });
      await expect(codec.decompress(packed)).rejects.toBeInstanceOf(DecompressionLimitError);
      const small = await codec.compress({ buffer: Buffer.alloc(1000, 1) });
      expect((await codec.decompress(small)).equals(Buffer.alloc(1000, 1))).toBe(true);
    }
  });

  for (const compression of CODECS) {
    it(`${CompressionCodec[compression]}: batches built by kafkajs decode with ours`, async () => {
      await fc.assert(
        fc.asyncProperty(batchArb, async (b) => {
          const timestamps = b.records.map((r) => b.baseTimestamp + BigInt(r.timestampDelta));
          const built = await RecordBatch({
            compression,
            firstOffset: Long.fromValue(b.baseOffset.toString()),
            firstTimestamp: Number(b.baseTimestamp),
            maxTimestamp: Number(timestamps.reduce((m, t) => (t > m ? t : m))),
            partitionLeaderEpoch: 3,
            lastOffsetDelta: b.records.length - 1,
            transactional: b.transactional,
            producerId: Long.fromValue(b.producerId.toString()),
            producerEpoch: b.producerEpoch,
            firstSequence: b.baseSequence,
            records: b.records.map((r, i) =>
              KafkaJsRecordEncoder({
                offsetDelta: i,
                timestampDelta: r.timestampDelta,
                key: r.key,
                value: r.value,
                headers: toKafkaJsHeaders(r.headers),
              }),
            ),
          });
          const buf = built.buffer;
          expect(verifyRecordBatchCrc(buf)).toBe(true);
          const { header, records } = await decodeRecordBatch(buf);
          expect(header).toMatchObject({
            baseOffset: b.baseOffset,
            partitionLeaderEpoch: 3,
            producerId: b.producerId,
            producerEpoch: b.producerEpoch,
            baseSequence: b.baseSequence,
            recordsCount: b.records.length,
            attributes: compression | (b.transactional ? 0x10 : 0),
          });
          expect(comparable(records)).toEqual(
            comparable(
              b.records.map((r, i) => ({
                offset: b.baseOffset + BigInt(i),
                timestamp: timestamps[i],
                key: r.key,
                value: r.value,
                headers: fromKafkaJsHeaders(toKafkaJsHeaders(r.headers)),
              })),
            ),
          );
        }),
        { numRuns: 25 },
      );
    });

    it(`${CompressionCodec[compression]}: batches built by us decode with kafkajs`, async () => {
      await fc.assert(
        fc.asyncProperty(batchArb, async (b) => {
          const timestamps = b.records.map((r) => b.baseTimestamp + BigInt(r.timestampDelta));
          const buf = await encodeRecordBatch({
            compression,
            baseOffset: b.baseOffset,
            partitionLeaderEpoch: 11,
            producerId: b.producerId,
            producerEpoch: b.producerEpoch,
            baseSequence: b.baseSequence,
            isTransactional: b.transactional,
            records: b.records.map((r, i) => ({ ...r, timestamp: timestamps[i]! })),
          });
          const theirs = await decodeKafkaJsBatch(new KafkaJsDecoder(buf));
          expect(theirs).toMatchObject({
            firstOffset: b.baseOffset.toString(),
            partitionLeaderEpoch: 11,
            producerId: b.producerId.toString(),
            producerEpoch: b.producerEpoch,
            firstSequence: b.baseSequence,
            inTransaction: b.transactional,
          });
          expect(
            comparable(
              theirs.records.map((r) => ({
                offset: r.offset,
                timestamp: r.timestamp,
                key: r.key,
                value: r.value,
                headers: fromKafkaJsHeaders(r.headers),
              })),
            ),
          ).toEqual(
            comparable(
              b.records.map((r, i) => ({
                offset: (b.baseOffset + BigInt(i)).toString(),
                timestamp: timestamps[i]!.toString(),
                key: r.key,
                value: r.value,
                headers: fromKafkaJsHeaders(toKafkaJsHeaders(r.headers)),
              })),
            ),
          );
        }),
        { numRuns: 25 },
      );
    });
  }

  it('null header values and a partial trailing batch: kafkajs fetch decoding and ours agree', async () => {
    const batches = await Promise.all(
      CODECS.map((compression, i) =>
        encodeRecordBatch({
          compression,
          baseOffset: BigInt(i * 10),
          records: [
            {
              key: Buffer.from(`k${i}`),
              value: Buffer.from(`v${i}`),
              headers: [{ key: 'n', value: null }],
              timestamp: 1n,
            },
            { key: null, value: Buffer.alloc(3000, i), timestamp: 2n },
          ],
        }),
      ),
    );
    const all = Buffer.concat(batches);
    const cut = all.subarray(0, all.length - 100); // the last batch is cut, as a fetch at max bytes would be
    const sized = Buffer.alloc(4 + cut.length);
    sized.writeInt32BE(cut.length);
    cut.copy(sized, 4);
    const theirs = await decodeKafkaJsMessages(new KafkaJsDecoder(sized));
    const ours = (await decodeRecordBatches(cut)).flatMap((d) => d.records);
    expect(ours.length).toBe(8);
    expect(theirs.map((r) => r.offset)).toEqual(ours.map((r) => r.offset.toString()));
    expect(comparable(theirs.map((r) => [r.key, r.value]))).toEqual(
      comparable(ours.map((r) => [r.key, r.value])),
    );
    expect(theirs[0]!.headers).toEqual({ n: null });
    expect(ours[0]!.headers).toEqual([{ key: 'n', value: null }]);
  });
});
