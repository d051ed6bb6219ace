import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdmin } from '../../client/admin.js';
import type { KafkaConnection } from '../../client/kafka-connection.js';
import { CompressionCodec } from '../../protocol/compression-codec.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/index.js';
import { encodeRecordBatchSync } from '../../protocol/record-batch.js';
import { fetchRequest, storedBatches as storedBatchesOf } from '../support/fetch-partition.js';
import { runToEnd } from '../support/processes.js';
import {
  startBrokerWithClients,
  type BrokerWithClients,
  type SingleBroker,
} from '../support/single-broker.js';
import { createTopicWithLeaders } from '../support/topic-with-leader.js';

/**
 * compression.type as a topic config: batches arriving in another codec are stored (and served) in the
 * topic's codec, with offsets and idempotence fields intact; `producer` keeps what arrived.
 */

const { Kafka, CompressionTypes, logLevel } = kafkajs;

let broker: SingleBroker;
let admin: KafkaAdmin;
let connection: KafkaConnection;

async function createTopic(name: string, compressionType: string): Promise<void> {
  await createTopicWithLeaders(admin, {
    name,
    numPartitions: 1,
    configs: { 'compression.type': compressionType },
  });
}

/** Every stored batch of partition 0 (raw Fetch v12), with its codec and decoded values. */
const storedBatches = (topic: string) => storedBatchesOf(connection, topic);

async function kcatProduce(topic: string, codec: string, lines: string[]): Promise<void> {
  await runToEnd('kcat', ['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-z', codec], {
    input: lines.map((l) => `${l}\n`).join(''),
  });
}

let clients: BrokerWithClients | undefined;

beforeAll(async () => {
  clients = await startBrokerWithClients();
  ({ broker, admin, connection } = clients);
});

afterAll(() => clients?.close());

const long = (name: string) => `${name}-${'abc'.repeat(40)}`;

describe('topic compression.type', () => {
  it('lz4 topic: kcat none/gzip and kafkajs gzip batches are stored as lz4; kcat reads them intact', async () => {
    await createTopic('lz4-topic', 'lz4');
    await kcatProduce('lz4-topic', 'none', ['a', 'b', 'c'].map(long));
    // kcat's gzip arrives as gzip (librdkafka 2.0.2 compresses because Produce is served from v0), as
    // does kafkajs's below: both are recompressed.
    await kcatProduce('lz4-topic', 'gzip', ['d', 'e'].map(long));
    const kafka = new Kafka({
      clientId: 'topic-compression',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: 'lz4-topic',
        compression: CompressionTypes.GZIP,
        messages: ['f', 'g'].map((v) => ({ partition: 0, value: long(v) })),
      });
    } finally {
      await producer.disconnect();
    }
    const batches = await storedBatches('lz4-topic');
    expect(batches.map((b) => b.codec)).toEqual(batches.map(() => CompressionCodec.Lz4));
    expect(batches.flatMap((b) => b.values)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(long));

    const consumed = await runToEnd('kcat', [
      '-C',
      '-b',
      broker.bootstrap,
      '-t',
      'lz4-topic',
      '-e',
      '-q',
      '-f',
      '%o %s\n',
    ]);
    expect(consumed.stdout.trim().split('\n')).toEqual(
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((v, i) => `${i} ${long(v)}`),
    );
  });

  it('an idempotent producer is still de-duplicated, with its producer id and sequences kept', async () => {
    await createTopic('lz4-idempotent', 'lz4');
    const { producerId, producerEpoch } = await connection.request(ApiKey.InitProducerId, {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    });
    const batch = encodeRecordBatchSync({
      records: [0, 1].map((i) => ({ key: null, value: Buffer.from(long(`seq-${i}`)) })),
      compression: CompressionCodec.Gzip,
      producerId,
      producerEpoch,
      baseSequence: 0,
    });
    const produce = async () =>
      (
        await connection.request(ApiKey.Produce, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 5_000,
          topicData: [{ name: 'lz4-idempotent', partitionData: [{ index: 0, records: batch }] }],
        })
      ).responses[0]!.partitionResponses[0]!;
    expect(await produce()).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await produce()).toMatchObject({ errorCode: 0, baseOffset: 0n });

    // kafkajs's idempotent producer: its sequences validate against the recompressed batches.
    const kafka = new Kafka({
      clientId: 'idempotent',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (const v of ['k-0', 'k-1', 'k-2']) {
        await producer.send({
          topic: 'lz4-idempotent',
          compression: CompressionTypes.GZIP,
          acks: -1,
          messages: [{ partition: 0, value: long(v) }],
        });
      }
    } finally {
      await producer.disconnect();
    }
    const batches = await storedBatches('lz4-idempotent');
    expect(batches).toEqual([
      { codec: CompressionCodec.Lz4, producerId, baseSequence: 0, values: ['seq-0', 'seq-1'].map(long) },
      ...['k-0', 'k-1', 'k-2'].map((v, i) => ({
        codec: CompressionCodec.Lz4,
        producerId: expect.any(BigInt) as unknown,
        baseSequence: i,
        values: [long(v)],
      })),
    ]);
  });

  it('producer keeps the codec that arrived; uncompressed stores none', async () => {
    await createTopic('as-sent', 'producer');
    await createTopic('plain', 'uncompressed');
    for (const topic of ['as-sent', 'plain']) await kcatProduce(topic, 'zstd', ['z1', 'z2'].map(long));
    expect((await storedBatches('as-sent')).map((b) => b.codec)).toEqual([CompressionCodec.Zstd]);
    expect((await storedBatches('plain')).map((b) => b.codec)).toEqual([CompressionCodec.None]);
  });

  it('DescribeConfigs reports the topic codec; a zstd topic answers Fetch < 10 with 76', async () => {
    await createTopic('zstd-topic', 'zstd');
    await kcatProduce('zstd-topic', 'none', ['x'].map(long));
    const described = await connection.request(ApiKey.DescribeConfigs, {
      resources: [{ resourceType: 2, resourceName: 'zstd-topic', configurationKeys: ['compression.type'] }],
      includeSynonyms: false,
    });
    expect(described.results[0]!.configs).toEqual([
      expect.objectContaining({ name: 'compression.type', value: 'zstd' }),
    ]);
    const v9 = await connection.request(ApiKey.Fetch, fetchRequest('zstd-topic', 0n), { version: 9 });
    expect(v9.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  });

  it('refuses a codec Kafka does not know (40 INVALID_CONFIG)', async () => {
    const created = await admin.createTopics([{ name: 'brotli', configs: { 'compression.type': 'brotli' } }]);
    expect(created[0]!.error).toBeTruthy();
  });
});
