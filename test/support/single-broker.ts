import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaAdmin } from '../../client/admin.js';
import { KafkaConnection, parseAddress } from '../../client/kafka-connection.js';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { freePort } from './ports.js';
import { startSluiceBroker } from './broker-process.js';
import type { RunningProcess } from './processes.js';
import { waitFor } from './wait.js';

/**
 * One real broker for client-facing tests: the embedded coordinator in the test process and
 * `sluice broker` as a separate process, on free ports, with its log dir in a fresh temp directory.
 * The broker can be SIGKILLed and restarted on the same log dir.
 */
export interface SingleBroker {
  zookeeper: EmbeddedZooKeeper;
  /** "127.0.0.1:port" of the broker. */
  bootstrap: string;
  port: number;
  logDir: string;
  process: RunningProcess;
  /** Stops the broker with `signal` and waits until its registration is gone from ZooKeeper. */
  stopBroker(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the broker again on the same port and log dir (after stopBroker). */
  restartBroker(extraOverrides?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

export interface SingleBrokerOptions {
  /** Extra broker config (Kafka key names). */
  overrides?: Record<string, string>;
  /**
   * ZooKeeper session timeout of the broker. Short values let a SIGKILLed broker's registration expire
   * quickly (restart tests) but risk expiry under heavy load; default 18 s (Kafka's).
   */
  sessionTimeoutMs?: number;
}

const BROKER_ID = 1;

export async function startSingleBroker(options: SingleBrokerOptions = {}): Promise<SingleBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-broker-'));
  // A short tick allows short session timeouts (restart tests); the range is [2, 20] ticks.
  const zookeeper = await startZooKeeperServer({ port: 0, tickTime: 200, maxSessionTimeout: 30_000 });
  const session = await ZooKeeperSession.connect(zookeeper.connectionString);
  const state = new ClusterState(session);
  const port = await freePort();
  const logDir = join(dir, 'broker-1');
  const launch = (extra: Record<string, string> = {}): Promise<RunningProcess> =>
    startSluiceBroker({
      id: BROKER_ID,
      port,
      logDir,
      zookeeper: zookeeper.connectionString,
      overrides: {
        'zookeeper.session.timeout.ms': String(options.sessionTimeoutMs ?? 18_000),
        ...options.overrides,
        ...extra,
      },
    });

  const handle: SingleBroker = {
    zookeeper,
    bootstrap: `127.0.0.1:${port}`,
    port,
    logDir,
    process: await launch().catch(async (error: unknown) => {
      await session.close();
      await zookeeper.close();
      await rm(dir, { recursive: true, force: true });
      throw error;
    }),
    async stopBroker(signal = 'SIGTERM') {
      await handle.process.kill(signal);
      await waitFor(async () => (await state.readBroker(BROKER_ID)) === null, {
        timeoutMs: 20_000,
        what: 'the stopped broker’s registration to expire',
      });
    },
    async restartBroker(extra = {}) {
      handle.process = await launch(extra);
    },
    async close() {
      await handle.process.kill('SIGTERM');
      await session.close();
      await zookeeper.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

/** A single broker with an admin client and one raw Kafka connection, for tests that build requests. */
export interface BrokerWithClients {
  broker: SingleBroker;
  admin: KafkaAdmin;
  connection: KafkaConnection;
  close(): Promise<void>;
}

export async function startBrokerWithClients(options: SingleBrokerOptions = {}): Promise<BrokerWithClients> {
  const broker = await startSingleBroker(options);
  const admin = await KafkaAdmin.create({ bootstrapServers: [broker.bootstrap] });
  const connection = await KafkaConnection.connect(parseAddress(broker.bootstrap));
  return {
    broker,
    admin,
    connection,
    async close() {
      connection.close();
      await admin.close();
      await broker.close();
    },
  };
}
