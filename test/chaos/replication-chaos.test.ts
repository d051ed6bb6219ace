import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { apacheZooKeeperAvailable, startApacheZooKeeper } from '../../coordinator/apache-ensemble.js';
import { startZooKeeperServer } from '../../coordinator/server/index.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { RawKafkaConnection } from '../integration/broker-test-support.js';
import { freePorts } from '../support/ports.js';
import { runToEnd, startSluice, type RunningProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const { Kafka, logLevel } = kafkajs;

/**
 * No acknowledged record lost: three `sluice broker` processes, a topic with RF=3 and
 * min.insync.replicas=2, kafkajs producers with acks=all writing numbered records to every partition
 * while a broker (the leader of some partition every other round, else a random one) is SIGKILLed and
 * restarted, CHAOS_ROUNDS times (default 20). Each round waits until every ISR is full again. Then kcat
 * reads every partition to the end: every acknowledged record is there, in order per partition.
 *
 * Each send targets one partition: kafkajs 2.2.4 silently drops the messages of a partition whose
 * leader moved to a broker that already answered the same multi-broker send (its sendMessages retry
 * skips brokers with a response), which would be counted against the broker.
 */
interface Coordinator {
  connectionString: string;
  close(): Promise<void>;
}

/** The embedded server always; a 3-node Apache ZooKeeper 3.8 ensemble when the package is installed. */
const COORDINATORS: Array<[string, () => Promise<Coordinator>]> = [
  [
    'the embedded coordinator',
    () => startZooKeeperServer({ port: 0, tickTime: 200, maxSessionTimeout: 30_000 }),
  ],
  ...(apacheZooKeeperAvailable()
    ? [
        ['a 3-node Apache ZooKeeper ensemble', () => startApacheZooKeeper({ nodes: 3 })] as [
          string,
          () => Promise<Coordinator>,
        ],
      ]
    : []),
];

describe.each(COORDINATORS)(
  'replication chaos on %s: SIGKILL brokers under acks=all load',
  (_name, startCoordinator) => {
    const ROUNDS = Number(process.env.CHAOS_ROUNDS ?? 20);
    const PARTITIONS = 3;
    const topic = 'chaos';
    let zk: Coordinator;
    let session: ZooKeeperSession;
    let state: ClusterState;
    let dir: string;
    let ports: number[];
    const brokers = new Map<number, RunningProcess>();

    const launch = async (id: number) => {
      const overrides: Record<string, string> = {
        'broker.id': String(id),
        listeners: `PLAINTEXT://127.0.0.1:${ports[id - 1]!}`,
        'log.dirs': join(dir, `broker-${id}`),
        'zookeeper.connect': zk.connectionString,
        'zookeeper.session.timeout.ms': '3000',
        'min.insync.replicas': '2',
        'replica.fetch.wait.max.ms': '200',
      };
      const args = ['broker'];
      for (const [key, value] of Object.entries(overrides)) args.push('--override', `${key}=${value}`);
      const broker = startSluice(args);
      await broker.waitForOutput(`sluice broker ${id} listening on`, 60_000);
      brokers.set(id, broker);
    };
    const states = () =>
      Promise.all(
        Array.from(
          { length: PARTITIONS },
          async (_, partition) => (await state.readPartitionState({ topic, partition }))?.value ?? null,
        ),
      );

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sluice-chaos-'));
      zk = await startCoordinator();
      session = await ZooKeeperSession.connect(zk.connectionString);
      state = new ClusterState(session);
      ports = await freePorts(3);
      for (const id of [1, 2, 3]) await launch(id);
    });
    afterAll(async () => {
      await Promise.all([...brokers.values()].map((b) => b.kill('SIGKILL')));
      await session?.close();
      await zk?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('every acknowledged record survives, in order per partition', async () => {
      const admin = await RawKafkaConnection.open(ports[0]!);
      await waitFor(
        async () =>
          (
            await admin.request(3, 9, {
              topics: null,
              allowAutoTopicCreation: false,
              includeClusterAuthorizedOperations: false,
              includeTopicAuthorizedOperations: false,
            })
          ).brokers.length === 3,
        { what: 'three brokers' },
      );
      const created = await admin.request(19, 5, {
        topics: [
          { name: topic, numPartitions: PARTITIONS, replicationFactor: 3, assignments: [], configs: [] },
        ],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      admin.close();
      expect(created.topics[0]!.errorCode).toBe(0);
      await waitFor(async () => (await states()).every((s) => s !== null && s.isr.length === 3), {
        what: 'full ISRs',
      });

      const kafka = new Kafka({
        clientId: 'chaos',
        brokers: ports.map((p) => `127.0.0.1:${p}`),
        logLevel: logLevel.NOTHING,
        retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 },
      });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const acked: string[][] = Array.from({ length: PARTITIONS }, () => []);
      let next = 0;
      let failedSends = 0;
      let stop = false;
      const sender = async (partition: number) => {
        while (!stop) {
          const messages = Array.from({ length: 20 }, () => ({ partition, value: `r${next++}` }));
          try {
            const result = await producer.send({ topic, acks: -1, timeout: 10_000, messages });
            if (result.length === 1 && result[0]!.errorCode === 0)
              acked[partition]!.push(...messages.map((m) => m.value));
          } catch {
            failedSends++;
          }
        }
      };
      const sending = Promise.all(Array.from({ length: PARTITIONS }, (_, p) => sender(p)));

      for (let round = 0; round < ROUNDS; round++) {
        const before = acked.reduce((n, a) => n + a.length, 0);
        await waitFor(() => acked.reduce((n, a) => n + a.length, 0) >= before + 200, {
          timeoutMs: 30_000,
          what: 'acks flowing before the kill',
        });
        const leaders = (await states()).map((s) => s!.leader);
        const victim = round % 2 === 0 ? leaders[round % PARTITIONS]! : 1 + Math.floor(Math.random() * 3);
        await brokers.get(victim)!.kill('SIGKILL');
        brokers.delete(victim);
        await waitFor(async () => (await state.readBroker(victim)) === null, {
          timeoutMs: 20_000,
          what: `broker ${victim}'s registration to expire`,
        });
        await launch(victim);
        await waitFor(async () => (await states()).every((s) => s !== null && s.isr.length === 3), {
          timeoutMs: 60_000,
          what: `broker ${victim} back in every ISR (round ${round})`,
        });
      }
      stop = true;
      await sending;
      await producer.disconnect();

      const consumed = await runToEnd(
        'kcat',
        [
          '-C',
          '-b',
          ports.map((p) => `127.0.0.1:${p}`).join(','),
          '-t',
          topic,
          '-e',
          '-o',
          'beginning',
          '-q',
          '-f',
          '%p %s\n',
        ],
        { timeoutMs: 120_000 },
      );
      const perPartition: string[][] = Array.from({ length: PARTITIONS }, () => []);
      for (const line of consumed.stdout.split('\n').filter((l) => l.length > 0)) {
        const [partition, value] = line.split(' ') as [string, string];
        perPartition[Number(partition)]!.push(value);
      }
      let lost = 0;
      let duplicated = 0;
      let outOfOrder = 0;
      for (let p = 0; p < PARTITIONS; p++) {
        const position = new Map<string, number>();
        perPartition[p]!.forEach((value, i) => {
          if (position.has(value)) duplicated++;
          else position.set(value, i);
        });
        let last = -1;
        for (const value of acked[p]!) {
          const at = position.get(value);
          if (at === undefined) lost++;
          else if (at < last) outOfOrder++;
          else last = at;
        }
      }
      const total = acked.reduce((n, a) => n + a.length, 0);
      console.log(
        `chaos on ${_name}: ${ROUNDS} SIGKILL rounds, acknowledged ${total}, lost ${lost}, duplicated ${duplicated}, out of order ${outOfOrder}, failed sends ${failedSends}`,
      );
      expect(total).toBeGreaterThan(ROUNDS * 200);
      expect({ lost, outOfOrder }).toEqual({ lost: 0, outOfOrder: 0 });
    });
  },
);
