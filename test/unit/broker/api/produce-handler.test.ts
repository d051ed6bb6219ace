import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { produceHandler } from '../../../../broker/api/produce.js';
import { CompressionCodec } from '../../../../protocol/compression-codec.js';
import { ErrorCode } from '../../../../protocol/errors.js';
import type { ProduceRequest } from '../../../../protocol/index.js';
import { decodeRecordBatchesSync, encodeRecordBatchSync } from '../../../../protocol/record-batch.js';
import { waitFor } from '../../../support/wait.js';
import { callHandler, startInMemoryBroker, type InMemoryBroker } from '../../../support/in-memory-broker.js';

let broker: InMemoryBroker;
beforeEach(async () => {
  broker = await startInMemoryBroker();
});
afterEach(async () => {
  await broker.close();
});

function batch(values: string[], options: { producerId?: bigint; baseSequence?: number } = {}): Buffer {
  return encodeRecordBatchSync({
    records: values.map((v) => ({ key: null, value: Buffer.from(v) })),
    producerId: options.producerId,
    producerEpoch: options.producerId === undefined ? undefined : 0,
    baseSequence: options.baseSequence,
  });
}

function produce(
  topic: string,
  records: Buffer | null,
  { acks = 1, partition = 0, timeoutMs = 5_000 } = {},
): ProduceRequest {
  return {
    transactionalId: null,
    acks,
    timeoutMs,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  };
}

async function partitionResponse(version: number, request: ProduceRequest) {
  const response = await callHandler(produceHandler, broker.services, version, request);
  return response!.responses[0]!.partitionResponses[0]!;
}

describe('Produce handler over in-memory services', () => {
  it('appends as leader: offsets from the log end, the records readable from the log', async () => {
    const [partition] = await broker.addTopic('orders');
    expect(await partitionResponse(8, produce('orders', batch(['a', 'b'])))).toMatchObject({
      index: 0,
      errorCode: 0,
      baseOffset: 0n,
      logStartOffset: 0n,
      recordErrors: [],
      errorMessage: null,
    });
    expect(await partitionResponse(8, produce('orders', batch(['c'])))).toMatchObject({ baseOffset: 2n });
    const { records } = await partition!.log.read(0n, { maxBytes: 1 << 20 });
    const values = decodeRecordBatchesSync(records).flatMap((b) => b.records.map((r) => String(r.value)));
    expect(values).toEqual(['a', 'b', 'c']);
  });

  it('acks=0 appends and answers nothing', async () => {
    const [partition] = await broker.addTopic('quiet');
    expect(
      await callHandler(produceHandler, broker.services, 8, produce('quiet', batch(['x']), { acks: 0 })),
    ).toBe(null);
    expect(partition!.log.logEndOffset).toBe(1n);
  });

  it('answers each refusal with its error code and appends nothing', async () => {
    const [partition] = await broker.addTopic('orders');
    broker.addTopicLedElsewhere('elsewhere');
    broker.metadata.setTopic({ name: 'electing', assignment: [[2]], states: [null], config: {} });
    const zstd = encodeRecordBatchSync({
      records: [{ key: null, value: Buffer.from('z') }],
      compression: CompressionCodec.Zstd,
    });
    const corrupt = batch(['a']);
    corrupt[corrupt.length - 1] ^= 0xff; // the CRC no longer matches
    const cases: Array<[ProduceRequest, number, number]> = [
      [produce('orders', batch(['a']), { acks: 2 }), 8, ErrorCode.INVALID_REQUIRED_ACKS],
      [produce('missing', batch(['a'])), 8, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [produce('orders', batch(['a']), { partition: 1 }), 8, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [produce('elsewhere', batch(['a'])), 8, ErrorCode.NOT_LEADER_OR_FOLLOWER],
      [produce('electing', batch(['a'])), 8, ErrorCode.LEADER_NOT_AVAILABLE],
      [produce('orders', null), 8, ErrorCode.CORRUPT_MESSAGE],
      [produce('orders', zstd), 6, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE],
      [produce('orders', corrupt), 8, ErrorCode.CORRUPT_MESSAGE],
    ];
    for (const [request, version, errorCode] of cases) {
      expect(await partitionResponse(version, request)).toMatchObject({ errorCode, baseOffset: -1n });
    }
    expect(partition!.log.logEndOffset).toBe(0n);
    // The same zstd batch is fine from v7.
    expect(await partitionResponse(7, produce('orders', zstd))).toMatchObject({ errorCode: 0 });
  });

  it('acks=all: signals the append before the ISR has it, answers once the follower has fetched past it', async () => {
    const [partition] = await broker.addTopic('replicated', { isr: [1, 2] });
    let appendedAt: bigint | null = null;
    const answer = callHandler(
      produceHandler,
      broker.services,
      8,
      produce('replicated', batch(['a', 'b']), { acks: -1 }),
      {
        appended: () => (appendedAt = partition!.log.logEndOffset),
      },
    );
    let answered = false;
    void answer.then(() => (answered = true));
    await waitFor(() => appendedAt !== null, { what: 'the appended signal' });
    expect(appendedAt).toBe(2n);
    expect(partition!.highWatermark).toBe(0n);
    expect(answered).toBe(false);
    partition!.recordFollowerEndOffset(2, 2n);
    const response = await answer;
    expect(response!.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
  });

  it('acks=all: NOT_ENOUGH_REPLICAS when the ISR is below min.insync.replicas, before appending', async () => {
    const [partition] = await broker.addTopic('strict', { isr: [1], config: { 'min.insync.replicas': '2' } });
    expect(await partitionResponse(8, produce('strict', batch(['a']), { acks: -1 }))).toMatchObject({
      errorCode: ErrorCode.NOT_ENOUGH_REPLICAS,
    });
    expect(partition!.log.logEndOffset).toBe(0n);
    // acks=1 does not ask for the ISR.
    expect(await partitionResponse(8, produce('strict', batch(['a']), { acks: 1 }))).toMatchObject({
      errorCode: 0,
    });
  });

  it('acks=all: REQUEST_TIMED_OUT when the follower does not catch up in time', async () => {
    await broker.addTopic('slow', { isr: [1, 2] });
    expect(
      await partitionResponse(8, produce('slow', batch(['a']), { acks: -1, timeoutMs: 50 })),
    ).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT });
  });

  it('idempotent producers: a resent batch gets its original offsets, a gap is refused', async () => {
    const [partition] = await broker.addTopic('exactly-once');
    const first = batch(['a', 'b'], { producerId: 7n, baseSequence: 0 });
    expect(await partitionResponse(8, produce('exactly-once', first))).toMatchObject({
      errorCode: 0,
      baseOffset: 0n,
    });
    expect(await partitionResponse(8, produce('exactly-once', Buffer.from(first)))).toMatchObject({
      errorCode: 0,
      baseOffset: 0n,
    });
    expect(partition!.log.logEndOffset).toBe(2n);
    expect(
      await partitionResponse(8, produce('exactly-once', batch(['c'], { producerId: 7n, baseSequence: 5 }))),
    ).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
  });
});
