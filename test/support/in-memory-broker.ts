import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiHandler, RequestContext } from '../../broker/api/api-handler.js';
import type { BrokerServices } from '../../broker/broker-services.js';
import type { ClusterSync } from '../../broker/cluster-sync.js';
import { resolveBrokerConfig } from '../../broker/config.js';
import type { Controller } from '../../broker/controller/index.js';
import { GroupCoordinator } from '../../broker/group-coordinator/group-coordinator.js';
import { MetadataCache } from '../../broker/metadata-cache.js';
import { ProducerIdBlocks } from '../../broker/producer-state/producer-id-blocks.js';
import { ProducerStates } from '../../broker/producer-state/producer-states.js';
import type { Partition } from '../../broker/replica/partition.js';
import { ReplicaManager } from '../../broker/replica/replica-manager.js';
import type { ClusterState } from '../../coordinator/cluster-state.js';
import { ZooKeeperError } from '../../coordinator/zk-errors.js';
import type { PartitionState } from '../../coordinator/zk-paths.js';
import { componentLogger } from '../../log/logger.js';
import type { ApiKey, RequestBodies, ResponseBodies } from '../../protocol/index.js';

/**
 * BrokerServices for handler unit tests, without sockets or ZooKeeper: real ReplicaManager and
 * PartitionLogs in a temp dir, a real GroupCoordinator and MetadataCache, and for the cluster-state
 * layer an in-memory stand-in with the little these handlers reach (producer-id blocks). Parts a
 * handler under test must not touch (controller, cluster sync) throw when used.
 */
export interface InMemoryBroker {
  services: BrokerServices;
  metadata: MetadataCache;
  logDir: string;
  /**
   * Declares a topic in the metadata and opens this broker's replica of each partition (leader unless
   * `leader` says otherwise; `isr` defaults to this broker alone).
   */
  addTopic(
    name: string,
    options?: {
      partitions?: number;
      leader?: number;
      leaderEpoch?: number;
      isr?: number[];
      config?: Record<string, string>;
    },
  ): Promise<Partition[]>;
  /** Declares a one-partition topic that broker 2 leads in epoch 3: this broker holds no replica of it. */
  addTopicLedElsewhere(name: string): void;
  close(): Promise<void>;
}

export const BROKER_ID = 1;

export async function startInMemoryBroker(
  overrides: Record<string, string> = {},
  liveBrokerIds: number[] = [BROKER_ID],
): Promise<InMemoryBroker> {
  const logDir = await mkdtemp(join(tmpdir(), 'sluice-handlers-'));
  const config = resolveBrokerConfig(
    new Map(
      Object.entries({
        'broker.id': String(BROKER_ID),
        listeners: 'PLAINTEXT://127.0.0.1:0',
        'log.dirs': logDir,
        'zookeeper.connect': '127.0.0.1:1',
        ...overrides,
      }),
    ),
  );
  const logger = componentLogger('handler-test');
  const metadata = new MetadataCache();
  for (const id of liveBrokerIds) {
    metadata.brokers.set(id, {
      id,
      host: '127.0.0.1',
      port: 9092,
      endpoints: [],
      jmxPort: -1,
      timestamp: 0,
      rack: null,
    });
  }
  const clusterState = inMemoryClusterState();
  const producerStates = new ProducerStates();
  const replicas = new ReplicaManager({
    config,
    logger,
    replication: { clusterState, addressOf: () => null },
    metadata,
    producerStates,
  });
  const groupCoordinator = new GroupCoordinator(
    BROKER_ID,
    () => metadata.liveBrokerIds(),
    clusterState,
    {
      initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
      minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
    },
    logger,
  );
  const services: BrokerServices = {
    config,
    brokerId: BROKER_ID,
    metadata,
    replicas,
    producerStates,
    producerIds: new ProducerIdBlocks(clusterState, BROKER_ID),
    groupCoordinator,
    clusterState,
    clusterSync: unused<ClusterSync>('cluster sync'),
    controller: Promise.resolve(unused<Controller>('controller')),
    advertisedApis: [],
    logger,
  };
  return {
    services,
    metadata,
    logDir,
    addTopicLedElsewhere(name) {
      metadata.setTopic({
        name,
        assignment: [[2]],
        states: [{ leader: 2, leaderEpoch: 3, isr: [2], controllerEpoch: 1 }],
        config: {},
      });
    },
    async addTopic(name, options = {}) {
      const count = options.partitions ?? 1;
      const leader = options.leader ?? BROKER_ID;
      const leaderEpoch = options.leaderEpoch ?? 0;
      const isr = options.isr ?? [BROKER_ID];
      const replicasOf = [...new Set([leader, ...isr])].filter((id) => id >= 0);
      const states: PartitionState[] = Array.from({ length: count }, () => ({
        leader,
        leaderEpoch,
        isr,
        controllerEpoch: 1,
      }));
      const opened: Partition[] = [];
      for (let partition = 0; partition < count; partition++) {
        opened.push(
          await replicas.ensureReplica(
            { topic: name, partition },
            { leader, leaderEpoch, replicas: replicasOf, isr },
            options.config ?? {},
          ),
        );
      }
      metadata.setTopic({
        name,
        assignment: states.map(() => replicasOf),
        states,
        config: options.config ?? {},
      });
      return opened;
    },
    async close() {
      groupCoordinator.close();
      await producerStates.close();
      await replicas.close();
      await rm(logDir, { recursive: true, force: true });
    },
  };
}

/** Calls a handler as the network layer would, at `apiVersion`. */
export function callHandler<K extends ApiKey>(
  handler: ApiHandler<K>,
  services: BrokerServices,
  apiVersion: number,
  body: RequestBodies[K],
  extra: Partial<Pick<RequestContext<K>, 'signal' | 'appended'>> = {},
): Promise<ResponseBodies[K] | null> {
  const context: RequestContext<K> = {
    header: { apiKey: handler.apiKey, apiVersion, correlationId: 1, clientId: 'handler-test' },
    listenerName: 'PLAINTEXT',
    clientHost: '/127.0.0.1',
    signal: extra.signal ?? new AbortController().signal,
    appended: extra.appended,
  };
  return handler.handle(body, context, services);
}

/** The part of ClusterState these handlers reach, in memory. */
function inMemoryClusterState(): ClusterState {
  let nextBlock = 0n;
  const state = {
    allocateProducerIdBlock(brokerId: number) {
      const blockStart = nextBlock;
      nextBlock += 1000n;
      return Promise.resolve({ brokerId, blockStart, blockEnd: blockStart + 999n });
    },
    session: inMemoryZnodes(),
  };
  return new Proxy(state, {
    get(target, property) {
      if (property in target) return target[property as keyof typeof target];
      if (property === 'then') return undefined;
      throw new Error(`the in-memory cluster state has no ${String(property)}`);
    },
  }) as unknown as ClusterState;
}

/** The znode operations the group coordinator's group-kind marker uses: paths only, no data. */
function inMemoryZnodes() {
  const NONODE = -101;
  const NODEEXISTS = -110;
  const paths = new Set<string>(['/']);
  const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/')) || '/';
  return {
    ensurePath(path: string) {
      for (let at = path.indexOf('/', 1); at !== -1; at = path.indexOf('/', at + 1))
        paths.add(path.slice(0, at));
      paths.add(path);
      return Promise.resolve();
    },
    create(path: string) {
      if (paths.has(path)) return Promise.reject(new ZooKeeperError(NODEEXISTS, path, 'create'));
      if (!paths.has(parentOf(path))) return Promise.reject(new ZooKeeperError(NONODE, path, 'create'));
      paths.add(path);
      return Promise.resolve(path);
    },
    delete(path: string) {
      if (!paths.delete(path)) return Promise.reject(new ZooKeeperError(NONODE, path, 'delete'));
      return Promise.resolve();
    },
    exists(path: string) {
      return Promise.resolve(paths.has(path) ? {} : null);
    },
    getChildren(path: string) {
      if (!paths.has(path)) return Promise.reject(new ZooKeeperError(NONODE, path, 'getChildren'));
      const prefix = path === '/' ? '/' : `${path}/`;
      const children = [...paths].filter(
        (p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/') && p !== path,
      );
      return Promise.resolve({ children: children.map((p) => p.slice(prefix.length)) });
    },
  };
}

/** A service the handler under test must not use: any use throws, naming it. */
function unused<T>(name: string): T {
  return new Proxy(
    {},
    {
      get(_target, property) {
        // Promise resolution probes `then`: this object is not a thenable.
        if (property === 'then') return undefined;
        throw new Error(`a handler under test used the ${name} (${String(property)})`);
      },
    },
  ) as T;
}
