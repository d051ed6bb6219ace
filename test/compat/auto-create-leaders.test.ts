import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../../client/kafka-connection.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/index.js';
import { encodeRecordBatchSync } from '../../protocol/record-batch.js';
import { startSluiceBroker } from '../support/broker-process.js';
import { freePorts } from '../support/ports.js';
import type { RunningProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/**
 * Three brokers, topics auto-created by Metadata: a broker names a partition's leader only once that
 * leader serves it (until then 5 LEADER_NOT_AVAILABLE, as Kafka), so the first produce to a freshly
 * auto-created topic never fails.
 */

const { Kafka, logLevel } = kafkajs;
const BROKERS = 3;
const TOPICS = 200;

let zookeeper: EmbeddedZooKeeper;
let dir: string;
let ports: number[];
const processes: RunningProcess[] = [];
const connections: KafkaConnection[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-auto-create-'));
  zookeeper = await startZooKeeperServer({ port: 0 });
  ports = await freePorts(BROKERS);
  await Promise.all(
    ports.map(async (port, i) => {
      processes.push(
        await startSluiceBroker({
          id: i + 1,
          port,
          logDir: join(dir, `broker-${i + 1}`),
          zookeeper: zookeeper.connectionString,
          overrides: { 'default.replication.factor': '2', 'num.partitions': '1' },
        }),
      );
    }),
  );
  for (const port of ports) connections.push(await KafkaConnection.connect({ host: '127.0.0.1', port }));
  // Every broker sees all three before topics are created, so assignments spread over the cluster.
  await waitFor(
    async () => {
      const answers = await Promise.all(
        connections.map((c) =>
          c.request(ApiKey.Metadata, { topics: [], allowAutoTopicCreation: false }, { version: 9 }),
        ),
      );
      return answers.every((a) => a.brokers.length === BROKERS);
    },
    { timeoutMs: 30_000, what: 'three registered brokers' },
  );
}, 120_000);

afterAll(async () => {
  for (const connection of connections) connection.close();
  await Promise.all(processes.map((p) => p.kill('SIGTERM')));
  await zookeeper?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Asks `via` for the topic (auto-creating it) until it names a leader; returns that leader's id. */
async function leaderOf(via: KafkaConnection, topic: string): Promise<number> {
  return waitFor(
    async () => {
      const response = await via.request(
        ApiKey.Metadata,
        { topics: [{ name: topic }], allowAutoTopicCreation: true },
        { version: 9 },
      );
      const answer = response.topics[0]!;
      const partition = answer.partitions[0];
      if (answer.errorCode !== 0 || !partition) return null;
      // Named leader or LEADER_NOT_AVAILABLE (5), never a leader with an error.
      expect(partition.errorCode === 0 ? partition.leaderId >= 1 : partition.errorCode).toBe(
        partition.errorCode === 0 ? true : ErrorCode.LEADER_NOT_AVAILABLE,
      );
      return partition.errorCode === 0 ? partition.leaderId : null;
    },
    { timeoutMs: 20_000, intervalMs: 5, what: `a leader for ${topic}` },
  );
}

describe('Metadata names a leader only once it serves', () => {
  it(`${TOPICS} auto-created topics: the first produce to the named leader always succeeds`, async () => {
    const failures: string[] = [];
    for (let i = 0; i < TOPICS; i++) {
      const topic = `auto-${i}`;
      const leader = await leaderOf(connections[i % BROKERS]!, topic);
      const response = await connections[leader - 1]!.request(ApiKey.Produce, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 5_000,
        topicData: [
          {
            name: topic,
            partitionData: [
              {
                index: 0,
                records: encodeRecordBatchSync({ records: [{ key: null, value: Buffer.from(topic) }] }),
              },
            ],
          },
        ],
      });
      const errorCode = response.responses[0]!.partitionResponses[0]!.errorCode;
      if (errorCode !== 0)
        failures.push(`${topic} via ${(i % BROKERS) + 1} → leader ${leader}: ${errorCode}`);
    }
    expect(failures).toEqual([]);
  }, 180_000);

  it(`kafkajs producing to ${TOPICS} new topics (allowAutoTopicCreation) sees no failed produce`, async () => {
    const produceErrors: string[] = [];
    const kafka = new Kafka({
      clientId: 'auto-create',
      brokers: ports.map((p) => `127.0.0.1:${p}`),
      logLevel: logLevel.ERROR,
      logCreator:
        () =>
        ({ log }) => {
          const message = String(log.message);
          if (message.startsWith('Response Produce')) produceErrors.push(`${message}: ${String(log.error)}`);
        },
    });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    try {
      for (let i = 0; i < TOPICS; i++) {
        await producer.send({ topic: `kafkajs-${i}`, acks: 1, messages: [{ value: `v-${i}` }] });
      }
    } finally {
      await producer.disconnect();
    }
    expect(produceErrors).toEqual([]);
  }, 240_000);
});
