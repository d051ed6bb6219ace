import { partitionForKey } from './murmur2.js';

/** What a partitioner sees about one record. */
export interface PartitionerInput {
  topic: string;
  key: Buffer | null;
  partitionCount: number;
  /** Partitions that currently have a leader (for spreading unkeyed records). */
  availablePartitions: readonly number[];
}

/**
 * Picks a partition for a record without an explicit one. `onBatchClosed` is told when a partition's
 * open batch is closed (full or sent), so a sticky partitioner can move on.
 */
export interface Partitioner {
  partition(input: PartitionerInput): number;
  onBatchClosed?(topic: string, partition: number): void;
}

/**
 * Kafka's default: murmur2 for keyed records (same partition as the Java client, kafkajs, librdkafka
 * murmur2_random); null keys stick to one random available partition until its batch is closed, so
 * unkeyed records fill whole batches instead of trickling one record into every partition (KIP-480).
 */
export class DefaultPartitioner implements Partitioner {
  private readonly sticky = new Map<string, number>();
  /** The availability list the sticky choice was last checked against (routes are immutable objects). */
  private readonly checkedAgainst = new Map<string, readonly number[]>();

  partition({ topic, key, partitionCount, availablePartitions }: PartitionerInput): number {
    if (key !== null) return partitionForKey(key, partitionCount);
    let current = this.sticky.get(topic);
    if (current !== undefined && this.checkedAgainst.get(topic) !== availablePartitions) {
      // The leaders changed: leave a partition that lost its leader (its batch would wait for it).
      this.checkedAgainst.set(topic, availablePartitions);
      if (availablePartitions.length > 0 && !availablePartitions.includes(current)) {
        this.sticky.delete(topic);
        current = undefined;
      }
    }
    if (current !== undefined && current < partitionCount) return current;
    this.checkedAgainst.set(topic, availablePartitions);
    const pool = availablePartitions.length > 0 ? availablePartitions : [...Array(partitionCount).keys()];
    const chosen = pool[Math.floor(Math.random() * pool.length)]!;
    this.sticky.set(topic, chosen);
    return chosen;
  }

  /** The sticky partition's batch is complete: the next unkeyed record picks anew. */
  onBatchClosed(topic: string, partition: number): void {
    if (this.sticky.get(topic) === partition) this.sticky.delete(topic);
  }
}
