/**
 * A replicated cluster for the broker benchmarks: one embedded coordinator in this process and
 * `count` `sluice broker` processes (started by startBenchBroker, pointed at the shared coordinator),
 * plus a topic creator that waits until every partition has a leader and a full ISR, so the first
 * acks=all batch is not timed against replicas still catching up.
 */
import { KafkaAdmin } from '../client/admin.js';
import { startZooKeeperServer } from '../coordinator/server/index.js';
import { startBenchBroker, type BenchBroker } from './broker-bench-support.js';

export interface BenchCluster {
  /** Comma-separated bootstrap list of every broker. */
  bootstrap: string;
  /** The shared coordinator's connection string. */
  zookeeper: string;
  brokers: BenchBroker[];
  close(): Promise<void>;
}

export async function startBenchCluster(
  count: number,
  overrides: Record<string, string> = {},
): Promise<BenchCluster> {
  const zookeeper = await startZooKeeperServer({ port: 0 });
  const brokers: BenchBroker[] = [];
  const close = async () => {
    // One at a time, highest id first: brokers still running see an orderly departure, not a crash.
    for (const b of [...brokers].reverse()) await b.close();
    await zookeeper.close();
  };
  try {
    const started = await Promise.allSettled(
      Array.from({ length: count }, (_, i) =>
        startBenchBroker({
          'broker.id': String(i + 1),
          'zookeeper.connect': zookeeper.connectionString,
          ...overrides,
        }),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') brokers.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (error) {
    await close();
    throw error;
  }
  return {
    bootstrap: brokers.map((b) => b.bootstrap).join(','),
    zookeeper: zookeeper.connectionString,
    brokers,
    close,
  };
}

export async function createReplicatedTopic(
  bootstrap: string,
  name: string,
  partitions: number,
  replicationFactor: number,
  configs: Record<string, string> = {},
): Promise<void> {
  const admin = await KafkaAdmin.create({ bootstrapServers: bootstrap.split(',') });
  try {
    const [result] = await admin.createTopics([
      { name, numPartitions: partitions, replicationFactor, configs },
    ]);
    if (result?.error) throw result.error;
    for (let i = 0; i < 400; i++) {
      const topic = (await admin.client.refreshMetadata([name])).topic(name);
      const ready =
        topic?.partitions.length === partitions &&
        topic.partitions.every((p) => p.leader >= 0 && p.isr.length === replicationFactor);
      if (ready) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`topic ${name} has no leaders or a short ISR`);
  } finally {
    await admin.close();
  }
}
