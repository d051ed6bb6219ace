import { topicPartitionKey } from '../protocol/topic-partition.js';
import type {
  BrokerRegistration,
  LeaderAck,
  PartitionState,
  ReplicaAssignment,
  TopicConfig,
} from '../coordinator/zk-paths.js';

export interface TopicMetadata {
  name: string;
  /** Replica list per partition (index = partition id). */
  assignment: ReplicaAssignment;
  /** Leader/ISR per partition, null until the partition's state znode exists. */
  states: Array<PartitionState | null>;
  config: TopicConfig;
}

/**
 * What this broker currently knows of the cluster, kept up to date by ClusterSync from ZooKeeper
 * watches. Request handlers read it synchronously; nothing else writes it.
 */
export class MetadataCache {
  brokers = new Map<number, BrokerRegistration>();
  topics = new Map<string, TopicMetadata>();
  controllerId: number | null = null;
  /**
   * Brokers with a controlled shutdown under way (/admin/controlled_shutdown): still registered, but
   * leaving. A leader should not re-admit them to an ISR (Kafka's KIP-841).
   */
  shuttingDownBrokerIds: ReadonlySet<number> = new Set();
  clusterId: string | null = null;
  private readonly topicListeners = new Set<() => void>();
  /** Leaders' acknowledgements (ZooKeeper leader_ack nodes), by "topic-partition". */
  private readonly leaderAcks = new Map<string, LeaderAck>();

  liveBrokerIds(): number[] {
    return [...this.brokers.keys()].sort((a, b) => a - b);
  }

  setTopic(topic: TopicMetadata): void {
    this.topics.set(topic.name, topic);
    this.notify();
  }

  removeTopic(name: string): void {
    for (const key of [...this.leaderAcks.keys()]) {
      if (key.slice(0, key.lastIndexOf('-')) === name) this.leaderAcks.delete(key);
    }
    if (this.topics.delete(name)) this.notify();
  }

  setLeaderAck(topic: string, partition: number, ack: LeaderAck | null): void {
    if (ack === null) this.leaderAcks.delete(topicPartitionKey({ topic, partition }));
    else this.leaderAcks.set(topicPartitionKey({ topic, partition }), ack);
  }

  /** True when the partition's leader has acknowledged serving it in the state's leader epoch. */
  leaderAcknowledged(topic: string, partition: number, state: PartitionState): boolean {
    const ack = this.leaderAcks.get(topicPartitionKey({ topic, partition }));
    return ack !== undefined && ack.leader === state.leader && ack.leaderEpoch === state.leaderEpoch;
  }

  /** Fires on every topic change (admin requests wait for their change to become visible). */
  onTopicsChanged(listener: () => void): () => void {
    this.topicListeners.add(listener);
    return () => this.topicListeners.delete(listener);
  }

  /** Resolves true once `condition` holds (checked on each topic change), false at the deadline. */
  waitForTopics(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const stop = this.onTopicsChanged(() => {
        if (!condition()) return;
        stop();
        clearTimeout(timer);
        resolve(true);
      });
      const timer = setTimeout(
        () => {
          stop();
          resolve(condition());
        },
        Math.max(0, timeoutMs),
      );
    });
  }

  private notify(): void {
    for (const listener of [...this.topicListeners]) listener();
  }
}
