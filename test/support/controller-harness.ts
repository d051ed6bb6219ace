import { randomBytes } from 'node:crypto';
import type { Controller, StartControllerOptions } from '../../broker/controller/index.js';
import { startController } from '../../broker/controller/index.js';
import { ClusterState } from '../../coordinator/cluster-state.js';
import type { PartitionState } from '../../coordinator/zk-paths.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { startTcpProxy, type TcpProxy } from '../zk/support/tcp-proxy.js';
import { waitFor } from './wait.js';

/**
 * Brokers simulated as what the controller sees of them: a real ZooKeeper session that registers
 * /brokers/ids/<id> through ClusterState (again after an expiry), optionally running a controller on
 * the same session as a broker does. Each cluster lives under its own chroot of one shared server.
 */

export type ControllerSettings = StartControllerOptions['config'];

export const DEFAULT_SETTINGS: ControllerSettings = {
  uncleanLeaderElectionEnable: false,
  autoLeaderRebalanceEnable: false,
  deleteTopicEnable: true,
  numPartitions: 1,
  defaultReplicationFactor: 1,
};

export interface SimBrokerOptions {
  /** Run a controller on this broker's session (default true). */
  controller?: boolean;
  settings?: Partial<ControllerSettings>;
  sessionTimeoutMs?: number;
  /** Connect through a TCP relay the test can cut (to stall or expire the session). */
  viaProxy?: boolean;
  leaderRebalanceIntervalMs?: number;
}

export interface SimBroker {
  id: number;
  session: ZooKeeperSession;
  controller: Controller | undefined;
  proxy: TcpProxy | undefined;
  /** A hard stop: the session ends (ephemerals go at once) without a controlled shutdown. */
  crash(): Promise<void>;
}

export class SimCluster {
  private readonly brokers: SimBroker[] = [];
  private readonly sessions: ZooKeeperSession[] = [];

  private constructor(
    private readonly serverAddress: string,
    readonly chroot: string,
    readonly admin: ClusterState,
  ) {}

  /** `serverConnectionString` is host:port[,host:port…] of a running ZooKeeper. */
  static async create(serverConnectionString: string): Promise<SimCluster> {
    const chroot = `/ctl-${randomBytes(4).toString('hex')}`;
    const root = await ZooKeeperSession.connect(serverConnectionString, { connectTimeoutMs: 30_000 });
    await root.create(chroot);
    await root.close();
    const admin = await ZooKeeperSession.connect(`${serverConnectionString}${chroot}`, {
      sessionTimeoutMs: 10_000,
      connectTimeoutMs: 30_000,
      spinDelayMs: 100,
    });
    const cluster = new SimCluster(serverConnectionString, chroot, new ClusterState(admin));
    cluster.sessions.push(admin);
    await cluster.admin.ensureTopLevelPaths();
    return cluster;
  }

  async broker(id: number, options: SimBrokerOptions = {}): Promise<SimBroker> {
    let proxy: TcpProxy | undefined;
    let address = this.serverAddress;
    if (options.viaProxy) {
      const [host, port] = this.serverAddress.split(',')[0]!.split(':');
      proxy = await startTcpProxy(host!, Number(port));
      address = proxy.address;
    }
    const session = await ZooKeeperSession.connect(`${address}${this.chroot}`, {
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
      connectTimeoutMs: 30_000,
      spinDelayMs: 100,
    });
    this.sessions.push(session);
    await new ClusterState(session).keepBrokerRegistered({
      id,
      endpoints: [
        { listener: 'PLAINTEXT', host: '127.0.0.1', port: 9000 + id, securityProtocol: 'PLAINTEXT' },
      ],
    });
    const controller =
      options.controller === false
        ? undefined
        : await startController({
            session,
            brokerId: id,
            config: { ...DEFAULT_SETTINGS, ...options.settings },
            leaderRebalanceIntervalMs: options.leaderRebalanceIntervalMs ?? 60_000,
            retryBackoffMs: 100,
          });
    const broker: SimBroker = {
      id,
      session,
      controller,
      proxy,
      async crash() {
        await session.close();
        proxy?.restore();
      },
    };
    this.brokers.push(broker);
    return broker;
  }

  activeControllers(): SimBroker[] {
    return this.brokers.filter((b) => b.session.state !== 'closed' && b.controller?.isActive);
  }

  /** Waits until exactly one live broker is the controller and returns it. */
  async oneActiveController(timeoutMs = 15_000): Promise<SimBroker> {
    return waitFor(
      () => {
        const active = this.activeControllers();
        return active.length === 1 ? active[0] : undefined;
      },
      { timeoutMs, what: 'exactly one active controller' },
    );
  }

  async state(topic: string, partition: number): Promise<PartitionState | null> {
    return (await this.admin.readPartitionState({ topic, partition }))?.value ?? null;
  }

  async stateWithVersion(topic: string, partition: number) {
    return this.admin.readPartitionState({ topic, partition });
  }

  async waitForState(
    topic: string,
    partition: number,
    accept: (state: PartitionState) => boolean,
    what: string,
    timeoutMs = 15_000,
  ): Promise<PartitionState> {
    return waitFor(
      async () => {
        const state = await this.state(topic, partition);
        return state !== null && accept(state) ? state : undefined;
      },
      { timeoutMs, what: `${topic}-${partition}: ${what}` },
    );
  }

  /** Every partition's state once all exist. */
  async waitForAllStates(topic: string, partitions: number, timeoutMs = 15_000): Promise<PartitionState[]> {
    return waitFor(
      async () => {
        const states = await Promise.all(Array.from({ length: partitions }, (_, p) => this.state(topic, p)));
        return states.every((s) => s !== null) ? (states as PartitionState[]) : undefined;
      },
      { timeoutMs, what: `all ${partitions} partition states of ${topic}` },
    );
  }

  /** A leader's own ISR change (what the replica layer does), conditional on the znode version. */
  async leaderWritesIsr(topic: string, partition: number, isr: number[]): Promise<void> {
    const current = await this.admin.readPartitionState({ topic, partition });
    if (!current) throw new Error(`no state for ${topic}-${partition}`);
    await this.admin.updatePartitionState({ topic, partition }, { ...current.value, isr }, current.version);
  }

  async close(): Promise<void> {
    for (const broker of this.brokers) await broker.controller?.close().catch(() => undefined);
    await Promise.all(this.sessions.map((s) => s.close()));
    await Promise.all(this.brokers.map((b) => b.proxy?.close()));
  }
}
