import { EventEmitter } from 'node:events';
import { ClusterState } from '../coordinator/cluster-state.js';
import type { BrokerRegistration } from '../coordinator/zk-paths.js';
import { isZooKeeperError } from '../coordinator/zk-errors.js';
import { ZooKeeperSession, type ZooKeeperSessionOptions } from '../coordinator/zk-session.js';
import { componentLogger } from '../log/logger.js';
import { NoBrokersAvailableError } from './client-errors.js';
import type { BrokerAddress } from './kafka-connection.js';
import { SerialQueue } from '../concurrency/serial-queue.js';

const log = componentLogger('broker-discovery');

/** A broker a client may connect to; `nodeId` is known when it came from ZooKeeper. */
export interface DiscoveredBroker extends BrokerAddress {
  nodeId?: number;
}

interface DiscoveryEvents {
  /** The broker list changed (ZooKeeper discovery only). */
  change: [brokers: DiscoveredBroker[]];
}

/** Where a client finds its first brokers: a bootstrap list, or ZooKeeper's live broker registrations. */
export interface BrokerDiscovery extends EventEmitter<DiscoveryEvents> {
  /** Brokers to try, in the order to try them. */
  brokers(): Promise<DiscoveredBroker[]>;
  /** A short description for error messages ("bootstrap 127.0.0.1:9092", "ZooKeeper 127.0.0.1:2181"). */
  readonly description: string;
  close(): Promise<void>;
}

/** `--bootstrap-server`: a fixed list; metadata responses then name the rest of the cluster. */
export class BootstrapDiscovery extends EventEmitter<DiscoveryEvents> implements BrokerDiscovery {
  readonly description: string;
  constructor(private readonly addresses: readonly BrokerAddress[]) {
    super();
    if (addresses.length === 0) throw new Error('bootstrap list is empty');
    this.description = `bootstrap ${addresses.map((a) => `${a.host}:${a.port}`).join(',')}`;
  }

  brokers(): Promise<DiscoveredBroker[]> {
    return Promise.resolve(this.addresses.map((a) => ({ ...a })));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Live brokers from `/brokers/ids` (through the cluster-state layer), kept current by a children watch
 * that is re-armed after every change and after a session expiry. Emits `change` on each new list.
 */
export class ZooKeeperBrokerDiscovery extends EventEmitter<DiscoveryEvents> implements BrokerDiscovery {
  readonly description: string;
  private current: DiscoveredBroker[] = [];
  private closed = false;
  private unregisterHook: (() => void) | undefined;
  private readonly refreshes = new SerialQueue();

  private constructor(
    private readonly state: ClusterState,
    private readonly ownsSession: boolean,
  ) {
    super();
    this.description = `ZooKeeper ${state.session.connectionString}`;
  }

  /** Connects to ZooKeeper (`host:port[,host:port…][/chroot]`) and reads the broker list. */
  static async connect(
    connectionString: string,
    options: ZooKeeperSessionOptions = {},
  ): Promise<ZooKeeperBrokerDiscovery> {
    const session = await ZooKeeperSession.connect(connectionString, {
      connectTimeoutMs: 10_000,
      ...options,
    });
    try {
      return await ZooKeeperBrokerDiscovery.start(new ClusterState(session), true);
    } catch (error) {
      await session.close();
      // Reading /brokers under a chroot that does not exist fails with NONODE: say what that means.
      if (isZooKeeperError(error, 'NONODE'))
        throw new NoBrokersAvailableError(
          `ZooKeeper ${connectionString} holds no cluster (does the chroot exist?)`,
        );
      throw error;
    }
  }

  /** Uses an existing session (not closed by `close()`). */
  static async fromClusterState(state: ClusterState): Promise<ZooKeeperBrokerDiscovery> {
    return ZooKeeperBrokerDiscovery.start(state, false);
  }

  private static async start(state: ClusterState, ownsSession: boolean): Promise<ZooKeeperBrokerDiscovery> {
    const discovery = new ZooKeeperBrokerDiscovery(state, ownsSession);
    discovery.unregisterHook = await state.session.onSessionEstablished(() => discovery.refresh());
    return discovery;
  }

  /** The cluster-state layer this discovery reads through (to share the session). */
  get clusterState(): ClusterState {
    return this.state;
  }

  brokers(): Promise<DiscoveredBroker[]> {
    return this.refreshes.idle().then(() => this.current.map((b) => ({ ...b })));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unregisterHook?.();
    if (this.ownsSession) await this.state.session.close();
  }

  private refresh(): Promise<void> {
    return this.refreshes.run(async () => {
      if (this.closed) return;
      const registrations = await this.state.readBrokers((event) => {
        // sessionExpired: the session hook re-reads once the new session is up.
        if (event.type !== 'sessionExpired' && !this.closed)
          void this.refresh().catch((error: unknown) =>
            log.warn({ err: error }, 'broker list refresh failed'),
          );
      });
      const brokers = registrations.map(toDiscovered);
      const changed = JSON.stringify(brokers) !== JSON.stringify(this.current);
      this.current = brokers;
      if (changed) {
        log.debug({ brokers: brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`) }, 'broker list changed');
        this.emit('change', brokers);
      }
    });
  }
}

function toDiscovered(registration: BrokerRegistration): DiscoveredBroker {
  const plaintext = registration.endpoints.find((e) => e.securityProtocol === 'PLAINTEXT');
  return {
    nodeId: registration.id,
    host: plaintext?.host ?? registration.host,
    port: plaintext?.port ?? registration.port,
  };
}
