import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerKafkaJsCodecs } from '../../protocol/kafkajs-codecs.js';
import { startSingleBroker, type SingleBroker } from '../support/single-broker.js';

/**
 * kafkajs 2.2.4 against a real `sluice broker` process: its producer with every codec (gzip built in;
 * snappy/lz4/zstd through our plugins), its admin for topics and offsets, and its own Fetch path
 * (kafkajs's Cluster/Broker classes, which decode batches and decompress exactly as its consumer does)
 * reading from explicit offsets. kafkajs's Consumer needs the group coordinator APIs (FindCoordinator,
 * JoinGroup, …), which arrive with the consumer-groups issue; it is not used here.
 */

const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = kafkajs;
registerKafkaJsCodecs(CompressionCodecs as unknown as Parameters<typeof registerKafkaJsCodecs>[0]);

const require = createRequire(import.meta.url);

interface KafkaJsMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[] | undefined>;
}
interface KafkaJsBroker {
  fetch(request: {
    replicaId: number;
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{
    responses: {
      topicName: string;
      partitions: {
        partition: number;
        errorCode: number;
        highWatermark: string;
        messages: KafkaJsMessage[];
      }[];
    }[];
  }>;
}
interface KafkaJsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(query: { nodeId: string }): Promise<KafkaJsBroker>;
}
// kafkajs's internal cluster (what its Consumer fetches through); not part of its typed API.
const Cluster = require('kafkajs/src/cluster') as new (options: object) => KafkaJsCluster;
const { createLogger, LEVELS } = require('kafkajs/src/loggers') as {
  createLogger(options: { level: number; logCreator: () => () => void }): unknown;
  LEVELS: { NOTHING: number };
};

const socketFactory = (require('kafkajs/src/network/socketFactory') as () => unknown)();

const PARTITIONS = 3;
const MESSAGES_PER_CODEC = 6_000;
const CODECS = [
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
  ['snappy', CompressionTypes.Snappy],
  ['lz4', CompressionTypes.LZ4],
  ['zstd', CompressionTypes.ZSTD],
] as const;

let broker: SingleBroker;
let kafka: InstanceType<typeof Kafka>;

beforeAll(async () => {
  broker = await startSingleBroker();
  kafka = new Kafka({
    clientId: 'sluice-kafkajs-test',
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
  });
});

afterAll(async () => {
  await broker?.close();
});

interface SentMessage {
  key: Buffer;
  value: Buffer;
  headers: Record<string, Buffer>;
}

function messagesFor(codec: string, count: number): SentMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`${codec}-key-${i % 97}`),
    // Binary values (all byte values), half of them repetitive so compression has work to do.
    value: i % 2 === 0 ? randomBytes(20 + (i % 300)) : Buffer.from(`value-${i}-`.repeat(1 + (i % 20))),
    headers: { trace: Buffer.from(`t-${i}`), bin: randomBytes(8) },
  }));
}

/** Reads a partition from `fromOffset` to `untilOffset` with kafkajs's own Fetch and decoder. */
async function fetchAll(
  cluster: KafkaJsCluster,
  topic: string,
  partition: number,
  fromOffset: bigint,
  untilOffset: bigint,
): Promise<KafkaJsMessage[]> {
  const leaders = cluster.findLeaderForPartitions(topic, [partition]);
  const leader = Object.keys(leaders)[0]!;
  const connection = await cluster.findBroker({ nodeId: leader });
  const out: KafkaJsMessage[] = [];
  let offset = fromOffset;
  while (offset < untilOffset) {
    const response = await connection.fetch({
      replicaId: -1,
      isolationLevel: 1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 1 << 20,
      topics: [{ topic, partitions: [{ partition, fetchOffset: offset.toString(), maxBytes: 256 * 1024 }] }],
    });
    const data = response.responses[0]!.partitions[0]!;
    expect(data.errorCode).toBe(0);
    // A fetch may start inside a compressed batch: kafkajs returns the whole batch, callers skip ahead.
    const fresh = data.messages.filter((m) => BigInt(m.offset) >= offset);
    if (fresh.length === 0) throw new Error(`no progress at offset ${offset} of ${topic}-${partition}`);
    out.push(...fresh);
    offset = BigInt(fresh[fresh.length - 1]!.offset) + 1n;
  }
  return out;
}

describe('kafkajs producer → sluice → kafkajs fetch, per codec', () => {
  it.each(CODECS)(
    'codec %s: keys, values and headers round-trip byte-identical, offsets dense per partition',
    async (codec, compression) => {
      const topic = `kafkajs-${codec}`;
      const admin = kafka.admin();
      await admin.connect();
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const cluster = new Cluster({
        logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => undefined }),
        brokers: [broker.bootstrap],
        clientId: 'sluice-kafkajs-fetch',
        socketFactory,
        connectionTimeout: 5_000,
        requestTimeout: 30_000,
        enforceRequestTimeout: true,
        retry: { retries: 5 },
      });
      try {
        expect(
          await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true }),
        ).toBe(true);
        const before = await admin.fetchTopicOffsets(topic);
        expect(before.map((p) => [p.partition, p.low, p.high]).sort()).toEqual([
          [0, '0', '0'],
          [1, '0', '0'],
          [2, '0', '0'],
        ]);

        const sent = messagesFor(codec, MESSAGES_PER_CODEC);
        const acks: { partition: number; baseOffset: string }[] = [];
        for (let start = 0; start < sent.length; start += 500) {
          const metadata = await producer.send({
            topic,
            compression,
            acks: 1,
            messages: sent.slice(start, start + 500).map((m) => ({ ...m, key: m.key, value: m.value })),
          });
          for (const r of metadata) acks.push({ partition: r.partition, baseOffset: r.baseOffset ?? '-1' });
        }
        expect(acks.every((a) => BigInt(a.baseOffset) >= 0n)).toBe(true);

        const after = await admin.fetchTopicOffsets(topic);
        const total = after.reduce((sum, p) => sum + Number(p.high), 0);
        expect(total).toBe(MESSAGES_PER_CODEC);

        await cluster.connect();
        await cluster.addTargetTopic(topic);
        // kafkajs's default partitioner is murmur2 of the key: same key, same partition, produce order kept.
        const expectedByPartition = new Map<string, SentMessage[]>();
        for (const m of sent) {
          const list = expectedByPartition.get(m.key.toString()) ?? [];
          list.push(m);
          expectedByPartition.set(m.key.toString(), list);
        }
        const received: KafkaJsMessage[] = [];
        for (const p of after) {
          const messages = await fetchAll(cluster, topic, p.partition, 0n, BigInt(p.high));
          expect(messages.map((m) => m.offset)).toEqual(messages.map((_, i) => String(i)));
          received.push(...messages);
        }
        expect(received.length).toBe(MESSAGES_PER_CODEC);
        // Per key (so per partition) the sequence must be exactly what was sent, in order.
        const receivedByKey = new Map<string, KafkaJsMessage[]>();
        for (const m of received) {
          const list = receivedByKey.get(m.key!.toString()) ?? [];
          list.push(m);
          receivedByKey.set(m.key!.toString(), list);
        }
        const problems: string[] = [];
        for (const [key, expected] of expectedByPartition) {
          const got = receivedByKey.get(key) ?? [];
          if (got.length !== expected.length) problems.push(`${key}: ${got.length} of ${expected.length}`);
          expected.forEach((m, i) => {
            const r = got[i];
            if (!r) return;
            if (!r.value?.equals(m.value)) problems.push(`${key}#${i}: value differs`);
            if (!(r.headers.trace as Buffer).equals(m.headers.trace!))
              problems.push(`${key}#${i}: header trace`);
            if (!(r.headers.bin as Buffer).equals(m.headers.bin!)) problems.push(`${key}#${i}: header bin`);
          });
          if (problems.length > 10) break;
        }
        expect(problems).toEqual([]);
      } finally {
        await cluster.disconnect().catch(() => undefined);
        await producer.disconnect();
        await admin.disconnect();
      }
    },
    60_000,
  );

  it('kafkajs admin lists and deletes topics', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic: 'kafkajs-doomed', numPartitions: 1 }],
        waitForLeaders: true,
      });
      expect(await admin.listTopics()).toContain('kafkajs-doomed');
      await admin.deleteTopics({ topics: ['kafkajs-doomed'], timeout: 10_000 });
      const deadline = Date.now() + 10_000;
      while ((await admin.listTopics()).includes('kafkajs-doomed')) {
        if (Date.now() > deadline) throw new Error('topic still listed 10 s after deletion');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await admin.listTopics()).not.toContain('kafkajs-doomed');
    } finally {
      await admin.disconnect();
    }
  });
});
