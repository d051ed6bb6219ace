import type { SpawnOptions } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REQUEST_FAULTS_ENV, type RequestFaultRule } from '../../broker/network/request-faults.js';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { startSluiceBroker } from './broker-process.js';
import { freePorts } from './ports.js';
import type { RunningProcess } from './processes.js';
import { waitFor } from './wait.js';

/**
 * `sluice broker` processes 1..n on one embedded coordinator, each with its own port and log dir; the
 * test reads cluster state from ZooKeeper with its own session. A test that kills a broker removes it
 * from `brokers`; close() kills the rest and removes the data.
 */
export interface ProcessCluster {
  zk: EmbeddedZooKeeper;
  state: ClusterState;
  dir: string;
  /** ports[id - 1] is broker id's port. */
  ports: number[];
  brokers: Map<number, RunningProcess>;
  bootstrap(ids: number[]): string[];
  close(): Promise<void>;
}

export interface ProcessClusterOptions {
  brokers: number;
  /** Broker config for every broker (Kafka key names). */
  overrides: Record<string, string>;
  spawn?: SpawnOptions;
}

export async function startProcessCluster(options: ProcessClusterOptions): Promise<ProcessCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-processes-'));
  const zk = await startZooKeeperServer({ port: 0, tickTime: 200, maxSessionTimeout: 30_000 });
  const session = await ZooKeeperSession.connect(zk.connectionString);
  const brokers = new Map<number, RunningProcess>();
  const close = async () => {
    await Promise.all([...brokers.values()].map((b) => b.kill('SIGKILL')));
    await session.close();
    await zk.close();
    await rm(dir, { recursive: true, force: true });
  };
  const ports = await freePorts(options.brokers);
  try {
    const ids = Array.from({ length: options.brokers }, (_, i) => i + 1);
    await Promise.all(
      ids.map(async (id) => {
        const broker = await startSluiceBroker({
          id,
          port: ports[id - 1]!,
          logDir: join(dir, `broker-${id}`),
          zookeeper: zk.connectionString,
          overrides: options.overrides,
          ...(options.spawn ? { spawn: options.spawn } : {}),
        });
        brokers.set(id, broker);
      }),
    );
  } catch (error) {
    await close();
    throw error;
  }
  return {
    zk,
    state: new ClusterState(session),
    dir,
    ports,
    brokers,
    bootstrap: (ids) => ids.map((id) => `127.0.0.1:${ports[id - 1]!}`),
    close,
  };
}

/** Spawn options for brokers that take test request faults on their stdin (see setRequestFaults). */
export const REQUEST_FAULTS_SPAWN: SpawnOptions = {
  stdio: ['pipe', 'pipe', 'pipe'],
  env: { [REQUEST_FAULTS_ENV]: 'stdin' }, // startSluice adds the rest of the environment
};

/** Replaces the request-fault rules of a broker started with REQUEST_FAULTS_SPAWN; resolves once taken. */
export async function setRequestFaults(broker: RunningProcess, rules: RequestFaultRule[]): Promise<void> {
  const taken = () => broker.stdout().split('request faults set').length;
  const before = taken();
  broker.child.stdin!.write(`${JSON.stringify(rules)}\n`);
  await waitFor(() => taken() > before, { what: 'the broker took the request-fault rules' });
}

/** How many requests the broker has faulted so far (it logs each one). */
export function requestFaultsApplied(broker: RunningProcess): number {
  return broker.stderr().split('test request fault').length - 1;
}
