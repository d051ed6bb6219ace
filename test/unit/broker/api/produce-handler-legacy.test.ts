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

function produce(topic: string, records: Buffer | null, { acks = 1 } = {}): ProduceRequest {
  return { acks, timeoutMs: 5_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
}

async function partitionResponse(version: number, request: ProduceRequest) {
  const response = await callHandler(produceHandler, broker.services, version, request);
  return response!.responses[0]!.partitionResponses[0]!;
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
    expect(await partitionResponse(0, produce('legacy', v0))).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await partitionResponse(1, produce('legacy', v1))).toMatchObject({ errorCode: 0, baseOffset: 2n });
    expect(await partitionResponse(2, produce('legacy', v2))).toMatchObject({
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
    expect(await partitionResponse(2, produce('snappy-topic', set))).toMatchObject({ errorCode: 0 });
    const { records } = await partition!.log.read(0n, { maxBytes: 1 << 20 });
    expect(decodeRecordBatchesSync(records).map((b) => compressionOf(b.header.attributes))).toEqual([
      CompressionCodec.Snappy,
    ]);
  });

  it('refusals: corrupt 2, zstd 76, magic-2 batch 87; acks and leadership are checked first', async () => {
    const [partition] = await broker.addTopic('orders');
    broker.metadata.setTopic({
      name: 'elsewhere',
      assignment: [[2]],
      states: [{ leader: 2, leaderEpoch: 3, isr: [2], controllerEpoch: 1 }],
      config: {},
    });
    const corrupt = legacyMessageSet(1, [{ key: 'k', value: 'v', timestamp: 1n }]);
    corrupt[FIRST_MESSAGE_CRC_POSITION]! ^= 0xff;
    const zstd = compressedLegacyMessageSet(1, CompressionCodec.Zstd, [{ key: 'k', value: 'v' }]);
    const batch = encodeRecordBatchSync({ records: [{ key: null, value: Buffer.from('v') }] });
    const cases: Array<[ProduceRequest, number, number]> = [
      [produce('orders', corrupt), 0, ErrorCode.CORRUPT_MESSAGE],
      [produce('orders', corrupt), 2, ErrorCode.CORRUPT_MESSAGE],
      [produce('orders', Buffer.alloc(0)), 1, ErrorCode.CORRUPT_MESSAGE],
      [produce('orders', null), 1, ErrorCode.CORRUPT_MESSAGE],
      [produce('orders', zstd), 2, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE],
      [produce('orders', batch), 2, ErrorCode.INVALID_RECORD],
      [produce('orders', corrupt, { acks: 2 }), 1, ErrorCode.INVALID_REQUIRED_ACKS],
      [produce('elsewhere', corrupt), 1, ErrorCode.NOT_LEADER_OR_FOLLOWER],
      [produce('missing', corrupt), 1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ];
    for (const [request, version, errorCode] of cases) {
      expect(await partitionResponse(version, request)).toMatchObject({ errorCode, baseOffset: -1n });
    }
    expect(partition!.log.logEndOffset).toBe(0n);
  });

  it('acks=0 appends the up-converted batch and answers nothing', async () => {
    const [partition] = await broker.addTopic('quiet');
    const set = legacyMessageSet(0, [{ key: null, value: 'x' }]);
    expect(await callHandler(produceHandler, broker.services, 0, produce('quiet', set, { acks: 0 }))).toBe(
      null,
    );
    expect(partition!.log.logEndOffset).toBe(1n);
  });
});
