import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_FAULTS_ENV, type RequestFaultRule } from '../../broker/network/request-faults.js';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { ApiKey } from '../../protocol/index.js';
import { startSluiceBroker } from '../support/broker-process.js';
import { freePorts } from '../support/ports.js';
import { runToEnd, type RunningProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/**
 * Three `sluice broker` processes; a kafkajs idempotent producer (acks=all) sends one record at a
 * time. The partition leader is told (request faults on its stdin) to handle Produce requests but
 * never answer them, so a record is in flight, perhaps written, and unacknowledged when the leader is
 * SIGKILLed. The producer must retry on the newly elected leader: every acknowledged record is stored
 * there, and none twice (the new leader knows the producer's sequence from the replicated batches).
 */
describe('Produce responses dropped by a leader that is then killed (kafkajs, idempotent, acks=all)', () => {
  const SESSION_TIMEOUT_MS = 3_000;
  const topic = 'leader-faults';
  let zk: EmbeddedZooKeeper;
  let session: ZooKeeperSession;
  let state: ClusterState;
  let dir: string;
  let ports: number[];
  const brokers = new Map<number, RunningProcess>();

  const setFaults = async (id: number, rules: RequestFaultRule[]) => {
    const broker = brokers.get(id)!;
    const before = broker.stdout().split('request faults set').length;
    broker.child.stdin!.write(`${JSON.stringify(rules)}\n`);
    await waitFor(() => broker.stdout().split('request faults set').length > before, {
      what: `broker ${id} took the fault rules`,
    });
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-leader-faults-'));
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
            'min.insync.replicas': '2',
          },
          spawn: {
            stdio: ['pipe', 'pipe', 'pipe'],
            env: { ...process.env, [REQUEST_FAULTS_ENV]: 'stdin', SLUICE_LOG_LEVEL: 'warn' },
          },
        });
        brokers.set(id, broker);
      }),
    );
  });
  afterAll(async () => {
    await Promise.all([...brokers.values()].map((b) => b.kill('SIGKILL')));
    await session?.close();
    await zk?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores every acknowledged record exactly once, on the new leader', async () => {
    const kafka = new kafkajs.Kafka({
      clientId: 'leader-faults',
      brokers: ports.map((port) => `127.0.0.1:${port}`),
      logLevel: kafkajs.logLevel.NOTHING,
      requestTimeout: 2_000,
      connectionTimeout: 1_000,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }] });
    await admin.disconnect();
    await waitFor(
      async () => ((await state.readPartitionState({ topic, partition: 0 }))?.value.isr ?? []).length === 3,
      {
        what: 'full ISR',
      },
    );

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked: string[] = [];
    const send = async (value: string) => {
      await producer.send({ topic, acks: -1, messages: [{ value }] });
      acked.push(value);
    };
    try {
      for (let i = 0; i < 50; i++) await send(`a${i}`);

      const victim = (await state.readPartitionState({ topic, partition: 0 }))!.value.leader;
      await setFaults(victim, [{ apiKey: ApiKey.Produce, action: 'drop-response' }]);
      const faultsBefore = brokers.get(victim)!.stderr().split('test request fault').length;
      const sending = (async () => {
        for (let i = 0; i < 50; i++) await send(`b${i}`);
      })();
      // The leader wrote (acks=all: committed) the first b record and did not answer.
      await waitFor(() => brokers.get(victim)!.stderr().split('test request fault').length > faultsBefore, {
        what: 'a Produce response dropped by the leader',
      });
      expect(acked).not.toContain('b0');
      await brokers.get(victim)!.kill('SIGKILL');
      brokers.delete(victim);

      await sending;
      const leader = (await state.readPartitionState({ topic, partition: 0 }))!.value.leader;
      expect(leader).not.toBe(victim);
      expect(brokers.has(leader)).toBe(true);

      const consumed = await runToEnd(
        'kcat',
        ['-C', '-b', `127.0.0.1:${ports[leader - 1]!}`, '-t', topic, '-e', '-o', 'beginning', '-q'],
        { timeoutMs: 60_000 },
      );
      const stored = consumed.stdout.split('\n').filter((line) => line.length > 0);
      expect(acked).toHaveLength(100);
      expect(acked.filter((value) => !stored.includes(value))).toEqual([]);
      expect(stored).toHaveLength(new Set(stored).size);
      expect(stored).toEqual(acked);
    } finally {
      await producer.disconnect();
    }
  });
});
