import { join } from 'node:path';
import type { BrokerAddress } from '../../client/kafka-connection.js';
import type { ClusterState } from '../../coordinator/cluster-state.js';
import type { TopicConfig } from '../../coordinator/zk-paths.js';
import { topicPartitionKey, type TopicPartition } from '../../protocol/topic-partition.js';
import type { Logger } from '../../log/logger.js';
import type { BrokerConfig } from '../config.js';
import { PartitionLog } from '../log/partition-log.js';
import { SerialQueue } from '../log/serial-queue.js';
import { HighWatermarkCheckpoint } from './high-watermark-checkpoint.js';
import { IsrUpdater } from './isr-updater.js';
import { Partition, type PartitionLeadership } from './partition.js';
import { ReplicaFetcherManager } from './replica-fetcher-manager.js';
import { topicLogConfig } from './topic-log-config.js';

/** What replication needs from the rest of the broker. */
export interface ReplicationContext {
  /** The inter-broker listener address of a live broker, or null. */
  addressOf(brokerId: number): BrokerAddress | null;
  /** For the leader's conditional ISR writes. */
  clusterState: ClusterState;
}

/** How often the high watermarks are written (Kafka's replica.high.watermark.checkpoint.interval.ms). */
const HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS = 5_000;
const FETCH_BACKOFF_MS = 200;
const FETCH_REQUEST_TIMEOUT_MS = 30_000;

/**
 * The partitions this broker holds a replica of, keyed `<topic>-<partition>` (also the log directory
 * name, as in Kafka). Opening, closing, deleting a replica and changing its role run on one queue so a
 * topic sync, an ISR write-back and a deletion never interleave at their awaits.
 *
 * Roles come from the partition-state znodes (ClusterSync calls `ensureReplica`): becoming leader
 * stops fetching and starts the new epoch in the log; becoming follower (or a new epoch under any
 * leader) hands the partition to the fetcher of its leader, which truncates by epoch first. As leader,
 * a periodic check drops followers that lag more than replica.lag.time.max.ms from the ISR, and each
 * follower fetch may re-admit one. High watermarks are checkpointed to the log dir.
 */
export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  private readonly queue = new SerialQueue();
  private retentionTimer: NodeJS.Timeout | null = null;
  private readonly isrTimer: NodeJS.Timeout | null = null;
  private readonly checkpointTimer: NodeJS.Timeout | null = null;
  private readonly fetchers: ReplicaFetcherManager | null = null;
  private readonly isrUpdater: IsrUpdater | null = null;
  private readonly checkpoint: HighWatermarkCheckpoint;
  private checkpointed: Promise<Map<string, bigint>> | null = null;
  private closed = false;

  constructor(
    private readonly config: BrokerConfig,
    private readonly logger: Logger,
    private readonly replication?: ReplicationContext,
  ) {
    this.checkpoint = new HighWatermarkCheckpoint(config.logDir);
    if (replication) {
      this.fetchers = new ReplicaFetcherManager({
        localBrokerId: config.brokerId,
        addressOf: (id) => replication.addressOf(id),
        fetchWaitMaxMs: config.replicaFetchWaitMaxMs,
        fetchMaxBytes: config.replicaFetchMaxBytes,
        requestTimeoutMs: FETCH_REQUEST_TIMEOUT_MS,
        backoffMs: FETCH_BACKOFF_MS,
        logger: logger.child({ component: 'replica-fetcher' }),
      });
      this.isrUpdater = new IsrUpdater(
        replication.clusterState,
        (partition, leadership) => this.queue.run(() => this.applyLeadership(partition, leadership)),
        logger.child({ component: 'isr' }),
      );
      const lagMs = config.replicaLagTimeMaxMs;
      this.isrTimer = setInterval(() => this.shrinkIsrs(), Math.max(50, Math.floor(lagMs / 2)));
      this.isrTimer.unref();
      this.checkpointTimer = setInterval(
        () => void this.checkpointHighWatermarks(),
        HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS,
      );
      this.checkpointTimer.unref();
    }
  }

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
        await this.applyLeadership(existing, leadership);
        return existing;
      }
      this.checkpointed ??= this.checkpoint.read().catch(() => new Map<string, bigint>());
      const checkpointedHighWatermark = (await this.checkpointed).get(key);
      const log = await PartitionLog.open({
        dir: join(this.config.logDir, key),
        config: topicLogConfig(this.config, topicConfig),
        logger: this.logger.child({ partition: key }),
      });
      const partition = new Partition(tp, log, this.config.brokerId, leadership, {
        checkpointedHighWatermark,
      });
      this.partitions.set(key, partition);
      this.logger.info(
        {
          partition: key,
          leader: leadership.leader,
          leaderEpoch: leadership.leaderEpoch,
          logEndOffset: String(log.logEndOffset),
          highWatermark: String(partition.highWatermark),
        },
        'replica opened',
      );
      await this.startRole(partition, partition.isLeader ? 'becameLeader' : 'becameFollower');
      return partition;
    });
  }

  /** Applies new leadership facts to a local replica and starts or stops fetching (on the queue). */
  private async applyLeadership(partition: Partition, leadership: PartitionLeadership): Promise<void> {
    if (this.partitions.get(topicPartitionKey(partition.topicPartition)) !== partition) return;
    const change = partition.updateLeadership(leadership);
    if (change !== 'unchanged') await this.startRole(partition, change);
  }

  private async startRole(partition: Partition, change: 'becameLeader' | 'becameFollower'): Promise<void> {
    const { leader, leaderEpoch } = partition.state;
    const tp = partition.topicPartition;
    await this.fetchers?.removePartition(tp);
    if (change === 'becameLeader') {
      await partition.log.assignEpochStartOffset(leaderEpoch);
      this.logger.info(
        { partition: topicPartitionKey(tp), leaderEpoch, highWatermark: String(partition.highWatermark) },
        'leading',
      );
    } else if (leader >= 0 && this.fetchers) {
      await this.fetchers.addPartition(partition, leader, leaderEpoch);
      this.logger.info({ partition: topicPartitionKey(tp), leader, leaderEpoch }, 'following');
    }
  }

  /**
   * A follower fetched `fetchOffset` from a partition we lead: record its progress and, when it has
   * caught up, propose re-admitting it to the ISR.
   */
  recordFollowerFetch(partition: Partition, replicaId: number, fetchOffset: bigint): void {
    partition.recordFollowerFetch(replicaId, fetchOffset);
    // Only registered (live) brokers rejoin, as Kafka's KIP-841 requires.
    const joining = partition.catchingUpFollowers().filter((id) => this.isLive(id));
    if (joining.length === 0 || !this.isrUpdater) return;
    const isr = [...partition.state.isr, ...joining];
    this.proposeIsr(partition, isr, `caught up: ${joining.join(',')}`);
  }

  private proposeIsr(partition: Partition, isr: number[], reason: string): void {
    this.isrUpdater?.propose(partition, isr, reason).catch((error: unknown) => {
      this.logger.warn(
        { err: error, partition: topicPartitionKey(partition.topicPartition) },
        'ISR update failed',
      );
    });
  }

  private isLive(brokerId: number): boolean {
    return this.replication?.addressOf(brokerId) != null;
  }

  /** Drops followers that lag more than replica.lag.time.max.ms from the ISRs we lead. */
  private shrinkIsrs(): void {
    if (!this.isrUpdater || this.closed) return;
    for (const partition of this.partitions.values()) {
      const lagging = partition.laggingFollowers(this.config.replicaLagTimeMaxMs);
      if (lagging.length === 0) continue;
      const isr = partition.state.isr.filter((id) => !lagging.includes(id));
      this.proposeIsr(partition, isr, `lagging: ${lagging.join(',')}`);
    }
  }

  /** Writes every local high watermark to the log dir's replication-offset-checkpoint. */
  async checkpointHighWatermarks(): Promise<void> {
    const entries = this.all().map((p) => ({ topicPartition: p.topicPartition, offset: p.highWatermark }));
    try {
      await this.checkpoint.write(entries);
    } catch (error) {
      this.logger.warn({ err: error }, 'high watermark checkpoint failed');
    }
  }

  /** Removes the local replica; with `deleteData` its directory goes too (topic deletion). */
  removeReplica(tp: TopicPartition, deleteData: boolean): Promise<void> {
    return this.queue.run(async () => {
      const key = topicPartitionKey(tp);
      const partition = this.partitions.get(key);
      if (!partition) return;
      this.partitions.delete(key);
      await this.fetchers?.removePartition(tp);
      partition.failAckWaiters();
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
    this.closed = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.isrTimer) clearInterval(this.isrTimer);
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    return this.queue.run(async () => {
      await this.fetchers?.close();
      await this.checkpointHighWatermarks();
      const all = [...this.partitions.values()];
      for (const partition of all) partition.failAckWaiters();
      this.partitions.clear();
      await Promise.allSettled(all.map((p) => p.log.close()));
    });
  }
}
