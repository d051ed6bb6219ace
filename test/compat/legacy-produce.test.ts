import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdmin } from '../../client/admin.js';
import type { KafkaConnection } from '../../client/kafka-connection.js';
import { CompressionCodec } from '../../protocol/compression-codec.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/index.js';
import { storedBatches } from '../support/fetch-partition.js';
import {
  compressedLegacyMessageSet,
  FIRST_MESSAGE_CRC_POSITION,
  legacyMessageSet,
} from '../support/legacy-message-set.js';
import { runToEnd } from '../support/processes.js';
import {
  startBrokerWithClients,
  type BrokerWithClients,
  type SingleBroker,
} from '../support/single-broker.js';
import { createTopicWithLeaders } from '../support/topic-with-leader.js';

/**
 * Produce v0-2 (legacy message sets, magic 0 and 1) against a real `sluice broker` process: raw
 * requests in each version, plain and compressed, read back by kcat with their keys, values,
 * timestamps and offsets; a corrupt message refused with 2. And librdkafka 2.0.2 (confluent-kafka-python),
 * which enables snappy only when the broker's Produce range starts at v0, stores real snappy batches.
 */

let broker: SingleBroker;
let admin: KafkaAdmin;
let connection: KafkaConnection;

async function produce(version: number, topic: string, records: Buffer) {
  const response = await connection.request(
    ApiKey.Produce,
    { acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] },
    { version },
  );
  return response!.responses[0]!.partitionResponses[0]!;
}

/** Codec, producer id and record count of every stored batch of partition 0. */
async function storedBatchSummaries(topic: string) {
  return (await storedBatches(connection, topic)).map((b) => ({
    codec: b.codec,
    producerId: b.producerId,
    count: b.values.length,
  }));
}

let clients: BrokerWithClients | undefined;

beforeAll(async () => {
  clients = await startBrokerWithClients();
  ({ broker, admin, connection } = clients);
});

afterAll(() => clients?.close());

const long = (name: string) => `${name}-${name.repeat(60)}`;

describe('Produce v0-2 with legacy message sets', () => {
  it('v0, v1 and v2 requests, plain and gzip/snappy/lz4 wrapped: kcat reads keys, values, timestamps, offsets', async () => {
    const topic = 'legacy-produce';
    await createTopicWithLeaders(admin, { name: topic, numPartitions: 1 });
    const t = 1_700_000_000_000n;
    const steps: Array<[number, Buffer]> = [
      [
        0,
        legacyMessageSet(0, [
          { key: 'k0', value: 'plain-v0-a' },
          { key: null, value: 'plain-v0-b' },
        ]),
      ],
      [0, compressedLegacyMessageSet(0, CompressionCodec.Gzip, [{ key: 'k2', value: long('gzip-v0') }])],
      [1, legacyMessageSet(0, [{ key: 'k3', value: 'plain-v1' }])],
      [1, compressedLegacyMessageSet(0, CompressionCodec.Gzip, [{ key: 'k4', value: long('gzip-v1') }])],
      [1, compressedLegacyMessageSet(0, CompressionCodec.Lz4, [{ key: 'k5', value: long('lz4-v1') }])],
      [2, legacyMessageSet(1, [{ key: 'k6', value: 'plain-v2', timestamp: t + 6n }])],
      [
        2,
        compressedLegacyMessageSet(1, CompressionCodec.Snappy, [
          { key: 'k7', value: long('snappy-v2'), timestamp: t + 7n },
          { key: 'k8', value: long('snappy-v2b'), timestamp: t + 8n },
        ]),
      ],
    ];
    const baseOffsets: bigint[] = [];
    for (const [version, records] of steps) {
      const answer = await produce(version, topic, records);
      expect(answer.errorCode).toBe(0);
      baseOffsets.push(answer.baseOffset);
    }
    expect(baseOffsets).toEqual([0n, 2n, 3n, 4n, 5n, 6n, 7n]);

    expect(await storedBatchSummaries(topic)).toEqual(
      [
        [CompressionCodec.None, 2],
        [CompressionCodec.Gzip, 1],
        [CompressionCodec.None, 1],
        [CompressionCodec.Gzip, 1],
        [CompressionCodec.Lz4, 1],
        [CompressionCodec.None, 1],
        [CompressionCodec.Snappy, 2],
      ].map(([codec, count]) => ({ codec, producerId: -1n, count })),
    );

    const args = ['-C', '-b', broker.bootstrap, '-t', topic, '-e', '-q', '-f', '%o|%k|%s|%T\n'];
    const consumed = await runToEnd('kcat', args);
    expect(consumed.stdout.trim().split('\n')).toEqual([
      '0|k0|plain-v0-a|-1',
      '1||plain-v0-b|-1',
      `2|k2|${long('gzip-v0')}|-1`,
      '3|k3|plain-v1|-1',
      `4|k4|${long('gzip-v1')}|-1`,
      `5|k5|${long('lz4-v1')}|-1`,
      `6|k6|plain-v2|${t + 6n}`,
      `7|k7|${long('snappy-v2')}|${t + 7n}`,
      `8|k8|${long('snappy-v2b')}|${t + 8n}`,
    ]);
  });

  it('a message with a wrong CRC is refused with 2 CORRUPT_MESSAGE in v0, v1 and v2, nothing appended', async () => {
    const topic = 'legacy-corrupt';
    await createTopicWithLeaders(admin, { name: topic, numPartitions: 1 });
    for (const version of [0, 1, 2]) {
      const records = legacyMessageSet(version === 2 ? 1 : 0, [{ key: 'k', value: 'v', timestamp: 1n }]);
      records[FIRST_MESSAGE_CRC_POSITION + 2]! ^= 0x10;
      expect(await produce(version, topic, records)).toMatchObject({
        errorCode: ErrorCode.CORRUPT_MESSAGE,
        baseOffset: -1n,
      });
    }
    expect(await storedBatchSummaries(topic)).toEqual([]);
    // The connection and partition stay usable.
    expect(await produce(0, topic, legacyMessageSet(0, [{ key: 'k', value: 'v' }]))).toMatchObject({
      errorCode: 0,
      baseOffset: 0n,
    });
  });
});

const CONFLUENT_PRODUCE = `
import sys
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'compression.type': sys.argv[3], 'linger.ms': 50})
errors = []
for i in range(500):
    p.produce(sys.argv[2], key=b'k%d' % i, value=(b'value-%d-' % i) * 20, partition=0,
              on_delivery=lambda err, msg: err and errors.append(str(err)))
left = p.flush(30)
print('left=%d errors=%s' % (left, errors))
`;

describe('confluent-kafka-python (librdkafka 2.0.2) compression', () => {
  it('compression.type=snappy stores snappy batches', async () => {
    const topic = 'confluent-snappy';
    await createTopicWithLeaders(admin, { name: topic, numPartitions: 1 });
    const { stdout } = await runToEnd(
      '/usr/bin/python3',
      ['-c', CONFLUENT_PRODUCE, broker.bootstrap, topic, 'snappy'],
      { timeoutMs: 60_000 },
    );
    expect(stdout.trim()).toBe('left=0 errors=[]');
    const batches = await storedBatchSummaries(topic);
    expect(batches.reduce((n, b) => n + b.count, 0)).toBe(500);
    expect(new Set(batches.map((b) => b.codec))).toEqual(new Set([CompressionCodec.Snappy]));
  });
});
