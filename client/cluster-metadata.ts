import type { MetadataResponse } from '../protocol/messages/index.js';
import type { BrokerAddress } from './kafka-connection.js';

export interface BrokerInfo extends BrokerAddress {
  nodeId: number;
  rack: string | null;
}

export interface PartitionMetadata {
  partition: number;
  /** Kafka error code for this partition (0 = fine; 5 LEADER_NOT_AVAILABLE while electing). */
  errorCode: number;
  /** Leader broker id, -1 when there is none. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export interface TopicMetadata {
  name: string;
  /** Kafka error code for the topic (3 UNKNOWN_TOPIC_OR_PARTITION when it does not exist). */
  errorCode: number;
  isInternal: boolean;
  /** Sorted by partition id. */
  partitions: PartitionMetadata[];
}

/**
 * An immutable snapshot of the cluster as one broker's Metadata response described it: brokers,
 * controller, cluster id and topics. Refreshing means building a new snapshot.
 */
export class ClusterMetadata {
  readonly brokers: ReadonlyMap<number, BrokerInfo>;
  readonly topics: ReadonlyMap<string, TopicMetadata>;

  private constructor(
    brokers: BrokerInfo[],
    topics: TopicMetadata[],
    readonly controllerId: number,
    readonly clusterId: string | null,
    /** When this snapshot was taken (ms since the epoch). */
    readonly fetchedAt: number,
  ) {
    this.brokers = new Map(brokers.map((b) => [b.nodeId, b]));
    this.topics = new Map(topics.map((t) => [t.name, t]));
  }

  static fromResponse(response: MetadataResponse, fetchedAt = Date.now()): ClusterMetadata {
    const brokers = response.brokers.map((b) => ({
      nodeId: b.nodeId,
      host: b.host,
      port: b.port,
      rack: b.rack ?? null,
    }));
    const topics = response.topics.map((t) => ({
      name: t.name,
      errorCode: t.errorCode,
      isInternal: t.isInternal ?? false,
      partitions: t.partitions
        .map((p) => ({
          partition: p.partitionIndex,
          errorCode: p.errorCode,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch ?? -1,
          replicas: [...p.replicaNodes],
          isr: [...p.isrNodes],
          offlineReplicas: [...(p.offlineReplicas ?? [])],
        }))
        .sort((a, b) => a.partition - b.partition),
    }));
    return new ClusterMetadata(
      brokers,
      topics,
      response.controllerId ?? -1,
      response.clusterId ?? null,
      fetchedAt,
    );
  }

  /** Broker ids, ascending. */
  brokerIds(): number[] {
    return [...this.brokers.keys()].sort((a, b) => a - b);
  }

  broker(nodeId: number): BrokerInfo | undefined {
    return this.brokers.get(nodeId);
  }

  /** Topics that exist (no topic-level error), sorted by name. */
  topicNames(): string[] {
    return [...this.topics.values()]
      .filter((t) => t.errorCode === 0)
      .map((t) => t.name)
      .sort();
  }

  topic(name: string): TopicMetadata | undefined {
    return this.topics.get(name);
  }

  partition(topic: string, partition: number): PartitionMetadata | undefined {
    return this.topics.get(topic)?.partitions.find((p) => p.partition === partition);
  }

  /** The leader's address, or undefined if the partition is unknown or leaderless. */
  leaderFor(topic: string, partition: number): BrokerInfo | undefined {
    const state = this.partition(topic, partition);
    return state && state.leader >= 0 ? this.brokers.get(state.leader) : undefined;
  }

  /** The controller if known, else any broker (lowest id) — where admin requests go. */
  controllerOrAnyBroker(): BrokerInfo | undefined {
    return this.brokers.get(this.controllerId) ?? this.brokers.get(this.brokerIds()[0] ?? -1);
  }
}
