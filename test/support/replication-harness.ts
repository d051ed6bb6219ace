import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startBroker, type Broker } from '../../broker/broker.js';
import { resolveBrokerConfig } from '../../broker/config.js';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import type { PartitionState } from '../../coordinator/zk-paths.js';
import { decodeRecordBatchesSync, encodeRecordBatchSync } from '../../protocol/record-batch.js';
import { fetchPartitionToEnd } from './fetch-partition.js';
import { freePorts } from './ports.js';
import { waitFor } from './wait.js';
import { RawKafkaConnection } from './broker-test-support.js';

/**
 * N in-process brokers (each with its own ZooKeeper session, listener and log dir, so each runs its
 * own controller, ClusterSync and replica fetchers) on one embedded coordinator. A broker can be
 * stopped and started again on the same port and log dir. The test reads partition state straight
 * from ZooKeeper with its own session.
 */
export interface ReplicationCluster {
  zk: EmbeddedZooKeeper;
  state: ClusterState;
  ports: Map<number, number>;
  dataDir: string;
  running(id: number): boolean;
  logDir(id: number): string;
  bootstrap(): string[];
  stop(id: number): Promise<void>;
  start(id: number): Promise<void>;
  client(id: number): Promise<RawKafkaConnection>;
  partitionState(topic: string, partition: number): Promise<PartitionState | null>;
  close(): Promise<void>;
}

export async function startReplicationCluster(
  ids: number[],
  overrides: Record<string, string> = {},
): Promise<ReplicationCluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-replication-'));
  const zk = await startZooKeeperServer({ port: 0, tickTime: 200, maxSessionTimeout: 30_000 });
  const session = await ZooKeeperSession.connect(zk.connectionString);
  const state = new ClusterState(session);
  const portList = await freePorts(ids.length);
  const ports = new Map(ids.map((id, i) => [id, portList[i]!]));
  const brokers = new Map<number, Broker>();
  const clients: RawKafkaConnection[] = [];
  const logDir = (id: number) => join(dataDir, `broker-${id}`);

  const start = async (id: number) => {
    const config = resolveBrokerConfig(
      new Map(
        Object.entries({
          'broker.id': String(id),
          listeners: `PLAINTEXT://127.0.0.1:${ports.get(id)!}`,
          'log.dirs': logDir(id),
          'zookeeper.connect': zk.connectionString,
          'zookeeper.session.timeout.ms': '6000',
          'replica.fetch.wait.max.ms': '200',
          ...overrides,
        }),
      ),
    );
    brokers.set(id, await startBroker(config));
  };
  for (const id of ids) await start(id);

  return {
    zk,
    state,
    ports,
    dataDir,
    running: (id) => brokers.has(id),
    logDir,
    bootstrap: () => [...brokers.keys()].map((id) => `127.0.0.1:${ports.get(id)!}`),
    async stop(id) {
      const broker = brokers.get(id);
      brokers.delete(id);
      await broker?.close();
    },
    start,
    async client(id) {
      const client = await RawKafkaConnection.open(ports.get(id)!);
      clients.push(client);
      return client;
    },
    async partitionState(topic, partition) {
      return (await state.readPartitionState({ topic, partition }))?.value ?? null;
    },
    async close() {
      for (const client of clients) client.close();
      await Promise.all([...brokers.values()].map((b) => b.close()));
      await session.close();
      await zk.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The concatenated segment bytes of one replica (what a byte-for-byte comparison needs). */
export async function replicaBytes(logDir: string, topic: string, partition: number): Promise<Buffer> {
  const dir = join(logDir, `${topic}-${partition}`);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  return Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f)))));
}

/** Waits until every listed replica's log bytes are equal and non-empty; returns them. */
export async function waitForIdenticalReplicas(
  cluster: ReplicationCluster,
  ids: number[],
  topic: string,
  partition: number,
  minBytes = 1,
): Promise<Buffer> {
  return waitFor(
    async () => {
      const all = await Promise.all(ids.map((id) => replicaBytes(cluster.logDir(id), topic, partition)));
      const first = all[0]!;
      return first.length >= minBytes && all.every((b) => b.equals(first)) ? first : null;
    },
    { timeoutMs: 20_000, what: `replicas ${ids.join(',')} of ${topic}-${partition} byte-identical` },
  );
}

/** CreateTopics v5 of a one-partition topic on exactly `replicas` (first = preferred leader); expects success. */
export async function createTopicOnReplicas(
  client: RawKafkaConnection,
  topic: string,
  replicas: number[],
  configs: Array<{ name: string; value: string }> = [],
): Promise<void> {
  const created = await client.request(19, 5, {
    topics: [
      {
        name: topic,
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [{ partitionIndex: 0, brokerIds: replicas }],
        configs,
      },
    ],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  expect(created.topics[0]!.errorCode).toBe(0);
}

/** Waits until `client`'s broker lists `count` live brokers in its Metadata (v9). */
export async function waitForBrokersInMetadata(
  client: RawKafkaConnection,
  count: number,
  what = `${count} brokers in metadata`,
): Promise<void> {
  await waitFor(
    async () => {
      const r = await client.request(3, 9, {
        topics: null,
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      return r.brokers.length === count;
    },
    { what },
  );
}

/** Produce v7 of `values` (one batch) to partition 0 of `topic`; resolves to that partition's response. */
export function produceToPartitionZero(
  client: RawKafkaConnection,
  topic: string,
  values: string[],
  acks: number,
  timeoutMs = 10_000,
) {
  const records = encodeRecordBatchSync({
    records: values.map((value) => ({ key: null, value: Buffer.from(value) })),
  });
  return client
    .request(0, 7, {
      transactionalId: null,
      acks,
      timeoutMs,
      topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
    })
    .then((r) => r.responses[0]!.partitionResponses[0]!);
}

/** Record values in log bytes, in offset order. */
export function valuesIn(bytes: Buffer): string[] {
  return decodeRecordBatchesSync(bytes).flatMap((batch) =>
    batch.records.map((record) => record.value?.toString() ?? ''),
  );
}

/** Reads a partition from `fromOffset` to the high watermark as a consumer (replica_id -1). */
export async function consumeAll(
  client: RawKafkaConnection,
  topic: string,
  partition: number,
): Promise<{ values: string[]; highWatermark: bigint; errorCode: number }> {
  const read = await fetchPartitionToEnd((body) => client.request(1, 11, body), topic, partition, {
    maxBytes: 50 * 1024 * 1024,
    partitionMaxBytes: 10 * 1024 * 1024,
  });
  const values = read.batches.flatMap((batch) => batch.records.map((r) => r.value?.toString() ?? ''));
  return { values, highWatermark: read.highWatermark, errorCode: read.errorCode };
}
