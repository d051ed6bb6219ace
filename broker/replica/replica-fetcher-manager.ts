import { topicPartitionKey, type TopicPartition } from '../../protocol/topic-partition.js';
import type { Partition } from './partition.js';
import { ReplicaFetcher, type ReplicaFetcherSettings } from './replica-fetcher.js';

/**
 * One ReplicaFetcher per leader broker this broker follows partitions from (Kafka's
 * num.replica.fetchers = 1). A fetcher that has no partitions left is closed.
 */
export class ReplicaFetcherManager {
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  /** Which leader each followed partition fetches from. */
  private readonly sources = new Map<string, number>();

  constructor(private readonly settings: ReplicaFetcherSettings) {}

  /** Follows `partition` from `leaderId` in `leaderEpoch` (moving it off any previous leader). */
  async addPartition(partition: Partition, leaderId: number, leaderEpoch: number): Promise<void> {
    await this.removePartition(partition.topicPartition);
    let fetcher = this.fetchers.get(leaderId);
    if (!fetcher) {
      fetcher = new ReplicaFetcher(leaderId, this.settings);
      this.fetchers.set(leaderId, fetcher);
    }
    fetcher.addPartition(partition, leaderEpoch);
    this.sources.set(topicPartitionKey(partition.topicPartition), leaderId);
  }

  /** Stops following `tp`; resolves once its fetcher no longer touches the log. */
  async removePartition(tp: TopicPartition): Promise<void> {
    const source = this.sources.get(topicPartitionKey(tp));
    if (source === undefined) return;
    this.sources.delete(topicPartitionKey(tp));
    const fetcher = this.fetchers.get(source);
    if (!fetcher) return;
    await fetcher.removePartition(tp);
    if (fetcher.partitionCount === 0 && this.fetchers.get(source) === fetcher) {
      this.fetchers.delete(source);
      await fetcher.close();
    }
  }

  /** The leader `tp` is fetched from, if followed. */
  sourceOf(tp: TopicPartition): number | undefined {
    return this.sources.get(topicPartitionKey(tp));
  }

  async close(): Promise<void> {
    const all = [...this.fetchers.values()];
    this.fetchers.clear();
    this.sources.clear();
    await Promise.allSettled(all.map((f) => f.close()));
  }
}
