import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Producer } from '../../producer/producer.js';
import { partitionForKey } from '../../producer/murmur2.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import { createTopicVia, readPartition } from './producer-test-support.js';

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
});
