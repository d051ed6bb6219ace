import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/index.js';
import {
  REQUEST_FAULTS_SPAWN,
  requestFaultsApplied,
  setRequestFaults,
  startProcessCluster,
  type ProcessCluster,
} from '../support/process-cluster.js';
import { runToEnd } from '../support/processes.js';
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
  let cluster: ProcessCluster;

  const leader = async () => (await cluster.state.readPartitionState({ topic, partition: 0 }))!.value;

  beforeAll(async () => {
    cluster = await startProcessCluster({
      brokers: 3,
      overrides: {
        'zookeeper.session.timeout.ms': String(SESSION_TIMEOUT_MS),
        'replica.fetch.wait.max.ms': '200',
        'min.insync.replicas': '2',
      },
      spawn: REQUEST_FAULTS_SPAWN,
    });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('stores every acknowledged record exactly once, on the new leader', async () => {
    const kafka = new kafkajs.Kafka({
      clientId: 'leader-faults',
      brokers: cluster.bootstrap([1, 2, 3]),
      logLevel: kafkajs.logLevel.NOTHING,
      requestTimeout: 2_000,
      connectionTimeout: 1_000,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }] });
    await admin.disconnect();
    await waitFor(async () => (await leader()).isr.length === 3, { what: 'full ISR' });

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked: string[] = [];
    const send = async (value: string) => {
      await producer.send({ topic, acks: -1, messages: [{ value }] });
      acked.push(value);
    };
    try {
      for (let i = 0; i < 50; i++) await send(`a${i}`);

      const victim = (await leader()).leader;
      await setRequestFaults(cluster.brokers.get(victim)!, [
        { apiKey: ApiKey.Produce, action: 'drop-response' },
      ]);
      const sending = (async () => {
        for (let i = 0; i < 50; i++) await send(`b${i}`);
      })();
      // The leader wrote (acks=all: committed) the first b record and did not answer.
      await waitFor(() => requestFaultsApplied(cluster.brokers.get(victim)!) > 0, {
        what: 'a Produce response dropped by the leader',
      });
      expect(acked).not.toContain('b0');
      await cluster.brokers.get(victim)!.kill('SIGKILL');
      cluster.brokers.delete(victim);

      await sending;
      const elected = (await leader()).leader;
      expect(elected).not.toBe(victim);
      expect(cluster.brokers.has(elected)).toBe(true);

      const consumed = await runToEnd(
        'kcat',
        ['-C', '-b', cluster.bootstrap([elected])[0]!, '-t', topic, '-e', '-o', 'beginning', '-q'],
        { timeoutMs: 60_000 },
      );
      const stored = consumed.stdout.split('\n').filter((line) => line.length > 0);
      expect(acked).toHaveLength(100);
      expect(acked.filter((value) => !stored.includes(value))).toEqual([]);
      // b0 reached the new leader twice (replicated, then retried): stored once, in send order.
      expect(stored).toEqual(acked);
    } finally {
      await producer.disconnect();
    }
  });
});
