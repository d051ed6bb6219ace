import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaAdmin } from '../../client/admin.js';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { Producer } from '../../producer/producer.js';
import type { RecordMetadata } from '../../producer/producer-batch.js';
import { freePort } from '../support/ports.js';
import { startSluiceBroker } from '../support/broker-process.js';
import type { RunningProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { readPartition } from '../support/producer-test-support.js';

/**
 * A producer that finds brokers through ZooKeeper follows the broker list while it runs: it starts with
 * brokers 1 and 2, keeps producing while broker 3 joins (and then leads partitions it sends to) and
 * while broker 2 leaves and comes back — no restart, and every acknowledged record is in a log once.
 */
let zookeeper: EmbeddedZooKeeper;
let session: ZooKeeperSession;
let state: ClusterState;
let dir: string;
const brokers = new Map<number, { port: number; process: RunningProcess }>();

async function startBrokerProcess(id: number): Promise<void> {
  const port = brokers.get(id)?.port ?? (await freePort());
  const process = await startSluiceBroker({
    id,
    port,
    logDir: join(dir, `broker-${id}`),
    zookeeper: zookeeper.connectionString,
    overrides: { 'zookeeper.session.timeout.ms': '6000' },
  });
  brokers.set(id, { port, process });
}

async function stopBrokerProcess(id: number): Promise<void> {
  await brokers.get(id)!.process.kill('SIGKILL');
  await waitFor(async () => (await state.readBroker(id)) === null, {
    timeoutMs: 20_000,
    what: `broker ${id} to deregister`,
  });
}

async function leaders(topic: string): Promise<number[]> {
  const assignment = await state.readTopicAssignment(topic);
  if (!assignment) return [];
  return Promise.all(
    assignment.value.map(
      async (_, partition) => (await state.readPartitionState({ topic, partition }))?.value.leader ?? -1,
    ),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-producer-brokers-'));
  zookeeper = await startZooKeeperServer({ port: 0, tickTime: 200, maxSessionTimeout: 30_000 });
  session = await ZooKeeperSession.connect(zookeeper.connectionString);
  state = new ClusterState(session);
  await startBrokerProcess(1);
  await startBrokerProcess(2);
});

afterAll(async () => {
  for (const { process } of brokers.values()) await process.kill('SIGTERM');
  await session?.close();
  await zookeeper?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('producer following broker changes through ZooKeeper', () => {
  it('picks up a joining broker and a leaving one without a restart; no acknowledged record lost', async () => {
    const admin = await KafkaAdmin.create({ bootstrapServers: [`127.0.0.1:${brokers.get(1)!.port}`] });
    const create = async (name: string, numPartitions: number) => {
      const [result] = await admin.createTopics([{ name, numPartitions, replicationFactor: 1 }]);
      expect(result?.error).toBeUndefined();
      await waitFor(async () => (await leaders(name)).every((l) => l > 0), {
        timeoutMs: 20_000,
        what: `${name} leaders`,
      });
    };
    await create('steady', 6);

    const producer = new Producer({
      zookeeper: zookeeper.connectionString,
      acks: 'all',
      lingerMs: 2,
      retryBackoffMs: 50,
    });
    const acked: Array<Promise<RecordMetadata>> = [];
    const values: string[] = [];
    let running = true;
    let sent = 0;
    let ackCount = 0;
    const load = (async () => {
      while (running) {
        for (let i = 0; i < 50; i++) {
          const value = `steady-${sent++}`;
          values.push(value);
          const delivery = producer.send({ topic: 'steady', value });
          delivery.then(
            () => ackCount++,
            () => undefined,
          ); // failures are inspected at the end
          acked.push(delivery);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const ackedCount = () => ackCount;
    await waitFor(async () => ackedCount() > 500, {
      timeoutMs: 20_000,
      what: 'first acknowledgements',
    });

    // A broker joins; a topic created now has partitions it leads; the running producer reaches it.
    await startBrokerProcess(3);
    await create('joined', 6);
    const joinedLeaders = await leaders('joined');
    expect(joinedLeaders).toContain(3);
    const onThree = joinedLeaders.map((l, p) => (l === 3 ? p : -1)).filter((p) => p >= 0);
    const joinedAcks = await Promise.all(
      onThree.map((partition) => producer.send({ topic: 'joined', partition, value: `joined-${partition}` })),
    );
    expect(joinedAcks.map((a) => a.partition)).toEqual(onThree);

    // A broker leaves while records keep flowing: unkeyed records move to partitions that still have a
    // leader; what was queued for broker 2 waits for it and is delivered when it returns.
    await stopBrokerProcess(2);
    const afterLeave = ackedCount();
    await waitFor(async () => ackedCount() > afterLeave + 1000, {
      timeoutMs: 30_000,
      what: 'acks while broker 2 is away',
    });
    await startBrokerProcess(2);
    await waitFor(async () => (await leaders('steady')).every((l) => l > 0), {
      timeoutMs: 20_000,
      what: 'broker 2 leading again',
    });
    running = false;
    await load;
    const results = await Promise.allSettled(acked);
    await producer.close();
    await admin.close();

    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toEqual([]);
    const steadyLeaders = await leaders('steady');
    const stored: string[] = [];
    for (let p = 0; p < steadyLeaders.length; p++) {
      const bootstrap = `127.0.0.1:${brokers.get(steadyLeaders[p]!)!.port}`;
      stored.push(...(await readPartition(bootstrap, 'steady', p)).map((r) => r.value!.toString()));
    }
    expect(stored.length).toBe(values.length);
    expect(new Set(stored)).toEqual(new Set(values));
    const three = await readPartition(`127.0.0.1:${brokers.get(3)!.port}`, 'joined', onThree[0]!);
    expect(three.map((r) => r.value!.toString())).toEqual([`joined-${onThree[0]}`]);
  });
});
