import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Producer } from '../../producer/producer.js';
import { DeliveryTimeoutError } from '../../producer/producer-errors.js';
import type { CompressionOption } from '../../producer/producer-options.js';
import { compressionOf } from '../../protocol/record-batch-header.js';
import { partitionForKey } from '../../producer/murmur2.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import { createTopicVia, readPartition, readPartitionBatches } from '../support/producer-test-support.js';

describe('producer against one broker', () => {
  let broker: SingleBroker;
  beforeAll(async () => {
    broker = await startSingleBroker();
  });
  afterAll(async () => {
    await broker?.close();
  });

  it.each(['bootstrap', 'zookeeper'] as const)(
    'keyed records (%s discovery) land on their murmur2 partition, in order, with the offsets send() returned',
    async (mode) => {
      const topic = `basic-${mode}`;
      await createTopicVia(broker.bootstrap, topic, 4);
      const producer = new Producer({
        ...(mode === 'bootstrap'
          ? { bootstrapServers: [broker.bootstrap] }
          : { zookeeper: broker.zookeeper.connectionString }),
        idempotent: false,
        acks: 1,
      });
      const sends = [];
      for (let i = 0; i < 5000; i++) {
        sends.push(producer.send({ topic, key: `k${i % 500}`, value: `v${i}`, headers: { n: String(i) } }));
      }
      const acks = await Promise.all(sends);
      await producer.close();
      for (let i = 0; i < acks.length; i++) {
        expect(acks[i]!.partition).toBe(partitionForKey(Buffer.from(`k${i % 500}`), 4));
      }
      for (let p = 0; p < 4; p++) {
        const records = await readPartition(broker.bootstrap, topic, p);
        const expected = acks.map((a, i) => ({ a, i })).filter(({ a }) => a.partition === p);
        expect(records.map((r) => r.value!.toString())).toEqual(expected.map(({ i }) => `v${i}`));
        expect(records.map((r) => r.offset)).toEqual(expected.map(({ a }) => a.offset));
        expect(records.map((r) => r.headers[0]!.value!.toString())).toEqual(
          expected.map(({ i }) => String(i)),
        );
      }
    },
  );

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)(
    'compression %s: batches carry the codec and read back',
    async (codec) => {
      const topic = `codec-${codec}`;
      await createTopicVia(broker.bootstrap, topic, 1);
      const producer = new Producer({
        bootstrapServers: [broker.bootstrap],
        compression: codec as CompressionOption,
      });
      const acks = await Promise.all(
        Array.from({ length: 2000 }, (_, i) =>
          producer.send({ topic, value: `compressible value ${i % 10} `.repeat(5) + i }),
        ),
      );
      await producer.close();
      expect(acks.map((a) => a.offset)).toEqual(acks.map((_, i) => BigInt(i)));
      const batches = await readPartitionBatches(broker.bootstrap, topic, 0);
      const records = batches.flatMap((b) => b.records);
      expect(records.map((r) => r.value!.toString())).toEqual(
        acks.map((_, i) => `compressible value ${i % 10} `.repeat(5) + i),
      );
      for (const batch of batches)
        expect(compressionOf(batch.header.attributes)).toBe(codecAttributes(codec));
    },
  );

  it('acks=0 sends without answers (offset -1) and the records still arrive', async () => {
    await createTopicVia(broker.bootstrap, 'acks0', 1);
    const producer = new Producer({ bootstrapServers: [broker.bootstrap], acks: 0 });
    expect(producer.options.idempotent).toBe(false);
    const acks = await Promise.all(
      Array.from({ length: 500 }, (_, i) => producer.send({ topic: 'acks0', value: `v${i}` })),
    );
    await producer.close();
    expect(new Set(acks.map((a) => a.offset))).toEqual(new Set([-1n]));
    const stored = await waitForCount(() => readPartition(broker.bootstrap, 'acks0', 0), 500);
    expect(stored.map((r) => r.value!.toString())).toEqual(acks.map((_, i) => `v${i}`));
  });

  it('bounds buffered bytes: hasRoom turns false at bufferMemory and sends wait for acknowledgements', async () => {
    await createTopicVia(broker.bootstrap, 'bounded', 1);
    const producer = new Producer({
      bootstrapServers: [broker.bootstrap],
      bufferMemory: 64 * 1024,
      batchSize: 16 * 1024,
    });
    await producer.partitionsFor('bounded');
    const value = Buffer.alloc(1000, 0x61);
    let sent = 0;
    while (producer.hasRoom) {
      void producer.send({ topic: 'bounded', value });
      sent++;
    }
    expect(sent).toBeGreaterThan(50);
    expect(sent).toBeLessThanOrEqual(66); // 64 KiB / ~1 KiB per record
    const more = Array.from({ length: 200 }, () => producer.send({ topic: 'bounded', value }));
    await producer.whenRoom();
    await Promise.all(more);
    await producer.close();
    expect((await readPartition(broker.bootstrap, 'bounded', 0)).length).toBe(sent + 200);
  });

  it('fails records with DeliveryTimeoutError when the leader stays unreachable past delivery.timeout.ms', async () => {
    await createTopicVia(broker.bootstrap, 'timeout', 1);
    const producer = new Producer({
      bootstrapServers: [broker.bootstrap],
      deliveryTimeoutMs: 1500,
      retryBackoffMs: 50,
      idempotent: false,
    });
    await producer.send({ topic: 'timeout', value: 'before' });
    await broker.stopBroker('SIGTERM');
    const started = Date.now();
    await expect(producer.send({ topic: 'timeout', value: 'lost' })).rejects.toBeInstanceOf(
      DeliveryTimeoutError,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    await producer.close();
    await broker.restartBroker();
  });
});

function codecAttributes(codec: string): number {
  return ['none', 'gzip', 'snappy', 'lz4', 'zstd'].indexOf(codec);
}

async function waitForCount<T>(read: () => Promise<T[]>, count: number): Promise<T[]> {
  const { waitFor } = await import('../support/wait.js');
  return waitFor(async () => {
    const rows = await read();
    return rows.length >= count ? rows : undefined;
  });
}
