import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  APACHE_ZOOKEEPER_INSTALL_HINT,
  apacheZooKeeperAvailable,
  startApacheZooKeeper,
} from '../../../coordinator/apache-ensemble.js';
import { startZooKeeperServer } from '../../../coordinator/server/index.js';
import { ZooKeeperSession, type ZooKeeperSessionOptions } from '../../../coordinator/zk-session.js';

/**
 * The servers the coordinator conformance suite runs against: the embedded sluice server and a real
 * 3-node Apache ZooKeeper 3.8 ensemble on loopback. The same assertions run against both; where they
 * disagree, Apache ZooKeeper is the reference.
 */
export type ZooKeeperTargetName = 'embedded' | 'apache-ensemble' | 'apache-standalone';

export interface ZooKeeperTarget {
  name: ZooKeeperTargetName;
  connectionString: string;
  /** One server's client port (a test's proxy fronts this one). */
  primaryPort: number;
  close(): Promise<void>;
}

/** Small ticks so that session-expiry tests take about a second: sessions last [2, 20] × tickTime. */
export const TEST_TICK_TIME_MS = 500;

/** SLUICE_ZK_TARGETS=embedded (comma-separated) narrows a local run; CI runs both. */
export const CONFORMANCE_TARGETS: ZooKeeperTargetName[] = (
  process.env.SLUICE_ZK_TARGETS?.split(',') ?? ['embedded', 'apache-ensemble']
).map((name) => name.trim() as ZooKeeperTargetName);

async function startEmbedded(): Promise<ZooKeeperTarget> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-zk-conformance-'));
  const server = await startZooKeeperServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    tickTime: TEST_TICK_TIME_MS,
  });
  return {
    name: 'embedded',
    connectionString: server.connectionString,
    primaryPort: server.port,
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function startApache(nodes: number, name: ZooKeeperTargetName): Promise<ZooKeeperTarget> {
  if (!apacheZooKeeperAvailable()) throw new Error(APACHE_ZOOKEEPER_INSTALL_HINT);
  const zk = await startApacheZooKeeper({ nodes, tickTime: TEST_TICK_TIME_MS });
  return {
    name,
    connectionString: zk.connectionString,
    primaryPort: zk.nodes[0]!.port,
    close: () => zk.close(),
  };
}

export function startTarget(name: ZooKeeperTargetName): Promise<ZooKeeperTarget> {
  switch (name) {
    case 'embedded':
      return startEmbedded();
    case 'apache-ensemble':
      return startApache(3, name);
    case 'apache-standalone':
      return startApache(1, name);
  }
}

/** Opens sessions for one test and closes them all afterwards. */
export class SessionPool {
  private readonly open: ZooKeeperSession[] = [];

  constructor(private readonly connectionString: () => string) {}

  async connect(
    options: ZooKeeperSessionOptions & { connectionString?: string } = {},
  ): Promise<ZooKeeperSession> {
    const session = await ZooKeeperSession.connect(options.connectionString ?? this.connectionString(), {
      sessionTimeoutMs: 10_000,
      connectTimeoutMs: 20_000,
      spinDelayMs: 100,
      ...options,
    });
    this.open.push(session);
    return session;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map((session) => session.close()));
  }
}

/** A fresh top-level path per test, so tests sharing one server never see each other's nodes. */
export async function uniqueRoot(session: ZooKeeperSession, label: string): Promise<string> {
  const root = `/${label}-${randomBytes(4).toString('hex')}`;
  await session.create(root);
  return root;
}
