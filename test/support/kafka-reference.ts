import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './ports.js';
import { startProcess, type RunningProcess } from './processes.js';
import { jvmOptions, KafkaTool, type ToolDriver } from './kafka-tools.js';
import { waitFor } from './wait.js';

/**
 * A single Apache Kafka broker (KRaft, combined broker and controller) from the Maven jars, on free
 * loopback ports and a fresh log dir: the reference the differential compat tier compares sluice with.
 */
export interface KafkaReference {
  /** "127.0.0.1:port" of the broker listener. */
  bootstrap: string;
  port: number;
  process: RunningProcess;
  close(): Promise<void>;
}

export interface KafkaReferenceOptions {
  /** Extra server.properties entries. */
  overrides?: Record<string, string>;
}

const NODE_ID = 1;

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Formats the storage (through `driver`, saving a JVM start) and starts the broker. */
export async function startKafkaReference(
  driver: ToolDriver,
  classpath: string,
  { overrides = {} }: KafkaReferenceOptions = {},
): Promise<KafkaReference> {
  const dir = await mkdtemp(join(tmpdir(), 'kafka-reference-'));
  const [port, controllerPort] = (await freePorts(2)) as [number, number];
  const config: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(NODE_ID),
    'controller.quorum.voters': `${NODE_ID}@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': join(dir, 'data'),
    'metadata.log.dir': join(dir, 'metadata'),
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '4',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    'num.partitions': '1',
    ...overrides,
  };
  const properties = join(dir, 'server.properties');
  await writeFile(
    properties,
    Object.entries(config)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );

  const clusterId = randomBytes(16).toString('base64url');
  const format = await driver.run(KafkaTool.storage, ['format', '-t', clusterId, '-c', properties]);
  if (format.code !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`kafka-storage format exited ${format.code}:\n${format.stdout}\n${format.stderr}`);
  }

  // Its own process group, so stopping it can never leave a JVM behind.
  const kafka = startProcess('java', [...jvmOptions, '-cp', classpath, 'kafka.Kafka', properties], {
    detached: true,
  });
  const close = async () => {
    try {
      if (kafka.child.pid !== undefined && kafka.child.exitCode === null)
        process.kill(-kafka.child.pid, 'SIGTERM');
      await kafka.kill('SIGTERM', 30_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  try {
    await Promise.race([
      waitFor(() => canConnect(port), {
        timeoutMs: 120_000,
        intervalMs: 200,
        what: 'Apache Kafka to listen',
      }),
      kafka.exited.then((code) => {
        throw new Error(`Apache Kafka exited (${code}) while starting:\n${kafka.stderr().slice(-4000)}`);
      }),
    ]);
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return { bootstrap: `127.0.0.1:${port}`, port, process: kafka, close };
}
