import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaConnection, parseAddress } from '../../client/kafka-connection.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/index.js';
import { encodeRecordBatchSync } from '../../protocol/record-batch.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import { createTopicVia, readPartition } from '../support/producer-test-support.js';

/**
 * The broker's producer state on the wire, across a crash: InitProducerId hands out ids from
 * ZooKeeper blocks; a resent batch is answered with its original offset (before and after a SIGKILL +
 * restart, i.e. rebuilt from the snapshot and the log), a gap gets OUT_OF_ORDER_SEQUENCE_NUMBER, an
 * older epoch INVALID_PRODUCER_EPOCH, and nothing is written twice.
 */
let broker: SingleBroker;
beforeAll(async () => {
  broker = await startSingleBroker({ sessionTimeoutMs: 4_000 });
  await createTopicVia(broker.bootstrap, 'state', 1);
});
afterAll(async () => {
  await broker?.close();
});

async function produce(producerId: bigint, producerEpoch: number, baseSequence: number, count: number) {
  const connection = await KafkaConnection.connect(parseAddress(broker.bootstrap));
  try {
    const records = encodeRecordBatchSync({
      records: Array.from({ length: count }, (_, i) => ({
        key: null,
        value: Buffer.from(`seq-${baseSequence + i}`),
      })),
      producerId,
      producerEpoch,
      baseSequence,
    });
    const response = await connection.request(ApiKey.Produce, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5_000,
      topicData: [{ name: 'state', partitionData: [{ index: 0, records }] }],
    });
    const answer = response.responses[0]!.partitionResponses[0]!;
    return { errorCode: answer.errorCode, baseOffset: answer.baseOffset };
  } finally {
    connection.close();
  }
}

async function initProducerId(
  version: number,
): Promise<{ producerId: bigint; producerEpoch: number; errorCode: number }> {
  const connection = await KafkaConnection.connect(parseAddress(broker.bootstrap));
  try {
    return await connection.request(
      ApiKey.InitProducerId,
      { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 },
      { version },
    );
  } finally {
    connection.close();
  }
}

describe('idempotent producer state on the broker', () => {
  it('InitProducerId v0-v4 hands out distinct ids at epoch 0', async () => {
    const answers = [];
    for (let version = 0; version <= 4; version++) answers.push(await initProducerId(version));
    expect(answers.every((a) => a.errorCode === 0 && a.producerEpoch === 0 && a.producerId >= 0n)).toBe(true);
    expect(new Set(answers.map((a) => a.producerId)).size).toBe(5);
  });

  it('answers resends with the original offsets across a crash, rejects gaps and old epochs', async () => {
    const { producerId } = await initProducerId(4);
    expect(await produce(producerId, 0, 0, 3)).toEqual({ errorCode: 0, baseOffset: 0n });
    expect(await produce(producerId, 0, 3, 2)).toEqual({ errorCode: 0, baseOffset: 3n });
    expect(await produce(producerId, 0, 3, 2)).toEqual({ errorCode: 0, baseOffset: 3n });
    expect((await produce(producerId, 0, 7, 1)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);

    await broker.stopBroker('SIGKILL');
    await broker.restartBroker();

    expect(await produce(producerId, 0, 3, 2)).toEqual({ errorCode: 0, baseOffset: 3n });
    expect(await produce(producerId, 0, 0, 3)).toEqual({ errorCode: 0, baseOffset: 0n });
    expect((await produce(producerId, 0, 9, 1)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await produce(producerId, 0, 5, 1)).toEqual({ errorCode: 0, baseOffset: 5n });
    // A newer epoch starts at sequence 0 and fences the old one.
    expect(await produce(producerId, 1, 0, 1)).toEqual({ errorCode: 0, baseOffset: 6n });
    expect((await produce(producerId, 0, 6, 1)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);

    const stored = await readPartition(broker.bootstrap, 'state', 0);
    expect(stored.map((r) => r.value!.toString())).toEqual([
      'seq-0',
      'seq-1',
      'seq-2',
      'seq-3',
      'seq-4',
      'seq-5',
      'seq-0',
    ]);
  });
});
