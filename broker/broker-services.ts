import type { ClusterState } from '../coordinator/cluster-state.js';
import type { Logger } from '../log/logger.js';
import type { BrokerConfig } from './config.js';
import type { ClusterSync } from './cluster-sync.js';
import type { Controller } from './controller/index.js';
import type { GroupCoordinator } from './group-coordinator/group-coordinator.js';
import type { MetadataCache } from './metadata-cache.js';
import type { ProducerIdBlocks } from './producer-state/producer-id-blocks.js';
import type { ProducerStates } from './producer-state/producer-states.js';
import type { ReplicaManager } from './replica/replica-manager.js';

/**
 * The broker's parts that request handlers use. One instance per running broker, every part created
 * (and shut down) by startBroker.
 */
export interface BrokerServices {
  readonly config: BrokerConfig;
  readonly brokerId: number;
  readonly metadata: MetadataCache;
  /** Local replicas; the append (Produce) and read (Fetch) paths. */
  readonly replicas: ReplicaManager;
  /** Per-replica idempotent-producer state (the replicas use it; snapshotted on shutdown). */
  readonly producerStates: ProducerStates;
  /** Hands out producer ids (InitProducerId). */
  readonly producerIds: ProducerIdBlocks;
  /** The consumer groups this broker coordinates. */
  readonly groupCoordinator: GroupCoordinator;
  readonly clusterState: ClusterState;
  readonly clusterSync: ClusterSync;
  /** This broker's controller role (resolves once the broker is registered); creates topics. */
  readonly controller: Promise<Controller>;
  /** The ranges ApiVersions advertises, built from the handler registry. */
  readonly advertisedApis: ReadonlyArray<{ apiKey: number; minVersion: number; maxVersion: number }>;
  readonly logger: Logger;
}
