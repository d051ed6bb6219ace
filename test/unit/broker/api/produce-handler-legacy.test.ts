import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { produceHandler } from '../../../../broker/api/produce.js';
import { CompressionCodec } from '../../../../protocol/compression-codec.js';
import { ErrorCode } from '../../../../protocol/errors.js';
import type { ProduceRequest } from '../../../../protocol/index.js';
import { decodeRecordBatchesSync, encodeRecordBatchSync } from '../../../../protocol/record-batch.js';
import { compressionOf } from '../../../../protocol/record-batch-header.js';
import { callHandler, startInMemoryBroker, type InMemoryBroker } from '../../../support/in-memory-broker.js';
import {
  compressedLegacyMessageSet,
  FIRST_MESSAGE_CRC_POSITION,
  legacyMessageSet,
} from '../../../support/legacy-message-set.js';

/** Produce v0-2 (legacy message sets) through the handler, over in-memory services. */

let broker: InMemoryBroker;
beforeEach(async () => {
  broker = await startInMemoryBroker();
});
afterEach(async () => {
  await broker.close();
});

/** Partition 0's answer to a Produce of `records` at `version` (undefined when nothing is answered). */
async function produceAt(version: number, topic: string, records: Buffer | null, acks = 1) {
  const request: ProduceRequest = {
    acks,
    timeoutMs: 5_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  };
  return (await callHandler(produceHandler, broker.services, version, request))?.responses[0]
    ?.partitionResponses[0];
}

describe('Produce v0-2: legacy message sets are up-converted and appended', () => {
  it('v0 plain, v1 gzip, v2 lz4: one magic-2 batch each, in the codec sent, offsets from the log end', async () => {
    const [partition] = await broker.addTopic('legacy');
    const v0 = legacyMessageSet(0, [
      { key: 'a', value: 'A' },
      { key: 'b', value: 'B' },
    ]);
    const v1 = compressedLegacyMessageSet(1, CompressionCodec.Gzip, [
      { key: 'c', value: 'C', timestamp: 1_700_000_000_000n },
    ]);
    const v2 = compressedLegacyMessageSet(1, CompressionCodec.Lz4, [
      { key: 'd', value: 'D', timestamp: 1_700_000_000_001n },
      { key: null, value: 'E', timestamp: 1_700_000_000_002n },
    ]);
    expect(await produceAt(0, 'legacy', v0)).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await produceAt(1, 'legacy', v1)).toMatchObject({ errorCode: 0, baseOffset: 2n });
    expect(await produceAt(2, 'legacy', v2)).toMatchObject({
      errorCode: 0,
      baseOffset: 3n,
      logAppendTimeMs: -1n,
    });
    const { records } = await partition!.log.read(0n, { maxBytes: 1 << 20 });
    const batches = decodeRecordBatchesSync(records);
    expect(
      batches.map((b) => ({
        codec: compressionOf(b.header.attributes),
        baseOffset: b.header.baseOffset,
        producerId: b.header.producerId,
        records: b.records.map((r) => [
          r.offset,
          r.key?.toString() ?? null,
          r.value?.toString(),
          r.timestamp,
        ]),
      })),
    ).toEqual([
      {
        codec: CompressionCodec.None,
        baseOffset: 0n,
        producerId: -1n,
        records: [
          [0n, 'a', 'A', -1n],
          [1n, 'b', 'B', -1n],
        ],
      },
      {
        codec: CompressionCodec.Gzip,
        baseOffset: 2n,
        producerId: -1n,
        records: [[2n, 'c', 'C', 1_700_000_000_000n]],
      },
      {
        codec: CompressionCodec.Lz4,
        baseOffset: 3n,
        producerId: -1n,
        records: [
          [3n, 'd', 'D', 1_700_000_000_001n],
          [4n, null, 'E', 1_700_000_000_002n],
        ],
      },
    ]);
  });

  it("the topic's compression.type still applies to up-converted batches", async () => {
    const [partition] = await broker.addTopic('snappy-topic', { config: { 'compression.type': 'snappy' } });
    const set = compressedLegacyMessageSet(1, CompressionCodec.Gzip, [
      { key: 'k', value: 'v', timestamp: 5n },
    ]);
    expect(await produceAt(2, 'snappy-topic', set)).toMatchObject({ errorCode: 0 });
    const { records } = await partition!.log.read(0n, { maxBytes: 1 << 20 });
    expect(decodeRecordBatchesSync(records).map((b) => compressionOf(b.header.attributes))).toEqual([
      CompressionCodec.Snappy,
    ]);
  });

  it('refusals: corrupt 2, zstd 76, magic-2 batch 87; acks and leadership are checked first', async () => {
    const [partition] = await broker.addTopic('orders');
    broker.addTopicLedElsewhere('elsewhere');
    const corrupt = legacyMessageSet(1, [{ key: 'k', value: 'v', timestamp: 1n }]);
    corrupt[FIRST_MESSAGE_CRC_POSITION]! ^= 0xff;
    const zstd = compressedLegacyMessageSet(1, CompressionCodec.Zstd, [{ key: 'k', value: 'v' }]);
    const batch = encodeRecordBatchSync({ records: [{ key: null, value: Buffer.from('v') }] });
    const cases: Array<[number, string, Buffer | null, number, number]> = [
      [0, 'orders', corrupt, 1, ErrorCode.CORRUPT_MESSAGE],
      [2, 'orders', corrupt, 1, ErrorCode.CORRUPT_MESSAGE],
      [1, 'orders', Buffer.alloc(0), 1, ErrorCode.CORRUPT_MESSAGE],
      [1, 'orders', null, 1, ErrorCode.CORRUPT_MESSAGE],
      [2, 'orders', zstd, 1, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE],
      [2, 'orders', batch, 1, ErrorCode.INVALID_RECORD],
      [1, 'orders', corrupt, 2, ErrorCode.INVALID_REQUIRED_ACKS],
      [1, 'elsewhere', corrupt, 1, ErrorCode.NOT_LEADER_OR_FOLLOWER],
      [1, 'missing', corrupt, 1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ];
    for (const [version, topic, records, acks, errorCode] of cases) {
      expect(await produceAt(version, topic, records, acks)).toMatchObject({ errorCode, baseOffset: -1n });
    }
    expect(partition!.log.logEndOffset).toBe(0n);
  });

  it('acks=0 appends the up-converted batch and answers nothing', async () => {
    const [partition] = await broker.addTopic('quiet');
    const set = legacyMessageSet(0, [{ key: null, value: 'x' }]);
    expect(await produceAt(0, 'quiet', set, 0)).toBeUndefined();
    expect(partition!.log.logEndOffset).toBe(1n);
  });
});
