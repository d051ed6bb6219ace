import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../producer/murmur2.js';
import { Producer } from '../../producer/producer.js';
import { runToEnd } from '../support/processes.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';
import { createTopicVia } from '../support/producer-test-support.js';

/**
 * Keyed records land on the same partition as with librdkafka's `murmur2_random` partitioner (the
 * Java client's algorithm): kcat 2.0.2 produces 4,000 keyed messages with it, a kcat consumer reports
 * the partition each key landed on, and our producer sends the same keys — every key must agree.
 */
const PARTITIONS = 7;
const KEYS = 4_000;

function keys(): string[] {
  let state = 12345;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.é€';
  return Array.from({ length: KEYS }, (_, i) => {
    const length = 1 + (next() % 40);
    let key = `${i}`;
    for (let j = 0; j < length; j++) key += alphabet[next() % alphabet.length];
    return key;
  });
}

let broker: SingleBroker;
beforeAll(async () => {
  broker = await startSingleBroker();
  await createTopicVia(broker.bootstrap, 'kcat-keys', PARTITIONS);
  await createTopicVia(broker.bootstrap, 'sluice-keys', PARTITIONS);
});
afterAll(async () => {
  await broker?.close();
});

async function partitionsSeenByKcat(topic: string): Promise<Map<string, number>> {
  const consumed = await runToEnd('kcat', [
    '-C',
    '-b',
    broker.bootstrap,
    '-t',
    topic,
    '-e',
    '-q',
    '-f',
    '%k\t%p\n',
  ]);
  const seen = new Map<string, number>();
  for (const line of consumed.stdout.split('\n')) {
    if (line.length === 0) continue;
    const [key, partition] = line.split('\t');
    seen.set(key!, Number(partition));
  }
  return seen;
}

describe('partitioner parity with librdkafka murmur2_random', () => {
  it(`${KEYS} keys: kcat's partition = ours, and our producer puts each key there too`, async () => {
    const all = keys();
    const input = all.map((k, i) => `${k}:value-${i}`).join('\n') + '\n';
    await runToEnd(
      'kcat',
      ['-P', '-b', broker.bootstrap, '-t', 'kcat-keys', '-K', ':', '-X', 'topic.partitioner=murmur2_random'],
      { input },
    );
    const kcat = await partitionsSeenByKcat('kcat-keys');
    expect(kcat.size).toBe(KEYS);
    const used = new Set(kcat.values());
    expect(used.size).toBe(PARTITIONS); // the keys spread: the comparison is not trivially all-zero
    for (const key of all) expect(kcat.get(key), key).toBe(partitionForKey(Buffer.from(key), PARTITIONS));

    const producer = new Producer({ bootstrapServers: [broker.bootstrap], acks: 1, idempotent: false });
    const acks = await Promise.all(
      all.map((key, i) => producer.send({ topic: 'sluice-keys', key, value: `value-${i}` })),
    );
    await producer.close();
    acks.forEach((ack, i) => expect(ack.partition).toBe(kcat.get(all[i]!)));
    const stored = await partitionsSeenByKcat('sluice-keys');
    for (const key of all) expect(stored.get(key)).toBe(kcat.get(key));
  });
});
