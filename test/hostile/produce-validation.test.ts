import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionCodec } from '../../protocol/compression-codec.js';
import { encodeRecordBatchSync } from '../../protocol/record-batch.js';
import { createTopic, RawKafkaConnection } from '../support/broker-test-support.js';
import {
  attributeBatch,
  bombBatch,
  lastOffsetDeltaBatch,
  lyingRecordLengthBatch,
  recordsCountBatch,
} from '../support/hostile-batches.js';
import { runToEnd } from '../support/processes.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import { waitFor } from '../support/wait.js';

/**
 * Hostile produces against a real `sluice broker` process over a raw socket: batches with a valid
 * CRC that lie about their records, compression bombs of every codec, control and transactional
 * batches. Each must get Kafka's error code, leave the log end offset where it was, and leave the
 * partition readable by kcat and kafkajs past the refused attack.
 */

const TOPIC = 'hostile-produce';
// Bound = 4 x max.message.bytes (~4 MiB): a 16 MiB bomb of zeros compresses below max.message.bytes
// in every codec (snappy's ratio is the weakest, ~21x).
const RATIO = 4;
const BOMB_BYTES = 16 * 1024 * 1024;

let broker: SingleBroker;
let connection: RawKafkaConnection;
const goodValues: string[] = [];

async function produce(records: Buffer) {
  const response = await connection.request(0, 8, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 10_000,
    topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
  });
  return response.responses[0]!.partitionResponses[0]!;
}

async function logEndOffset(): Promise<bigint> {
  const response = await connection.request(2, 1, {
    replicaId: -1,
    topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
  });
  const partition = response.topics[0]!.partitions[0]!;
  expect(partition.errorCode).toBe(0);
  return partition.offset!;
}

async function produceGood(): Promise<bigint> {
  const value = `good-${goodValues.length}`;
  const result = await produce(
    encodeRecordBatchSync({ records: [{ key: null, value: Buffer.from(value) }] }),
  );
  expect(result.errorCode).toBe(0);
  goodValues.push(value);
  return result.baseOffset;
}

beforeAll(async () => {
  broker = await startSingleBroker({
    overrides: { 'sluice.decompression.max.ratio': String(RATIO), 'auto.create.topics.enable': 'false' },
  });
  connection = await RawKafkaConnection.open(broker.port);
  expect(await createTopic(connection, TOPIC)).toBe(0);
  await waitFor(
    async () => {
      const result = await produce(
        encodeRecordBatchSync({ records: [{ key: null, value: Buffer.from('good-0') }] }),
      );
      if (result.errorCode === 0) goodValues.push('good-0');
      return result.errorCode === 0;
    },
    { timeoutMs: 20_000, what: 'a first produce to succeed' },
  );
});

afterAll(async () => {
  connection?.close();
  await broker?.close();
});

const attacks: Array<{ name: string; batch: () => Buffer; code: number; recordIndex?: number }> = [
  { name: 'a record length varint that lies', batch: lyingRecordLengthBatch, code: 87, recordIndex: 0 },
  { name: 'recordCount 1000 for one record', batch: () => recordsCountBatch(1000), code: 87 },
  { name: 'lastOffsetDelta 2^31-1', batch: () => lastOffsetDeltaBatch(2 ** 31 - 1), code: 87 },
  ...[CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd].map(
    (codec) => ({
      name: `a ${CompressionCodec[codec]} bomb inflating to 16 MiB`,
      batch: () => bombBatch(codec, BOMB_BYTES),
      code: 87,
    }),
  ),
  {
    name: 'a control batch',
    batch: () => attributeBatch({ isControl: true, isTransactional: true }),
    code: 87,
  },
  { name: 'a transactional batch', batch: () => attributeBatch({ isTransactional: true }), code: 48 },
];

describe('hostile produces are refused with Kafka’s error codes', () => {
  it.each(attacks)('$name → $code, log end offset unchanged', async ({ batch, code, recordIndex }) => {
    const before = await logEndOffset();
    const result = await produce(batch());
    expect(result.errorCode).toBe(code);
    expect(result.errorMessage).toBeTruthy();
    expect(result.baseOffset).toBe(-1n);
    if (recordIndex !== undefined) {
      expect(result.recordErrors?.map((e) => e.batchIndex)).toEqual([recordIndex]);
    }
    expect(await logEndOffset()).toBe(before);
    // The partition stays writable right after the attack, at the next offset.
    expect(await produceGood()).toBe(before);
    expect(await logEndOffset()).toBe(before + 1n);
    expect(connection.isClosed).toBe(false);
  });

  it('kcat reads every good record past the refused attacks, without a stall', async () => {
    const consumed = await runToEnd(
      'kcat',
      ['-C', '-b', broker.bootstrap, '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\n'],
      { timeoutMs: 30_000 },
    );
    expect(consumed.stdout.split('\n').filter((l) => l.length > 0)).toEqual(goodValues);
    expect(consumed.stderr).not.toMatch(/underflow|error/i);
  });

  it('a kafkajs consumer reads every good record past the refused attacks', async () => {
    const kafka = new kafkajs.Kafka({
      clientId: 'hostile-validate',
      brokers: [broker.bootstrap],
      logLevel: kafkajs.logLevel.NOTHING,
    });
    const consumer = kafka.consumer({
      groupId: 'hostile-validate',
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    });
    const seen: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value?.toString() ?? '');
        },
      });
      await waitFor(() => seen.length >= goodValues.length, {
        timeoutMs: 30_000,
        what: 'kafkajs to read every good record',
      });
      expect(seen).toEqual(goodValues);
    } finally {
      await consumer.disconnect();
    }
  });
});
