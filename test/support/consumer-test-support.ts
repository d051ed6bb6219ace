import { join } from 'node:path';
import { KafkaAdmin } from '../../client/admin.js';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { projectRoot, runToEnd, startSluice, type RunningProcess } from './processes.js';
import { startSingleBroker, type SingleBroker } from './single-broker.js';

/**
 * What the consumer-group tests share: one broker and the embedded coordinator, a ZooKeeper session
 * for inspecting the group, topics created through the broker, records produced with kcat (a client
 * we did not write), and `sluice consume` processes whose output is parsed back.
 */
export interface GroupCluster {
  broker: SingleBroker;
  zookeeper: string;
  state: ClusterState;
  createTopic(name: string, partitions: number): Promise<void>;
  /** Produces `values` to one partition with kcat (acks=all), one record per value. */
  produce(topic: string, partition: number, values: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export async function startGroupCluster(): Promise<GroupCluster> {
  const broker = await startSingleBroker();
  const zookeeper = broker.zookeeper.connectionString;
  const session = await ZooKeeperSession.connect(zookeeper);
  const state = new ClusterState(session);
  const admin = await KafkaAdmin.create({ bootstrapServers: [broker.bootstrap] });
  return {
    broker,
    zookeeper,
    state,
    async createTopic(name, partitions) {
      const [result] = await admin.createTopics([{ name, numPartitions: partitions, replicationFactor: 1 }]);
      if (result?.error) throw result.error;
    },
    async produce(topic, partition, values) {
      await runToEnd(
        'kcat',
        ['-P', '-b', broker.bootstrap, '-t', topic, '-p', String(partition), '-X', 'acks=all'],
        { input: values.join('\n') + '\n', timeoutMs: 60_000 },
      );
    },
    async close() {
      await admin.close();
      await session.close();
      await broker.close();
    },
  };
}

export interface JsonRecord {
  topic: string;
  partition: number;
  offset: number;
  value: string;
}

const parsedOutput = new WeakMap<RunningProcess, { parsedUpTo: number; records: JsonRecord[] }>();

/**
 * The records a `sluice consume --format json` process printed so far. Parses only the lines added
 * since the last call: tests poll this while tens of thousands of records arrive, and re-parsing all
 * of them every poll would starve the coordinator that runs in the test process.
 */
export function recordsOf(process: RunningProcess): JsonRecord[] {
  const parsed = parsedOutput.get(process) ?? { parsedUpTo: 0, records: [] };
  parsedOutput.set(process, parsed);
  const out = process.stdout();
  const end = out.lastIndexOf('\n') + 1;
  if (end > parsed.parsedUpTo) {
    for (const line of out.slice(parsed.parsedUpTo, end).split('\n'))
      if (line.startsWith('{')) parsed.records.push(JSON.parse(line) as JsonRecord);
    parsed.parsedUpTo = end;
  }
  return parsed.records;
}

export function startConsumer(zookeeper: string, topic: string, args: string[] = []): RunningProcess {
  return startSluice(['consume', topic, '--zookeeper', zookeeper, '--format', 'json', '--verbose', ...args]);
}

/** Runs the sluice CLI to the end (exit code and output, never throwing on failure). */
export function sluice(args: string[], timeoutMs = 60_000) {
  return runToEnd(process.execPath, ['--import', 'tsx', join(projectRoot, 'cli', 'main.ts'), ...args], {
    allowFailure: true,
    timeoutMs,
    env: { ...process.env, VITEST: undefined, SLUICE_LOG_LEVEL: 'warn' },
  });
}

/** One `--verbose` line: `sluice consume: <ms> <what> <partitions…>`. */
export interface OwnershipEvent {
  at: number;
  kind: 'assigned' | 'revoked' | 'lost' | 'delivered' | 'generation' | 'joined';
  partitions: string[];
  line: string;
}

export function ownershipEvents(process: RunningProcess): OwnershipEvent[] {
  const events: OwnershipEvent[] = [];
  for (const line of process.stderr().split('\n')) {
    const match = /^sluice consume: (\d+) (assigned|revoked|lost|delivered|generation|joined) (\S*)/.exec(
      line,
    );
    if (!match) continue;
    const kind = match[2] as OwnershipEvent['kind'];
    const partitions =
      kind === 'assigned' || kind === 'revoked' || kind === 'lost' || kind === 'delivered'
        ? match[3]!.split(',').filter((p) => p.length > 0)
        : [];
    events.push({ at: Number(match[1]), kind, partitions, line });
  }
  return events;
}

/** The values 0..count-1 of a partition, tagged so that every record in a test is unique. */
export function valuesFor(tag: string, partition: number, count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => `${tag}-p${partition}-${from + i}`);
}
