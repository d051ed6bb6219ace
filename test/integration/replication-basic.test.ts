import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import type { RawKafkaConnection } from '../support/broker-test-support.js';
import {
  consumeAll,
  produceToPartitionZero,
  startReplicationCluster,
  valuesIn,
  waitForIdenticalReplicas,
  type ReplicationCluster,
} from '../support/replication-harness.js';

const { Kafka, logLevel } = kafkajs;

/**
 * Three in-process brokers (each its own controller, fetchers, ZooKeeper session) on the embedded
 * coordinator: RF=3 replication with kafkajs producing acks=all, byte-identical replicas, failover by
 * the controller with no acknowledged record lost, the returning broker rejoining the ISR, errors 19
 * and 6.
 */
describe('replication across three brokers', () => {
  let cluster: ReplicationCluster;
  const topic = 'replicated';

  beforeAll(async () => {
    cluster = await startReplicationCluster([1, 2, 3], { 'replica.lag.time.max.ms': '4000' });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  const kafka = () =>
    new Kafka({
      clientId: 'replication-test',
      brokers: cluster.bootstrap(),
      logLevel: logLevel.NOTHING,
      retry: { retries: 12, initialRetryTime: 100, maxRetryTime: 1_000 },
    });

  const produceOne = (client: RawKafkaConnection, value: string, acks: number) =>
    produceToPartitionZero(client, topic, [value], acks, 5_000);

  it('kafkajs acks=all produce lands byte-identical on all three replicas; consumers see it', async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          replicationFactor: 3,
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const state = await waitFor(
      async () => {
        const s = await cluster.partitionState(topic, 0);
        return s && s.isr.length === 3 ? s : null;
      },
      { what: 'ISR of three' },
    );
    expect(state.leader).toBeGreaterThan(0);

    const producer = kafka().producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let i = 0; i < 20; i++) {
      const result = await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 10 }, (_, j) => ({ value: `m${i * 10 + j}` })),
      });
      expect(result[0]!.errorCode).toBe(0);
    }
    await producer.disconnect();

    const bytes = await waitForIdenticalReplicas(cluster, [1, 2, 3], topic, 0);
    const expected = Array.from({ length: 200 }, (_, i) => `m${i}`);
    expect(valuesIn(bytes)).toEqual(expected);
    const leaderClient = await cluster.client(state.leader);
    const consumed = await consumeAll(leaderClient, topic, 0);
    expect(consumed.values).toEqual(expected);
    expect(consumed.highWatermark).toBe(200n);
  });

  it('a produce to a follower is refused with NOT_LEADER_OR_FOLLOWER (6)', async () => {
    const state = (await cluster.partitionState(topic, 0))!;
    const follower = [1, 2, 3].find((id) => id !== state.leader)!;
    const response = await produceOne(await cluster.client(follower), 'wrong broker', -1);
    expect(response.errorCode).toBe(6);
  });

  it('the leader goes: the controller elects another, produce and consume continue, nothing acked is lost; it returns, truncates and rejoins the ISR', async () => {
    const before = (await cluster.partitionState(topic, 0))!;
    const oldLeader = before.leader;
    const producer = kafka().producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const acked: string[] = Array.from({ length: 200 }, (_, i) => `m${i}`);
    let stopped = false;
    const sending = (async () => {
      for (let i = 0; !stopped || i < 40; i++) {
        const value = `f${i}`;
        await producer.send({ topic, acks: -1, messages: [{ value }] });
        acked.push(value);
      }
    })();
    await waitFor(() => acked.length >= 210, { what: 'some sends before the failover' });
    await cluster.stop(oldLeader);
    const after = await waitFor(
      async () => {
        const s = await cluster.partitionState(topic, 0);
        return s && s.leader > 0 && s.leader !== oldLeader && !s.isr.includes(oldLeader) ? s : null;
      },
      { what: 'a new leader, the old one out of the ISR' },
    );
    expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
    stopped = true;
    await sending;
    await producer.disconnect();

    const survivors = [1, 2, 3].filter((id) => id !== oldLeader);
    const consumed = await consumeAll(await cluster.client(after.leader), topic, 0);
    // Every acknowledged record is there, in order. A send cut off by the failover may have been
    // written and then retried by kafkajs (not idempotent): at most a duplicate, never a gap.
    expect(firstOccurrences(consumed.values)).toEqual(acked);
    expect(consumed.values.length - acked.length).toBeLessThanOrEqual(2);
    await waitForIdenticalReplicas(cluster, survivors, topic, 0);

    await cluster.start(oldLeader);
    const rejoined = await waitFor(
      async () => {
        const s = await cluster.partitionState(topic, 0);
        return s && s.isr.length === 3 ? s : null;
      },
      { timeoutMs: 20_000, what: 'the returning broker back in the ISR' },
    );
    expect(rejoined.isr).toContain(oldLeader);
    const bytes = await waitForIdenticalReplicas(cluster, [1, 2, 3], topic, 0);
    expect(valuesIn(bytes)).toEqual(consumed.values);
  });

  it('min.insync.replicas=2 with two brokers down: acks=all is refused with NOT_ENOUGH_REPLICAS (19)', async () => {
    const state = (await cluster.partitionState(topic, 0))!;
    const others = [1, 2, 3].filter((id) => id !== state.leader);
    for (const id of others) await cluster.stop(id);
    await waitFor(async () => (await cluster.partitionState(topic, 0))!.isr.length === 1, {
      what: 'ISR shrunk to the leader',
    });
    const client = await cluster.client(state.leader);
    const refused = await waitFor(
      async () => {
        const r = await produceOne(client, 'needs two', -1);
        return r.errorCode === 19 ? r : null;
      },
      { what: 'error 19' },
    );
    expect(refused.baseOffset).toBe(-1n);
    // acks=1 is still accepted: min.insync.replicas only guards acks=all.
    expect((await produceOne(client, 'one is enough', 1)).errorCode).toBe(0);
    for (const id of others) await cluster.start(id);
    await waitFor(async () => (await cluster.partitionState(topic, 0))!.isr.length === 3, {
      timeoutMs: 20_000,
      what: 'ISR of three again',
    });
    expect((await produceOne(client, 'two again', -1)).errorCode).toBe(0);
  });
});

function firstOccurrences(values: string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => !seen.has(v) && seen.add(v));
}
