import { hostname } from 'node:os';
import { ClusterState } from '../coordinator/cluster-state.js';
import { isZooKeeperError } from '../coordinator/zk-errors.js';
import type { BrokerEndpoint } from '../coordinator/zk-paths.js';
import { ZooKeeperSession } from '../coordinator/zk-session.js';
import { componentLogger } from '../log/logger.js';
import { ApiRegistry } from './api/registry.js';
import type { BrokerServices } from './broker-services.js';
import { ClusterSync } from './cluster-sync.js';
import type { BrokerConfig } from './config.js';
import { startController, type Controller } from './controller/index.js';
import { GroupCoordinator } from './group-coordinator/group-coordinator.js';
import { MetadataCache } from './metadata-cache.js';
import { SocketServer, type BoundListener } from './network/socket-server.js';
import { ProducerIdBlocks } from './producer-state/producer-id-blocks.js';
import { ProducerStates } from './producer-state/producer-states.js';
import { awaitEarlierRegistration, BrokerIdInUseError } from './previous-registration.js';
import { ReplicaManager } from './replica/replica-manager.js';

export interface Broker {
  readonly brokerId: number;
  /** Bound addresses, one per configured listener (real ports when 0 was configured). */
  readonly listeners: ReadonlyArray<{ name: string; host: string; port: number }>;
  readonly clusterId: string;
  /**
   * Controlled shutdown first (the controller moves our leaderships to other ISR members), then stops
   * listeners, fetchers, flushes and closes logs, ends the ZooKeeper session (our registration goes).
   */
  close(): Promise<void>;
}

/** How long close() waits for the controller to move leadership away (controlled.shutdown.enable). */
const CONTROLLED_SHUTDOWN_TIMEOUT_MS = 5_000;

/** A shutdown step running longer than this is logged by name (the CLI bounds the whole shutdown). */
const SLOW_SHUTDOWN_STEP_MS = 5_000;

interface ShutdownStep {
  step: string;
  run(): Promise<void> | void;
}

export { BrokerIdInUseError };

/**
 * Starts one broker: ZooKeeper session, cluster id, replicas and their producer state, topic/partition
 * sync, group coordinator, producer-id allocator, listeners, registration under /brokers/ids (again
 * after every session expiry), controller, retention. Resolves once registered. Every service the
 * request handlers use (BrokerServices) is created here, and each one that holds resources has its
 * step in the shutdown list.
 */
export async function startBroker(config: BrokerConfig): Promise<Broker> {
  const logger = componentLogger('broker', { brokerId: config.brokerId });
  const session = await ZooKeeperSession.connect(config.zookeeperConnect, {
    sessionTimeoutMs: config.zookeeperSessionTimeoutMs,
    connectTimeoutMs: config.zookeeperConnectionTimeoutMs,
  });
  // Shutdown steps, run in reverse order of start; each named so a slow one says which it is.
  const cleanups: ShutdownStep[] = [{ step: 'zookeeper session', run: () => session.close() }];
  const unwind = async () => {
    for (const { step, run } of cleanups.reverse()) {
      const slow = setTimeout(
        () => logger.warn({ step, waitedMs: SLOW_SHUTDOWN_STEP_MS }, 'shutdown step is slow'),
        SLOW_SHUTDOWN_STEP_MS,
      );
      try {
        await run();
      } catch (error) {
        logger.warn({ err: error, step }, 'shutdown step failed');
      } finally {
        clearTimeout(slow);
      }
    }
  };
  try {
    const clusterState = new ClusterState(session);
    await clusterState.ensureTopLevelPaths();
    await awaitEarlierRegistration(clusterState, config.brokerId, advertisedEndpoints(config, []), logger);

    const metadata = new MetadataCache();
    metadata.clusterId = await clusterState.getOrCreateClusterId();
    const producerStates = new ProducerStates();
    const replicas = new ReplicaManager({
      config,
      logger: logger.child({ component: 'replica-manager' }),
      replication: {
        clusterState,
        addressOf: (id) => interBrokerAddress(metadata, config.interBrokerListenerName, id),
      },
      metadata,
      producerStates,
    });
    cleanups.push({ step: 'replicas and logs', run: () => replicas.close() });
    // Unwinds after the listeners stop (no more produces) and before the logs close.
    cleanups.push({ step: 'producer state snapshots', run: () => producerStates.close() });
    // The controller carries out topic deletions (and writes partition states); brokers only follow.
    const clusterSync = new ClusterSync(config.brokerId, clusterState, metadata, replicas, logger);
    cleanups.push({ step: 'cluster sync', run: () => clusterSync.close() });
    const groupCoordinator = new GroupCoordinator(
      config.brokerId,
      () => metadata.liveBrokerIds(),
      clusterState,
      {
        initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
        minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
        maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
      },
      logger.child({ component: 'group-coordinator' }),
    );
    // Stops the groups' timers (members are answered) once the listeners are closed.
    cleanups.push({ step: 'group coordinator', run: () => groupCoordinator.close() });
    // Holds only its reserved block of ids in memory: nothing to shut down.
    const producerIds = new ProducerIdBlocks(clusterState, config.brokerId);
    const registry = new ApiRegistry();
    // The controller starts once this broker is registered (it counts live brokers); admin requests
    // that arrive before then wait for it.
    let controllerStarted!: (controller: Controller) => void;
    let controllerFailed!: (error: unknown) => void;
    const controller = new Promise<Controller>((resolve, reject) => {
      controllerStarted = resolve;
      controllerFailed = reject;
    });
    controller.catch(() => undefined);
    const services: BrokerServices = {
      config,
      brokerId: config.brokerId,
      metadata,
      replicas,
      producerStates,
      producerIds,
      groupCoordinator,
      clusterState,
      clusterSync,
      controller,
      advertisedApis: registry.advertised(),
      logger,
    };

    const server = new SocketServer(registry, logger.child({ component: 'network' }));
    cleanups.push({ step: 'listeners', run: () => server.close() });
    const bound = await server.listen(config.listeners, services);

    const endpoints = advertisedEndpoints(config, bound);
    try {
      await clusterState.registerBroker({ id: config.brokerId, endpoints });
    } catch (error) {
      if (isZooKeeperError(error, 'NODEEXISTS')) throw new BrokerIdInUseError(config.brokerId);
      throw error;
    }
    // Re-registers (and re-reads the cluster) on every new session after an expiry.
    const stopRegistration = await clusterState.keepBrokerRegistered({ id: config.brokerId, endpoints });
    const stopSync = await session.onSessionEstablished(() => clusterSync.refreshAll());
    cleanups.push({
      step: 'registration',
      run: () => {
        stopRegistration();
        stopSync();
      },
    });
    session.on('expired', () => logger.warn('ZooKeeper session expired; re-registering'));
    try {
      const started = await startController({
        session,
        brokerId: config.brokerId,
        config,
        logger: logger.child({ component: 'controller' }),
      });
      // Runs before the session closes (cleanups unwind in reverse).
      cleanups.push({ step: 'controller', run: () => started.close() });
      // First step of close(): move leadership away while we can still serve the new leaders' fetches.
      cleanups.push({
        step: 'controlled shutdown',
        run: async () => {
          if (!config.controlledShutdownEnable || metadata.liveBrokerIds().length < 2) return;
          const result = await started.requestControlledShutdown(config.brokerId, {
            timeoutMs: CONTROLLED_SHUTDOWN_TIMEOUT_MS,
          });
          logger.info({ partitionsRemaining: result.partitionsRemaining.length }, 'controlled shutdown done');
        },
      });
      controllerStarted(started);
    } catch (error) {
      controllerFailed(error);
      throw error;
    }
    replicas.startRetention(config.logRetentionCheckIntervalMs);
    logger.info({ listeners: bound, clusterId: metadata.clusterId }, 'broker started');

    let closing: Promise<void> | null = null;
    return {
      brokerId: config.brokerId,
      listeners: bound,
      clusterId: metadata.clusterId,
      close() {
        closing ??= unwind().then(() => logger.info('broker stopped'));
        return closing;
      },
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

/** A live broker's address on the inter-broker listener (followers fetch there). */
function interBrokerAddress(
  metadata: MetadataCache,
  listenerName: string,
  brokerId: number,
): { host: string; port: number } | null {
  const registration = metadata.brokers.get(brokerId);
  if (!registration) return null;
  const endpoint =
    registration.endpoints.find((e) => e.listener === listenerName) ?? registration.endpoints[0];
  if (endpoint) return { host: endpoint.host, port: endpoint.port };
  return registration.host ? { host: registration.host, port: registration.port } : null;
}

/** advertised.listeners with port 0 replaced by the bound port and a wildcard host by our hostname. */
function advertisedEndpoints(config: BrokerConfig, bound: readonly BoundListener[]): BrokerEndpoint[] {
  return config.advertisedListeners.map((advertised) => {
    const actual = bound.find((b) => b.name === advertised.name);
    const port = advertised.port === 0 && actual ? actual.port : advertised.port;
    const wildcard = advertised.host === '0.0.0.0' || advertised.host === '::' || advertised.host === '';
    return {
      listener: advertised.name,
      host: wildcard ? hostname() : advertised.host,
      port,
      securityProtocol: config.listenerSecurityProtocols.get(advertised.name) ?? 'PLAINTEXT',
    };
  });
}
