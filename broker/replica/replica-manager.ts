import { join } from 'node:path';
import type { BrokerAddress } from '../../client/kafka-connection.js';
import type { ClusterState } from '../../coordinator/cluster-state.js';
import type { TopicConfig } from '../../coordinator/zk-paths.js';
import { topicPartitionKey, type TopicPartition } from '../../protocol/topic-partition.js';
import type { Logger } from '../../log/logger.js';
import type { BrokerConfig, TopicCompressionType } from '../config.js';
import { PartitionLog } from '../log/partition-log.js';
import { SerialQueue } from '../../concurrency/serial-queue.js';
import type { MetadataCache } from '../metadata-cache.js';
import type { ProducerStates } from '../producer-state/producer-states.js';
import {
  appendRecords,
  type AppendRecordsOptions,
  type AppendSources,
  type PendingAppend,
} from './append-records.js';
import { HighWatermarkCheckpoint } from './high-watermark-checkpoint.js';
import { IsrUpdater } from './isr-updater.js';
import { findLeaderReplica, type LeaderReplica } from './leader-replica.js';
import { Partition, type PartitionLeadership } from './partition.js';
import {
  readRecords,
  type PartitionReadResult,
  type ReadRecordsOptions,
  type ReadSources,
} from './read-records.js';
import { ReplicaFetcherManager } from './replica-fetcher-manager.js';
import { topicCompressionType, topicLogConfig } from './topic-log-config.js';

/** What replication needs from the rest of the broker. */
export interface ReplicationContext {
  /** The inter-broker listener address of a live broker, or null. */
  addressOf(brokerId: number): BrokerAddress | null;
  /** For the leader's conditional ISR writes. */
  clusterState: ClusterState;
}

export interface ReplicaManagerOptions {
  config: BrokerConfig;
  logger: Logger;
  replication: ReplicationContext;
  /** Tells a partition that does not exist from one led elsewhere; topic min.insync.replicas. */
  metadata: MetadataCache;
  /** Idempotent appends check and record here; a removed replica's state goes with it. */
  producerStates: ProducerStates;
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
 *
 * Client requests go through here too: `appendRecords` (Produce) and `readRecords` (Fetch) own the
 * leader lookup, the checks and the waits, so the request handlers only translate.
 */
export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  private readonly queue = new SerialQueue();
  private retentionTimer: NodeJS.Timeout | null = null;
  private readonly isrTimer: NodeJS.Timeout;
  private readonly checkpointTimer: NodeJS.Timeout;
  private readonly fetchers: ReplicaFetcherManager;
  private readonly isrUpdater: IsrUpdater;
  private readonly checkpoint: HighWatermarkCheckpoint;
  private checkpointed: Promise<Map<string, bigint>> | null = null;
  private closed = false;
  private readonly config: BrokerConfig;
  private readonly logger: Logger;
  private readonly replication: ReplicationContext;
  private readonly metadata: MetadataCache;
  private readonly producerStates: ProducerStates;
  private readonly appendSources: AppendSources;
  private readonly readSources: ReadSources;

  constructor(options: ReplicaManagerOptions) {
    const { config, logger, replication } = options;
    this.config = config;
    this.logger = logger;
    this.replication = replication;
    this.metadata = options.metadata;
    this.producerStates = options.producerStates;
    this.checkpoint = new HighWatermarkCheckpoint(config.logDir);
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
    this.appendSources = {
      leaderForAppend: (tp) =>
        findLeaderReplica(this.get(tp), this.metadata, tp, { leaderlessIsUnavailable: true }),
      minInsyncReplicas: (topic) => this.minInsyncReplicas(topic),
      compressionType: (topic) => this.compressionType(topic),
      producerStates: this.producerStates,
      logger,
    };
    this.readSources = {
      get: (tp) => this.get(tp),
      leaderReplica: (tp, lookup) => this.leaderReplica(tp, lookup),
      recordFollowerFetch: (partition, replicaId, fetchOffset) =>
        this.recordFollowerFetch(partition, replicaId, fetchOffset),
      compressionType: (topic) => this.compressionType(topic),
      logger,
    };
  }

  /**
   * Appends one partition's records as leader (Produce): every check, the idempotent append and, for
   * acks=-1, the ISR wait (`PendingAppend.acknowledged`). Resolves once the local append is done, so a
   * connection may let the next Produce append while this one waits (produce pipelining).
   */
  appendRecords(options: AppendRecordsOptions): Promise<PendingAppend> {
    return appendRecords(this.appendSources, options);
  }

  /** Reads a fetch's partitions (consumer or follower), long-polling for minBytes; one result per partition. */
  readRecords(options: ReadRecordsOptions): Promise<PartitionReadResult[]> {
    return readRecords(this.readSources, options);
  }

  /** The local replica a client request may use, if this broker leads it in the expected epoch. */
  leaderReplica(tp: TopicPartition, options: { currentLeaderEpoch?: number } = {}): LeaderReplica {
    return findLeaderReplica(this.get(tp), this.metadata, tp, options);
  }

  /** The topic's min.insync.replicas override, else the broker's. */
  private minInsyncReplicas(topic: string): number {
    const override = Number(this.metadata.topics.get(topic)?.config['min.insync.replicas']);
    return Number.isInteger(override) && override >= 1 ? override : this.config.minInsyncReplicas;
  }

  /** The topic's compression.type (its override, else the broker's). */
  private compressionType(topic: string): TopicCompressionType {
    return topicCompressionType(this.config, this.metadata.topics.get(topic)?.config ?? {});
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
    await this.fetchers.removePartition(tp);
    if (change === 'becameLeader') {
      await partition.log.assignEpochStartOffset(leaderEpoch);
      this.logger.info(
        { partition: topicPartitionKey(tp), leaderEpoch, highWatermark: String(partition.highWatermark) },
        'leading',
      );
    } else if (leader >= 0) {
      await this.fetchers.addPartition(partition, leader, leaderEpoch);
      this.logger.info({ partition: topicPartitionKey(tp), leader, leaderEpoch }, 'following');
    }
  }

  /**
   * A follower fetched `fetchOffset` from a partition we lead: record its progress and, when it has
   * caught up, propose re-admitting it to the ISR.
   */
  private recordFollowerFetch(partition: Partition, replicaId: number, fetchOffset: bigint): void {
    partition.recordFollowerFetch(replicaId, fetchOffset);
    // Only registered (live) brokers rejoin, as Kafka's KIP-841 requires.
    const joining = partition.catchingUpFollowers().filter((id) => this.isLive(id));
    if (joining.length === 0) return;
    const isr = [...partition.state.isr, ...joining];
    this.proposeIsr(partition, isr, `caught up: ${joining.join(',')}`);
  }

  private proposeIsr(partition: Partition, isr: number[], reason: string): void {
    this.isrUpdater.propose(partition, isr, reason).catch((error: unknown) => {
      this.logger.warn(
        { err: error, partition: topicPartitionKey(partition.topicPartition) },
        'ISR update failed',
      );
    });
  }

  private isLive(brokerId: number): boolean {
    return this.replication.addressOf(brokerId) != null;
  }

  /** Drops followers that lag more than replica.lag.time.max.ms from the ISRs we lead. */
  private shrinkIsrs(): void {
    if (this.closed) return;
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
      await this.fetchers.removePartition(tp);
      partition.failAckWaiters();
      await this.producerStates.release(partition.log, { snapshot: !deleteData });
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
    clearInterval(this.isrTimer);
    clearInterval(this.checkpointTimer);
    return this.queue.run(async () => {
      await this.fetchers.close();
      await this.checkpointHighWatermarks();
      const all = [...this.partitions.values()];
      for (const partition of all) partition.failAckWaiters();
      this.partitions.clear();
      await Promise.allSettled(all.map((p) => p.log.close()));
    });
  }
}
