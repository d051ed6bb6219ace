import type { ClusterState } from '../coordinator/cluster-state.js';
import type { Logger } from '../log/logger.js';
import type { BrokerConfig } from './config.js';
import type { ClusterSync } from './cluster-sync.js';
import type { MetadataCache } from './metadata-cache.js';
import type { ReplicaManager } from './replica/replica-manager.js';
import type { TopicCreator } from './topic-creator.js';

/** The broker's parts that request handlers use. One instance per running broker. */
export interface BrokerServices {
  readonly config: BrokerConfig;
  readonly brokerId: number;
  readonly metadata: MetadataCache;
  readonly replicas: ReplicaManager;
  readonly clusterState: ClusterState;
  readonly clusterSync: ClusterSync;
  readonly topicCreator: TopicCreator;
  /** The ranges ApiVersions advertises, built from the handler registry. */
  readonly advertisedApis: ReadonlyArray<{ apiKey: number; minVersion: number; maxVersion: number }>;
  readonly logger: Logger;
}
