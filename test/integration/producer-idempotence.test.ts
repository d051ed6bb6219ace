import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Producer } from '../../producer/producer.js';
import type { RecordMetadata } from '../../producer/producer-batch.js';
import { freePort } from '../support/ports.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import {
  createTopicVia,
  readPartition,
  startKafkaRelay,
  type KafkaRelay,
} from '../support/producer-test-support.js';

/**
 * Retries of batches the broker already wrote: a relay in front of the broker cuts the connection
 * instead of forwarding every 3rd Produce response, so the producer resends batches that are in the
 * log. Idempotent: every record is stored exactly once, in send order per partition, at the offset its
 * send() reported. Not idempotent: the same run stores duplicates — the test can fail.
 */
const RECORDS = 3_000;
const PARTITIONS = 3;

let broker: SingleBroker;
let relay: KafkaRelay;
let cutEvery = 0;

beforeAll(async () => {
  const relayPort = await freePort();
  broker = await startSingleBroker({
    overrides: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${relayPort}` },
  });
  relay = await startKafkaRelay(
    relayPort,
    { host: '127.0.0.1', port: broker.port },
    (n) => cutEvery > 0 && n % cutEvery === cutEvery - 1,
  );
});
afterAll(async () => {
  await relay?.close();
  await broker?.close();
});

async function produceThroughRelay(topic: string, idempotent: boolean) {
  await createTopicVia(`127.0.0.1:${relay.port}`, topic, PARTITIONS);
  const producer = new Producer({
    bootstrapServers: [`127.0.0.1:${relay.port}`],
    acks: 'all',
    idempotent,
    batchSize: 2_048, // many small batches, several in flight per partition
    lingerMs: 1,
    retryBackoffMs: 10,
  });
  await producer.partitionsFor(topic);
  const cutsBefore = relay.cuts;
  cutEvery = 3;
  const sends: Array<Promise<RecordMetadata>> = [];
  for (let i = 0; i < RECORDS; i++) {
    sends.push(producer.send({ topic, key: `key-${i % 40}`, value: `value-${i}` }));
    if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
  }
  const acks = await Promise.all(sends);
  cutEvery = 0;
  await producer.close();
  const stored = [];
  for (let p = 0; p < PARTITIONS; p++)
    stored.push(...(await readPartition(broker.bootstrap, topic, p)).map((r) => ({ ...r, partition: p })));
  return { acks, stored, cuts: relay.cuts - cutsBefore };
}

describe('idempotent producer under lost Produce responses', () => {
  it('stores every record exactly once, in order, at the acknowledged offsets', async () => {
    const { acks, stored, cuts } = await produceThroughRelay('idempotent', true);
    expect(cuts).toBeGreaterThan(5);
    const values = stored.map((r) => r.value!.toString());
    expect(values).toHaveLength(RECORDS);
    expect(new Set(values).size).toBe(RECORDS);
    for (let p = 0; p < PARTITIONS; p++) {
      const inPartition = stored.filter((r) => r.partition === p);
      const sentOrder = acks.map((a, i) => ({ a, i })).filter(({ a }) => a.partition === p);
      expect(inPartition.map((r) => r.value!.toString())).toEqual(sentOrder.map(({ i }) => `value-${i}`));
      expect(inPartition.map((r) => r.offset)).toEqual(sentOrder.map(({ a }) => a.offset));
    }
  });

  it('without idempotence the same faults store duplicates', async () => {
    const { stored, cuts } = await produceThroughRelay('not-idempotent', false);
    expect(cuts).toBeGreaterThan(5);
    const values = stored.map((r) => r.value!.toString());
    expect(new Set(values).size).toBe(RECORDS); // nothing lost
    expect(values.length).toBeGreaterThan(RECORDS); // but retried batches were written twice
  });
});
