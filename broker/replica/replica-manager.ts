import { join } from 'node:path';
import type { TopicConfig, TopicPartition } from '../../coordinator/zk-paths.js';
import type { Logger } from '../../log/logger.js';
import type { BrokerConfig } from '../config.js';
import { PartitionLog } from '../log/partition-log.js';
import { SerialQueue } from '../log/serial-queue.js';
import { Partition, type PartitionLeadership } from './partition.js';
import { topicLogConfig } from './topic-log-config.js';

export function topicPartitionKey(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}

/**
 * The partitions this broker holds a replica of, keyed `<topic>-<partition>` (also the log directory
 * name, as in Kafka). Opening, closing and deleting a replica run on one queue so a topic sync and a
 * deletion never interleave at their awaits.
 */
export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  private readonly queue = new SerialQueue();
  private retentionTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: BrokerConfig,
    private readonly logger: Logger,
  ) {}

  get(tp: TopicPartition): Partition | undefined {
    return this.partitions.get(topicPartitionKey(tp));
  }

  all(): Partition[] {
    return [...this.partitions.values()];
  }

  /** Opens (or updates) the local replica of `tp` with the leadership the coordinator shows. */
  ensureReplica(
    tp: TopicPartition,
    leadership: PartitionLeadership,
    topicConfig: TopicConfig,
  ): Promise<Partition> {
    return this.queue.run(async () => {
      const key = topicPartitionKey(tp);
      const existing = this.partitions.get(key);
      if (existing) {
        existing.updateLeadership(leadership);
        return existing;
      }
      const log = await PartitionLog.open({
        dir: join(this.config.logDir, key),
        config: topicLogConfig(this.config, topicConfig),
        logger: this.logger.child({ partition: key }),
      });
      const partition = new Partition(tp, log, this.config.brokerId, leadership);
      this.partitions.set(key, partition);
      this.logger.info(
        { partition: key, leader: leadership.leader, logEndOffset: String(log.logEndOffset) },
        'replica opened',
      );
      return partition;
    });
  }

  /** Removes the local replica; with `deleteData` its directory goes too (topic deletion). */
  removeReplica(tp: TopicPartition, deleteData: boolean): Promise<void> {
    return this.queue.run(async () => {
      const key = topicPartitionKey(tp);
      const partition = this.partitions.get(key);
      if (!partition) return;
      this.partitions.delete(key);
      if (deleteData) await partition.log.delete();
      else await partition.log.close();
      this.logger.info({ partition: key, deleteData }, 'replica removed');
    });
  }

  /** Local replicas of `topic`. */
  partitionsOf(topic: string): Partition[] {
    return this.all().filter((p) => p.topicPartition.topic === topic);
  }

  startRetention(intervalMs: number): void {
    this.retentionTimer = setInterval(() => void this.applyRetention(), intervalMs);
    this.retentionTimer.unref();
  }

  async applyRetention(): Promise<void> {
    for (const partition of this.all()) {
      try {
        const result = await partition.log.applyRetention();
        if (result.deletedSegments > 0) {
          this.logger.info(
            {
              partition: topicPartitionKey(partition.topicPartition),
              ...result,
              logStartOffset: String(result.logStartOffset),
            },
            'retention deleted segments',
          );
        }
      } catch (error) {
        this.logger.warn(
          { err: error, partition: topicPartitionKey(partition.topicPartition) },
          'retention failed',
        );
      }
    }
  }

  /** Flushes and closes every log (clean shutdown). */
  close(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    return this.queue.run(async () => {
      const all = [...this.partitions.values()];
      this.partitions.clear();
      await Promise.allSettled(all.map((p) => p.log.close()));
    });
  }
}
