import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../broker/broker.js';
import { resolveBrokerConfig } from '../../broker/config.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { encodeRecordBatchSync } from '../../protocol/record-batch.js';
import { waitFor } from '../support/wait.js';
import { RawKafkaConnection } from '../support/broker-test-support.js';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('three brokers on one coordinator', () => {
  let zk: EmbeddedZooKeeper;
  let dataDir: string;
  const brokers: Broker[] = [];
  const clients: RawKafkaConnection[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-brokers-'));
    zk = await startZooKeeperServer({ port: 0 });
    for (const id of [1, 2, 3]) {
      const config = resolveBrokerConfig(
        new Map(
          Object.entries({
            'broker.id': String(id),
            listeners: 'PLAINTEXT://127.0.0.1:0',
            'log.dirs': join(dataDir, `broker-${id}`),
            'zookeeper.connect': zk.connectionString,
          }),
        ),
      );
      brokers.push(await startBroker(config));
    }
    for (const broker of brokers) clients.push(await RawKafkaConnection.open(broker.listeners[0]!.port));
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all(brokers.map((b) => b.close()));
    await zk?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const metadata = (client: RawKafkaConnection, names: string[] | null) =>
    client.request(3, 9, {
      topics: names === null ? null : names.map((name) => ({ name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });

  it('every broker lists all three, and a topic created on one is served by its leaders', async () => {
    await waitFor(async () => (await metadata(clients[0]!, null)).brokers.length === 3, {
      what: 'three brokers',
    });
    const created = await clients[0]!.request(19, 5, {
      topics: [{ name: 'spread', numPartitions: 6, replicationFactor: 2, assignments: [], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(created.topics[0]!.errorCode).toBe(0);

    const view = await waitFor(
      async () => {
        const response = await metadata(clients[2]!, ['spread']);
        const topic = response.topics[0]!;
        return topic.errorCode === 0 && topic.partitions.every((p) => p.leaderId > 0) ? topic : null;
      },
      { what: 'topic visible on broker 3' },
    );
    const leaders = view.partitions.map((p) => p.leaderId);
    expect(new Set(leaders)).toEqual(new Set([1, 2, 3]));
    for (const p of view.partitions) {
      expect(p.replicaNodes).toHaveLength(2);
      expect(p.replicaNodes[0]).toBe(p.leaderId);
    }

    for (const p of view.partitions) {
      const records = encodeRecordBatchSync({
        records: [{ key: null, value: Buffer.from(`p${p.partitionIndex}`) }],
      });
      const produce = (client: RawKafkaConnection, acks = 1, timeoutMs = 5_000) =>
        client.request(0, 7, {
          transactionalId: null,
          acks,
          timeoutMs,
          topicData: [{ name: 'spread', partitionData: [{ index: p.partitionIndex, records }] }],
        });
      const leader = await produce(clients[p.leaderId - 1]!);
      expect(leader.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
      // Brokers that are not the leader refuse, so the client refreshes metadata.
      const other = clients[p.leaderId % 3]!;
      expect((await produce(other)).responses[0]!.partitionResponses[0]!.errorCode).toBe(6);
    }
    // The follower fetches from the leader, so acks=all completes once it has the batch.
    const first = view.partitions[0]!;
    const records = encodeRecordBatchSync({ records: [{ key: null, value: Buffer.from('all') }] });
    const waited = await clients[first.leaderId - 1]!.request(0, 7, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: 'spread', partitionData: [{ index: first.partitionIndex, records }] }],
    });
    expect(waited.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 1n });
    // Replicas exist on disk exactly where assigned.
    for (const p of view.partitions) {
      for (const id of [1, 2, 3]) {
        const dir = join(dataDir, `broker-${id}`, `spread-${p.partitionIndex}`);
        expect(await exists(dir), `${dir}`).toBe(p.replicaNodes.includes(id));
      }
    }
  });

  it('a deletion requested on one broker is carried out once and every broker drops its replicas', async () => {
    const deleted = await clients[1]!.request(20, 4, { topicNames: ['spread'], timeoutMs: 10_000 });
    expect(deleted.responses[0]).toMatchObject({ name: 'spread', errorCode: 0 });
    for (const client of clients) {
      await waitFor(async () => (await metadata(client, ['spread'])).topics[0]!.errorCode === 3, {
        what: 'topic gone everywhere',
      });
    }
    for (const id of [1, 2, 3]) {
      for (let p = 0; p < 6; p++) {
        await waitFor(async () => !(await exists(join(dataDir, `broker-${id}`, `spread-${p}`))), {
          what: `broker ${id} replica ${p} removed`,
        });
      }
    }
  });

  it('replication factor above the live brokers is refused with 38', async () => {
    const response = await clients[0]!.request(19, 5, {
      topics: [{ name: 'too-many', numPartitions: 1, replicationFactor: 4, assignments: [], configs: [] }],
      timeoutMs: 5_000,
      validateOnly: false,
    });
    expect(response.topics[0]!.errorCode).toBe(38);
  });
});
