import { componentLogger } from '../log/logger.js';
import { ApiKey } from '../protocol/messages/index.js';
import {
  BootstrapDiscovery,
  ZooKeeperBrokerDiscovery,
  type BrokerDiscovery,
  type DiscoveredBroker,
} from './broker-discovery.js';
import { NoBrokersAvailableError } from './client-errors.js';
import { ClusterMetadata } from './cluster-metadata.js';
import { ConnectionPool } from './connection-pool.js';
import {
  formatAddress,
  parseAddress,
  type KafkaConnection,
  type KafkaConnectionOptions,
} from './kafka-connection.js';

const log = componentLogger('kafka-client');

export interface KafkaClientOptions extends KafkaConnectionOptions {
  /** "host:port" entries (Kafka's bootstrap.servers). Exactly one of this and `zookeeper`. */
  bootstrapServers?: readonly string[];
  /** ZooKeeper connection string, `host:port[,…][/chroot]`: brokers are read from /brokers/ids. */
  zookeeper?: string;
  /** Or a discovery built by the caller. */
  discovery?: BrokerDiscovery;
}

export interface MetadataOptions {
  /** Ask the broker to create missing topics (Metadata v4+). Default false. */
  allowAutoTopicCreation?: boolean;
}

/**
 * The shared base of every sluice client (admin, producer, consumer): finds brokers (bootstrap list or
 * ZooKeeper), keeps one connection per broker, and caches the latest cluster metadata.
 */
export class KafkaClient {
  readonly pool: ConnectionPool;
  private latest: ClusterMetadata | undefined;

  constructor(
    readonly discovery: BrokerDiscovery,
    options: KafkaConnectionOptions = {},
  ) {
    this.pool = new ConnectionPool(options);
  }

  /** Builds the discovery from `bootstrapServers` or `zookeeper` and returns a ready client. */
  static async create(options: KafkaClientOptions): Promise<KafkaClient> {
    const { bootstrapServers, zookeeper, discovery, ...connectionOptions } = options;
    const sources = [bootstrapServers, zookeeper, discovery].filter((s) => s !== undefined).length;
    if (sources !== 1) throw new Error('give exactly one of bootstrapServers, zookeeper or discovery');
    const chosen =
      discovery ??
      (bootstrapServers !== undefined
        ? new BootstrapDiscovery(bootstrapServers.map((s) => parseAddress(s)))
        : await ZooKeeperBrokerDiscovery.connect(zookeeper!));
    return new KafkaClient(chosen, connectionOptions);
  }

  /** The last metadata fetched, if any. */
  get metadata(): ClusterMetadata | undefined {
    return this.latest;
  }

  /**
   * A connection to any reachable broker: the discovered brokers first, then the brokers named by the
   * last metadata. Throws NoBrokersAvailableError when none answers.
   */
  async anyConnection(): Promise<KafkaConnection> {
    const candidates: DiscoveredBroker[] = await this.discovery.brokers();
    for (const broker of this.latest?.brokers.values() ?? []) candidates.push(broker);
    if (candidates.length === 0)
      throw new NoBrokersAvailableError(`${this.discovery.description} lists none`);
    const failures: string[] = [];
    for (const broker of candidates) {
      try {
        return await this.pool.get(broker);
      } catch (error) {
        // "127.0.0.1:9092 (connect ECONNREFUSED …)": the address once, then why.
        const address = formatAddress(broker);
        const reason = (error as Error).message.replace(`broker ${address}: `, '');
        failures.push(`${address} (${reason})`);
        log.debug({ broker: formatAddress(broker), err: (error as Error).message }, 'broker unreachable');
      }
    }
    throw new NoBrokersAvailableError(
      `could not reach ${failures.join('; ')}` +
        (this.discovery instanceof ZooKeeperBrokerDiscovery
          ? ` (registered in ${this.discovery.description})`
          : ''),
    );
  }

  /** A connection to the broker with this id (refreshing metadata once if the id is unknown). */
  async connectionTo(nodeId: number): Promise<KafkaConnection> {
    let broker = this.latest?.broker(nodeId);
    if (!broker) broker = (await this.refreshMetadata([])).broker(nodeId);
    if (!broker) throw new NoBrokersAvailableError(`broker ${nodeId} is not in the cluster metadata`);
    return this.pool.get(broker);
  }

  /**
   * Fetches metadata for `topics` (undefined/null = every topic, [] = brokers only) from any broker and
   * caches it. Topic errors are left in the result for the caller to inspect.
   */
  async refreshMetadata(
    topics: readonly string[] | null = null,
    options: MetadataOptions = {},
  ): Promise<ClusterMetadata> {
    const connection = await this.anyConnection();
    const version = connection.versionOf(ApiKey.Metadata) ?? 0;
    // v0 has no null: an empty list means "every topic" there, so "brokers only" cannot be asked.
    const requested = topics === null ? (version === 0 ? [] : null) : topics.map((name) => ({ name }));
    const response = await connection.request(ApiKey.Metadata, {
      topics: requested,
      allowAutoTopicCreation: options.allowAutoTopicCreation ?? false,
    });
    const metadata = ClusterMetadata.fromResponse(response);
    this.latest = metadata;
    return metadata;
  }

  /** Closes every connection and the discovery (its ZooKeeper session, if it opened one). */
  async close(): Promise<void> {
    await this.pool.close();
    await this.discovery.close();
  }
}
