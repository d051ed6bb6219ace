import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { componentLogger } from '../log/logger.js';
import { fourLetterWord, serverMode } from './four-letter-word.js';

/**
 * Starts real Apache ZooKeeper 3.8 (Debian's `zookeeper` package) on loopback: one standalone node or an
 * N-node ensemble. Used by the conformance suite, the coordinator bench and `sluice dev
 * --zookeeper-ensemble N`. Each node is a JVM running QuorumPeerMain with its own config and data dir.
 */

const log = componentLogger('apache-zookeeper');

/** Debian's jar; its manifest Class-Path lists every dependency jar, so it is the whole classpath. */
const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
const JAVA = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : '/usr/bin/java';

export const APACHE_ZOOKEEPER_INSTALL_HINT =
  "Apache ZooKeeper is not installed: install Debian's zookeeper package: apt-get install zookeeper";

export function apacheZooKeeperAvailable(): boolean {
  return existsSync(ZOOKEEPER_JAR) && existsSync(JAVA);
}

export interface ApacheZooKeeperOptions {
  /** 1 = standalone; otherwise a quorum ensemble (default 3). */
  nodes?: number;
  /** Parent directory for the nodes' data; a fresh temp dir (removed on close) if absent. */
  dataDir?: string;
  /** Milliseconds; sessions may last 2–20 ticks. Default 500 so expiry tests are quick. */
  tickTime?: number;
  /** Extra zoo.cfg lines (key → value), e.g. `{ forceSync: 'no' }`. */
  extraConfig?: Record<string, string>;
  /**
   * JVM flags. Default: small heap, serial GC and C1-only JIT, which start fast for tests; benchmarks
   * pass `SERVER_JVM_OPTIONS` (full JIT) instead.
   */
  jvmOptions?: string[];
  /** How long to wait for the ensemble to serve. Default 60 s (JVM start is slow on a busy machine). */
  startTimeoutMs?: number;
}

export interface ApacheZooKeeperNode {
  /** 1-based myid. */
  id: number;
  /** Client port on 127.0.0.1. */
  port: number;
  /** Kills this node's JVM (SIGTERM, SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts this node again (same data) and waits until it serves. */
  start(): Promise<void>;
  isRunning(): boolean;
  /** The JVM's process id while it runs. */
  readonly pid: number | undefined;
}

export interface ApacheZooKeeper {
  connectionString: string;
  nodes: ApacheZooKeeperNode[];
  /** Stops every JVM and removes the data dir if the harness created it. */
  close(): Promise<void>;
}

export const TEST_JVM_OPTIONS = ['-Xms32m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
export const SERVER_JVM_OPTIONS = ['-Xms512m', '-Xmx512m'];

const runningJvms = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A JVM must never outlive the Node process that started it, whatever happens to the caller. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const jvm of runningJvms) jvm.kill('SIGKILL');
  });
}

async function reservePorts(count: number): Promise<number[]> {
  // Held open together so that no port repeats; released just before the JVMs bind them.
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port assigned');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

interface NodePorts {
  client: number;
  quorum: number;
  election: number;
}

function zooCfg(
  nodeDir: string,
  ports: NodePorts,
  allPorts: NodePorts[],
  tickTime: number,
  extra: Record<string, string>,
): string {
  const lines: Record<string, string> = {
    tickTime: String(tickTime),
    initLimit: '20',
    syncLimit: '10',
    dataDir: nodeDir,
    clientPort: String(ports.client),
    clientPortAddress: '127.0.0.1',
    '4lw.commands.whitelist': '*',
    'admin.enableServer': 'false',
    // 64 MiB preallocated log files per node would waste disk and time in tests.
    preAllocSize: '4096',
    maxClientCnxns: '0',
    standaloneEnabled: 'true',
    ...extra,
  };
  const out = Object.entries(lines).map(([key, value]) => `${key}=${value}`);
  if (allPorts.length > 1) {
    allPorts.forEach((p, index) => out.push(`server.${index + 1}=127.0.0.1:${p.quorum}:${p.election}`));
  }
  return out.join('\n') + '\n';
}

async function waitUntilServing(port: number, child: ChildProcess, timeoutMs: number, quorum: boolean) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `ZooKeeper on port ${port} exited (${child.exitCode ?? child.signalCode}) while starting`,
      );
    }
    try {
      const mode = serverMode(await fourLetterWord('127.0.0.1', port, 'srvr', 1_000));
      if (mode !== undefined && (quorum ? mode === 'leader' || mode === 'follower' : true)) return mode;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`ZooKeeper on port ${port} not serving after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startApacheZooKeeper(options: ApacheZooKeeperOptions = {}): Promise<ApacheZooKeeper> {
  if (!apacheZooKeeperAvailable()) throw new Error(APACHE_ZOOKEEPER_INSTALL_HINT);
  installExitHook();
  const count = options.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`nodes must be a positive integer, got ${count}`);
  const tickTime = options.tickTime ?? 500;
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const ownsDir = options.dataDir === undefined;
  const baseDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'sluice-apache-zk-')));

  const flat = await reservePorts(count * 3);
  const allPorts: NodePorts[] = Array.from({ length: count }, (_, i) => ({
    client: flat[i * 3]!,
    quorum: flat[i * 3 + 1]!,
    election: flat[i * 3 + 2]!,
  }));

  const nodes = await Promise.all(
    allPorts.map(async (ports, index) => {
      const id = index + 1;
      const nodeDir = join(baseDir, `node-${id}`);
      await mkdir(nodeDir, { recursive: true });
      await writeFile(join(nodeDir, 'myid'), `${id}\n`);
      const cfgPath = join(nodeDir, 'zoo.cfg');
      await writeFile(cfgPath, zooCfg(nodeDir, ports, allPorts, tickTime, options.extraConfig ?? {}));
      const jvmOptions = options.jvmOptions ?? TEST_JVM_OPTIONS;
      return new JvmNode(id, ports.client, nodeDir, cfgPath, count > 1, startTimeoutMs, jvmOptions);
    }),
  );

  try {
    await Promise.all(nodes.map((node) => node.start()));
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    if (ownsDir) await rm(baseDir, { recursive: true, force: true });
    throw error;
  }
  const connectionString = allPorts.map((p) => `127.0.0.1:${p.client}`).join(',');
  log.info({ connectionString, nodes: count }, 'Apache ZooKeeper serving');

  return {
    connectionString,
    nodes,
    async close() {
      await Promise.all(nodes.map((node) => node.stop()));
      if (ownsDir) await rm(baseDir, { recursive: true, force: true });
    },
  };
}

class JvmNode implements ApacheZooKeeperNode {
  private child: ChildProcess | undefined;

  constructor(
    readonly id: number,
    readonly port: number,
    private readonly nodeDir: string,
    private readonly cfgPath: string,
    private readonly quorum: boolean,
    private readonly startTimeoutMs: number,
    private readonly jvmOptions: string[],
  ) {}

  get pid(): number | undefined {
    return this.isRunning() ? this.child!.pid : undefined;
  }

  isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.isRunning()) return;
    // The JVM's own output goes to a file: useful when a start fails, never noise on our stdout.
    const out = openSync(join(this.nodeDir, 'jvm.out'), 'a');
    const child = spawn(
      JAVA,
      [
        ...this.jvmOptions,
        `-Dzookeeper.log.dir=${this.nodeDir}`,
        '-Dzookeeper.jmx.log4j.disable=true',
        '-cp',
        `/etc/zookeeper/conf:${ZOOKEEPER_JAR}`,
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        this.cfgPath,
      ],
      { stdio: ['ignore', out, out] },
    );
    closeSync(out);
    this.child = child;
    runningJvms.add(child);
    child.once('exit', () => runningJvms.delete(child));
    await waitUntilServing(this.port, child, this.startTimeoutMs, this.quorum);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.isRunning()) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
