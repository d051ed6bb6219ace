import { Option, type Command } from 'commander';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import {
  APACHE_ZOOKEEPER_INSTALL_HINT,
  apacheZooKeeperAvailable,
  startApacheZooKeeper,
} from '../../coordinator/apache-ensemble.js';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { startZooKeeperServer } from '../../coordinator/server/index.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { configureLogging, LOG_LEVELS, type LogFormat, type LogLevel } from '../../log/logger.js';
import { integerOption, keyValueOption } from './client-options.js';
import { BROKER_NODE_FLAGS } from '../broker-node-flags.js';
import { parentLinkSpawn } from '../parent-link.js';
import { checkPreviousRun, removeDevRun, writeDevRun } from './dev-run-file.js';

interface DevOptions {
  brokers: number;
  dataDir: string;
  port: number;
  zookeeperPort: number;
  host: string;
  zookeeperEnsemble?: number;
  override?: Record<string, string>;
  logLevel: LogLevel;
  logFormat: LogFormat;
}

/** Whichever ZooKeeper the brokers use: the embedded server or a local Apache ensemble. */
interface DevCoordinator {
  connectionString: string;
  /** Processes of its own (an Apache ensemble's JVMs), for the pid file. */
  nodes?: { id: number; pid: number | undefined }[];
  close(): Promise<void>;
}

interface BrokerChild {
  id: number;
  port: number;
  logDir: string;
  child: ChildProcess;
  exited: Promise<void>;
  listening: boolean;
}

const STOP_GRACE_MS = 10_000;
const START_TIMEOUT_MS = 60_000;

/**
 * `sluice dev`: the embedded coordinator (in this process) and N brokers (child processes running
 * `sluice broker`), one process tree for a laptop. Ctrl-C stops the brokers first, then the coordinator.
 * What a new user needs (addresses, how to stop) goes to stdout as `sluice dev: …` lines; the
 * coordinator's and brokers' logs go to stderr at `warn` unless --log-level asks for more, as one
 * readable line per record (`--log-format json` keeps pino's JSON).
 */
export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description('run the embedded coordinator and N brokers together (one process tree)')
    .option('--brokers <n>', 'number of brokers', integerOption('brokers', 1, 64), 1)
    .option('--data-dir <dir>', 'coordinator and broker data live under this directory', './data')
    .option(
      '--port <port>',
      'first broker port; brokers use port, port+1, … (0 = free ports)',
      integerOption('port', 0, 65535),
      9092,
    )
    .option(
      '--zookeeper-port <port>',
      'coordinator port (0 = a free port)',
      integerOption('zookeeper port', 0, 65535),
      2181,
    )
    .option('--host <host>', 'address everything listens on', '127.0.0.1')
    .option(
      '--zookeeper-ensemble <n>',
      "run an N-node Apache ZooKeeper ensemble (Debian's zookeeper package) instead of the embedded coordinator; --zookeeper-port is ignored",
      integerOption('zookeeper ensemble', 1, 9),
    )
    .option('--override <key=value>', 'broker config for every broker (repeatable)', keyValueOption)
    .addOption(
      new Option('--log-level <level>', 'coordinator and broker log level (logs go to stderr)')
        .choices(LOG_LEVELS)
        .default('warn')
        .env('SLUICE_LOG_LEVEL'),
    )
    .addOption(
      new Option('--log-format <format>', 'pretty: one readable line per log record; json: pino JSON')
        .choices(['pretty', 'json'])
        .default('pretty')
        .env('SLUICE_LOG_FORMAT'),
    )
    .addHelpText(
      'after',
      `
Prints the bootstrap servers and the ZooKeeper address on stdout. The coordinator's and brokers'
logs go to stderr: warnings and errors only, unless --log-level (or SLUICE_LOG_LEVEL) asks for more.

Examples:
  sluice dev                          one broker on 127.0.0.1:9092, coordinator on 127.0.0.1:2181
  sluice dev --brokers 3              three brokers (9092-9094), replication factor 3 by default
  sluice dev --log-level info         also show the brokers' and coordinator's info logs
  SLUICE_LOG_LEVEL=debug sluice dev   more still, through the environment
`,
    )
    .action(async (options: DevOptions) => {
      if (options.zookeeperEnsemble !== undefined && !apacheZooKeeperAvailable()) {
        console.error(`sluice dev: --zookeeper-ensemble: ${APACHE_ZOOKEEPER_INSTALL_HINT}`);
        process.exit(1);
      }
      const code = await runDev(options);
      process.exit(code);
    });
}

async function runDev(options: DevOptions): Promise<number> {
  const dataDir = resolve(options.dataDir);
  const say = (line: string) => console.log(`sluice dev: ${line}`);
  configureLogging({ level: options.logLevel, format: options.logFormat });
  const brokerEnv = { SLUICE_LOG_LEVEL: options.logLevel, SLUICE_LOG_FORMAT: options.logFormat };
  const brokers: BrokerChild[] = [];
  let coordinator: DevCoordinator | undefined;
  let stopping = false;
  let ownsDataDir = false;
  let resolveStopped: (code: number) => void = () => undefined;
  const stopped = new Promise<number>((r) => (resolveStopped = r));

  const stop = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    say(`stopping (${reason})`);
    await Promise.all(brokers.map((b) => stopChild(b)));
    await coordinator?.close();
    if (ownsDataDir) await removeDevRun(dataDir);
    say('stopped');
    resolveStopped(code);
  };
  process.once('SIGINT', () => void stop('SIGINT', 0));
  process.once('SIGTERM', () => void stop('SIGTERM', 0));

  try {
    await mkdir(dataDir, { recursive: true });
    const previous = await checkPreviousRun(dataDir);
    if (previous !== undefined) throw new Error(previous);
    ownsDataDir = true;
    await writeDevRun(dataDir, { pid: process.pid, brokers: [] });
    coordinator = await startCoordinator(options, dataDir, say);
    if (stopping) {
      // Ctrl-C arrived while the coordinator was starting: stop() had nothing to close yet.
      await coordinator.close();
      return await stopped;
    }
    const ports = await brokerPorts(options);
    for (let i = 0; i < options.brokers; i++) {
      if (stopping) break;
      const id = i + 1;
      const logDir = join(dataDir, `broker-${id}`);
      const overrides: Record<string, string> = {
        ...replicationDefaults(options.brokers),
        ...options.override,
        'broker.id': String(id),
        listeners: `PLAINTEXT://${options.host}:${ports[i]}`,
        'log.dirs': logDir,
        'zookeeper.connect': coordinator.connectionString,
      };
      brokers.push(
        startBrokerChild(id, ports[i]!, logDir, overrides, brokerEnv, (b, how) => {
          if (!stopping) say(`broker ${b.id} exited unexpectedly (${how})`);
        }),
      );
    }
    await writeDevRun(dataDir, {
      pid: process.pid,
      brokers: brokers.map((b) => ({ id: b.id, pid: b.child.pid ?? 0 })),
      zookeeperNodes: (coordinator.nodes ?? []).map((n) => ({ id: n.id, pid: n.pid ?? 0 })),
    });
    await waitUntilRegistered(coordinator.connectionString, brokers, () => stopping);
    if (!stopping) {
      const bootstrap = brokers.map((b) => `${options.host}:${b.port}`).join(',');
      say(`${brokers.length} broker(s) registered`);
      say(`bootstrap servers: ${bootstrap}`);
      say(`zookeeper: ${coordinator.connectionString}`);
      const effective = { ...replicationDefaults(options.brokers), ...options.override };
      say(
        `new topics: replication factor ${effective['default.replication.factor']}, min.insync.replicas ${effective['min.insync.replicas'] ?? 1}`,
      );
      say(`logs: ${options.logLevel} and above on stderr (--log-level info shows more)`);
      say('press Ctrl-C to stop');
    }
  } catch (error) {
    console.error(`sluice dev: ${error instanceof Error ? error.message : String(error)}`);
    await stop('startup failed', 1);
  }
  return stopped;
}

/**
 * A cluster of N brokers gets Kafka's production-style durability by default: replication factor
 * min(3, N) and, from three brokers on, min.insync.replicas 2 (so one broker may die without losing
 * acks=all writes or availability). `--override` wins.
 */
export function replicationDefaults(brokers: number): Record<string, string> {
  const defaults: Record<string, string> = {
    'default.replication.factor': String(Math.min(3, brokers)),
  };
  if (brokers >= 3) defaults['min.insync.replicas'] = '2';
  return defaults;
}

async function startCoordinator(
  options: DevOptions,
  dataDir: string,
  say: (line: string) => void,
): Promise<DevCoordinator> {
  if (options.zookeeperEnsemble !== undefined) {
    const ensembleDir = join(dataDir, 'zookeeper-ensemble');
    say(`starting a ${options.zookeeperEnsemble}-node Apache ZooKeeper ensemble (data ${ensembleDir})`);
    const ensemble = await startApacheZooKeeper({
      nodes: options.zookeeperEnsemble,
      dataDir: ensembleDir,
      tickTime: 2000,
    });
    say(`Apache ZooKeeper ensemble serving on ${ensemble.connectionString}`);
    return ensemble;
  }
  const coordinatorDir = join(dataDir, 'coordinator');
  const embedded = await startZooKeeperServer({
    host: options.host,
    port: options.zookeeperPort,
    dataDir: coordinatorDir,
    // checkPreviousRun found none of a previous run's brokers alive: their registrations go now.
    restoredSessionsEnded: true,
  });
  say(`coordinator listening on ${embedded.connectionString} (data ${coordinatorDir})`);
  return embedded;
}

async function brokerPorts(options: DevOptions): Promise<number[]> {
  if (options.port !== 0) return Array.from({ length: options.brokers }, (_, i) => options.port + i);
  // Hold every probe socket open together so the kernel hands out distinct ports.
  const servers = await Promise.all(
    Array.from({ length: options.brokers }, () => {
      const server = createServer();
      return new Promise<import('node:net').Server>((ok, fail) => {
        server.once('error', fail);
        server.listen(0, options.host, () => ok(server));
      });
    }),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function startBrokerChild(
  id: number,
  port: number,
  logDir: string,
  overrides: Record<string, string>,
  logEnv: Record<string, string>,
  onUnexpectedExit: (broker: BrokerChild, how: string) => void,
): BrokerChild {
  const script = process.argv[1]!;
  const args = [...process.execArgv, ...BROKER_NODE_FLAGS, script, 'broker'];
  for (const [key, value] of Object.entries(overrides)) args.push('--override', `${key}=${value}`);
  // The fourth pipe ties the broker's life to this process: it stops when dev dies, even by SIGKILL.
  const link = parentLinkSpawn();
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe', link.stdio],
    env: { ...process.env, ...logEnv, ...link.env },
  });
  const broker: BrokerChild = { id, port, logDir, child, exited: Promise.resolve(), listening: false };
  broker.exited = new Promise((done) =>
    child.once('exit', (code, signal) => {
      onUnexpectedExit(broker, signal ?? `exit code ${code}`);
      done();
    }),
  );
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.includes(`sluice broker ${id} listening on`)) broker.listening = true;
    console.log(`[broker ${id}] ${line}`);
  });
  // Log records (and a crash's stack trace) stay on stderr, tagged with the broker they came from.
  createInterface({ input: child.stderr! }).on('line', (line) => console.error(`[broker ${id}] ${line}`));
  return broker;
}

/** Waits until every broker printed its listening line and its /brokers/ids/<id> node exists. */
async function waitUntilRegistered(
  zookeeper: string,
  brokers: BrokerChild[],
  cancelled: () => boolean,
): Promise<void> {
  const session = await ZooKeeperSession.connect(zookeeper, { connectTimeoutMs: 10_000 });
  try {
    const state = new ClusterState(session);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (cancelled()) return;
      const dead = brokers.find((b) => b.child.exitCode !== null || b.child.signalCode !== null);
      if (dead) throw new Error(`broker ${dead.id} exited before registering`);
      const ids = new Set(await state.listBrokerIds());
      if (brokers.every((b) => b.listening && ids.has(b.id))) return;
      if (Date.now() > deadline)
        throw new Error(`brokers not registered within ${START_TIMEOUT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await session.close();
  }
}

/** SIGTERM, then SIGKILL after a grace period. */
async function stopChild(broker: BrokerChild): Promise<void> {
  const { child } = broker;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await broker.exited;
  clearTimeout(timer);
}
