import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { coordinatorIdFor } from '../../broker/group-coordinator/coordinator-choice.js';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { freePorts } from '../support/ports.js';
import { startSluiceBroker } from '../support/broker-process.js';
import type { RunningProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/**
 * Coordinator failover: a kafkajs group of two members consumes an RF=3 topic on three `sluice broker`
 * processes; the group's coordinator is SIGKILLed. Once its ZooKeeper session expires the group hashes
 * to a surviving broker, the members find it, rejoin (the new coordinator starts Empty and rebuilds the
 * group from their joins) and continue from the offsets committed in ZooKeeper.
 */
const { Kafka, logLevel } = kafkajs;
const SESSION_TIMEOUT_MS = 3_000;
const TOPIC = 'failover-group';
const GROUP = 'failover-group-g';
const PARTITIONS = 6;
const PER_PHASE = 3_000;

let zk: EmbeddedZooKeeper;
let session: ZooKeeperSession;
let state: ClusterState;
let dir: string;
let ports: number[];
const brokers = new Map<number, RunningProcess>();

const bootstrap = (ids: number[]) => ids.map((id) => `127.0.0.1:${ports[id - 1]!}`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-group-failover-'));
  zk = await startZooKeeperServer({ port: 0, tickTime: 200, maxSessionTimeout: 30_000 });
  session = await ZooKeeperSession.connect(zk.connectionString);
  state = new ClusterState(session);
  ports = await freePorts(3);
  await Promise.all(
    [1, 2, 3].map(async (id) => {
      const broker = await startSluiceBroker({
        id,
        port: ports[id - 1]!,
        logDir: join(dir, `broker-${id}`),
        zookeeper: zk.connectionString,
        overrides: {
          'zookeeper.session.timeout.ms': String(SESSION_TIMEOUT_MS),
          'replica.fetch.wait.max.ms': '200',
          'group.initial.rebalance.delay.ms': '300',
        },
      });
      brokers.set(id, broker);
    }),
  );
}, 90_000);

afterAll(async () => {
  await Promise.all([...brokers.values()].map((b) => b.kill('SIGKILL')));
  await session?.close();
  await zk?.close();
  await rm(dir, { recursive: true, force: true });
});

it('SIGKILL of the coordinator: the group re-forms on a survivor and resumes from committed offsets', async () => {
  const kafka = new Kafka({
    clientId: 'failover',
    brokers: bootstrap([1, 2, 3]),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }] });
  await admin.disconnect();
  await waitFor(
    async () => (await state.readPartitionState({ topic: TOPIC, partition: PARTITIONS - 1 }))?.value,
    {
      what: 'partition states',
      timeoutMs: 30_000,
    },
  );

  const produce = async (client: InstanceType<typeof Kafka>, from: number) => {
    const producer = client.producer();
    await producer.connect();
    for (let i = from; i < from + PER_PHASE; i += 500) {
      await producer.send({
        topic: TOPIC,
        acks: -1,
        messages: Array.from({ length: 500 }, (_, j) => ({
          partition: (i + j) % PARTITIONS,
          value: `v${i + j}`,
        })),
      });
    }
    await producer.disconnect();
  };
  await produce(kafka, 0);

  const seen = new Map<string, number>();
  const consumers = [0, 1].map(() =>
    kafka.consumer({
      groupId: GROUP,
      sessionTimeout: 10_000,
      heartbeatInterval: 300,
      // kafkajs keeps fetching from the dead leader until its retries run out, then restarts the consumer
      // (which finds the new coordinator): few, short retries keep the test quick.
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 },
    }),
  );
  for (const consumer of consumers) {
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      autoCommitInterval: 200,
      eachMessage: async ({ partition, message }) => {
        const key = `${partition}:${message.offset}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      },
    });
  }
  try {
    await waitFor(() => seen.size >= PER_PHASE, { timeoutMs: 60_000, what: 'phase 1 consumed' });
    const perPartition = PER_PHASE / PARTITIONS;
    await waitFor(
      async () => {
        const offsets = (await state.readGroupOffsets(GROUP)).get(TOPIC);
        return (
          offsets &&
          offsets.size === PARTITIONS &&
          [...offsets.values()].every((o) => o === BigInt(perPartition))
        );
      },
      { timeoutMs: 30_000, what: 'phase 1 committed' },
    );

    const coordinator = coordinatorIdFor(GROUP, [1, 2, 3])!;
    const killedAt = Date.now();
    await brokers.get(coordinator)!.kill('SIGKILL');
    brokers.delete(coordinator);
    const survivors = [...brokers.keys()];
    await waitFor(async () => !(await state.listBrokerIds()).includes(coordinator), {
      timeoutMs: 30_000,
      what: 'the killed coordinator leaves ZooKeeper',
    });

    const surviving = new Kafka({
      clientId: 'failover-2',
      brokers: bootstrap(survivors),
      logLevel: logLevel.NOTHING,
    });
    await produce(surviving, PER_PHASE);
    const producedMs = Date.now() - killedAt;
    await waitFor(() => seen.size >= 2 * PER_PHASE, { timeoutMs: 90_000, what: 'phase 2 consumed' });
    expect(seen.size).toBe(2 * PER_PHASE);
    console.log(
      `group failover: phase 2 consumed ${Date.now() - killedAt} ms after the SIGKILL of broker ${coordinator} (produced after ${producedMs} ms)`,
    );

    // Continued from the committed offsets: nothing committed before the kill came again.
    const redelivered = [...seen].filter(([key, n]) => n > 1 && Number(key.split(':')[1]) < perPartition);
    expect(redelivered).toEqual([]);

    const survivorAdmin = surviving.admin();
    await survivorAdmin.connect();
    const group = await waitFor(
      async () => {
        const g = (await survivorAdmin.describeGroups([GROUP])).groups[0];
        return g?.state === 'Stable' && g.members.length === 2 ? g : null;
      },
      { timeoutMs: 30_000, what: 'the re-formed group' },
    );
    expect(group.members).toHaveLength(2);
    expect(coordinatorIdFor(GROUP, survivors)).not.toBe(coordinator);
    await survivorAdmin.disconnect();
  } finally {
    await Promise.all(consumers.map((c) => c.disconnect()));
  }
}, 240_000);
