import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { KafkaAdmin } from '../client/admin.js';
import { ZooKeeperBrokerDiscovery } from '../client/broker-discovery.js';
import { KafkaClient } from '../client/kafka-client.js';
import { ClusterState } from '../coordinator/cluster-state.js';
import { topicPartitionKey, type TopicPartition } from '../protocol/topic-partition.js';
import { ZooKeeperSession } from '../coordinator/zk-session.js';
import { componentLogger, type Logger } from '../log/logger.js';
import { ErrorCode, KafkaProtocolError } from '../protocol/errors.js';
import { ASSIGNORS, type Assignor, type AssignorName } from './assignors.js';
import { FetchManager, type ConsumedRecord, type FetchOptions } from './fetch-manager.js';
import { GroupMembership, type GenerationEvent, type OwnershipHandler } from './group-membership.js';
import { SerialQueue } from '../concurrency/serial-queue.js';

export type { ConsumedRecord } from './fetch-manager.js';
export type { GenerationEvent } from './group-membership.js';

export interface ConsumerOptions extends FetchOptions {
  /** ZooKeeper connection string, `host:port[,…][/chroot]`. */
  zookeeper: string;
  groupId: string;
  topics: readonly string[];
  /** Default `<group>_<host>-<ms>-<random>`, like Kafka's ZooKeeper consumer. */
  consumerId?: string;
  /** Where to start when the group has no committed offset (or it is out of range). Default 'latest'. */
  autoOffsetReset?: 'earliest' | 'latest';
  /** Commit consumed positions every `autoCommitIntervalMs` (default true, every 5 s). */
  autoCommit?: boolean;
  autoCommitIntervalMs?: number;
  /** Default 'range'. */
  assignor?: AssignorName | Assignor;
  /** ZooKeeper session timeout. Default 10 s. */
  sessionTimeoutMs?: number;
  /** Kafka client id. Default 'sluice-consumer'. */
  clientId?: string;
}

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: ConsumedRecord;
}

export interface EachBatchPayload {
  topic: string;
  partition: number;
  records: ConsumedRecord[];
  /** Still held by this member (a rebalance may revoke it mid-batch). */
  isCurrent(): boolean;
  /** Marks a record consumed (its offset + 1 is committed next). Records are not marked by default. */
  resolveOffset(offset: bigint): void;
}

export interface RunOptions {
  eachMessage?: (payload: EachMessagePayload) => Promise<void> | void;
  /** Process a batch; call `resolveOffset` for what was processed (default: all, on success). */
  eachBatch?: (payload: EachBatchPayload) => Promise<void> | void;
}

export interface PartitionOffset extends TopicPartition {
  /** The next offset to consume. */
  offset: bigint;
}

interface ConsumerEvents {
  /** This member holds every partition of a new generation. */
  rebalance: [GenerationEvent];
  assigned: [TopicPartition];
  revoked: [TopicPartition[]];
  /** Lost without commit (ZooKeeper session expired or disconnected too long). */
  lost: [TopicPartition[]];
}

interface Position {
  tp: TopicPartition;
  /** Next offset to hand to the application. */
  next: bigint;
  committed: bigint | null;
  /** Bumped by seek(), so a record finishing after a seek does not move the position back. */
  seeks: number;
}

const POLL_MS = 200;

function defaultConsumerId(groupId: string): string {
  const host =
    hostname()
      .replace(/[^a-zA-Z0-9._-]/g, '-')
      .slice(0, 60) || 'host';
  return `${groupId}_${host}-${Date.now()}-${randomBytes(4).toString('hex')}`;
}

/**
 * A ZooKeeper-group consumer. Membership, ownership and offsets live in ZooKeeper
 * (GroupMembership); records come from partition leaders (FetchManager). Delivery is at-least-once:
 * a record's offset + 1 is committed only after the application is done with it, and a partition is
 * handed back only after its position has been committed.
 */
export class Consumer extends EventEmitter<ConsumerEvents> {
  readonly consumerId: string;
  private readonly log: Logger;
  private session: ZooKeeperSession | undefined;
  private state: ClusterState | undefined;
  private client: KafkaClient | undefined;
  private admin: KafkaAdmin | undefined;
  private fetcher: FetchManager | undefined;
  private membership: GroupMembership | undefined;
  private readonly positions = new Map<string, Position>();
  private readonly pausedKeys = new Set<string>();
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;
  private commitTimer: NodeJS.Timeout | undefined;
  /** Resolves when the record being processed is done (revocation waits for it). */
  private processing: Promise<void> = Promise.resolve();
  private readonly commits = new SerialQueue();
  private suspended = false;

  constructor(private readonly options: ConsumerOptions) {
    super();
    if (options.topics.length === 0) throw new Error('a consumer needs at least one topic');
    this.consumerId = options.consumerId ?? defaultConsumerId(options.groupId);
    this.log = componentLogger('consumer', { group: options.groupId, consumer: this.consumerId });
  }

  /** Connects and joins the group (run() and iteration call this themselves). */
  connect(): Promise<void> {
    this.starting ??= this.start();
    return this.starting;
  }

  /** Partitions this member holds now. */
  assignment(): TopicPartition[] {
    return [...this.positions.values()].map((p) => p.tp);
  }

  /** The group generation this member last acted on. */
  get generation(): number {
    return this.membership?.generation ?? -1;
  }

  /** Consumes until close(): each record (or batch) is passed to the handler in offset order. */
  async run(handlers: RunOptions): Promise<void> {
    if (!handlers.eachMessage && !handlers.eachBatch) throw new Error('run needs eachMessage or eachBatch');
    await this.connect();
    while (!this.closed) {
      const batch = this.fetcher!.takeBatch();
      if (!batch) {
        await this.fetcher!.waitForRecords(POLL_MS);
        continue;
      }
      let release!: () => void;
      this.processing = new Promise((resolve) => (release = resolve));
      try {
        await this.deliver(batch, handlers);
      } finally {
        release();
      }
    }
  }

  /** Async iteration over records; breaking out of the loop closes the consumer. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ConsumedRecord> {
    await this.connect();
    try {
      while (!this.closed) {
        const batch = this.fetcher!.takeBatch();
        if (!batch) {
          await this.fetcher!.waitForRecords(POLL_MS);
          continue;
        }
        for (const record of batch.records) {
          if (!this.fetcher!.isCurrent(batch.tp, batch.epoch) || !this.holds(batch.tp)) {
            this.rewindIfPaused(batch.tp);
            break;
          }
          const position = this.positions.get(topicPartitionKey(batch.tp));
          if (!position || record.offset < position.next) continue;
          let release!: () => void;
          this.processing = new Promise((resolve) => (release = resolve));
          const seeks = position.seeks;
          let threw = false;
          try {
            yield record;
          } catch (error) {
            threw = true;
            throw error;
          } finally {
            // Resumed (next) or ended by the caller (break/return): the record was processed.
            if (!threw && position.seeks === seeks) position.next = record.offset + 1n;
            release();
          }
        }
      }
    } finally {
      await this.close();
    }
  }

  /**
   * Commits positions to /consumers/<g>/offsets/<t>/<p>: the given offsets (next to consume), or every
   * held partition's consumed position. Only partitions this member holds are written; an offset for a
   * partition the cluster does not have rejects with UNKNOWN_TOPIC_OR_PARTITION (as Kafka answers such a
   * commit) and nothing of that call is written.
   */
  async commit(offsets?: readonly PartitionOffset[]): Promise<void> {
    return this.commits.run(() => this.commitNow(offsets));
  }

  /** Moves the position of a held partition; the next record delivered is at `offset`. */
  seek(target: PartitionOffset): void {
    const position = this.positions.get(topicPartitionKey(target));
    if (!position) throw new Error(`seek: ${topicPartitionKey(target)} is not held by this consumer`);
    position.next = target.offset;
    position.seeks++;
    this.fetcher!.seek(target, target.offset);
  }

  /** Stops delivering (and fetching) these partitions until resume(); survives rebalances. */
  pause(tps: readonly TopicPartition[]): void {
    for (const tp of tps) {
      this.pausedKeys.add(topicPartitionKey(tp));
      this.fetcher?.setPaused(tp, true);
    }
  }

  resume(tps: readonly TopicPartition[]): void {
    for (const tp of tps) {
      this.pausedKeys.delete(topicPartitionKey(tp));
      if (!this.fetcher?.isAssigned(tp)) continue;
      this.fetcher.setPaused(tp, false);
      this.rewind(tp);
    }
  }

  paused(): TopicPartition[] {
    return this.assignment().filter((tp) => this.pausedKeys.has(topicPartitionKey(tp)));
  }

  /** Commits, hands back every partition, leaves the group and disconnects. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  private async start(): Promise<void> {
    const { options } = this;
    this.session = await ZooKeeperSession.connect(options.zookeeper, {
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
      connectTimeoutMs: 10_000,
    });
    try {
      this.state = new ClusterState(this.session);
      const discovery = await ZooKeeperBrokerDiscovery.fromClusterState(this.state);
      this.client = new KafkaClient(discovery, { clientId: options.clientId ?? 'sluice-consumer' });
      this.admin = new KafkaAdmin(this.client);
      this.fetcher = new FetchManager(this.client, (tp) => this.resetPosition(tp), options, {
        clientId: options.clientId ?? 'sluice-consumer',
      });
      const assignor =
        typeof options.assignor === 'function' ? options.assignor : ASSIGNORS[options.assignor ?? 'range'];
      if (!assignor) throw new Error(`unknown assignor ${String(options.assignor)}`);
      this.membership = new GroupMembership({
        state: this.state,
        groupId: options.groupId,
        consumerId: this.consumerId,
        topics: options.topics,
        assignor,
        handler: this.ownershipHandler(),
      });
      this.membership.on('generation', (event) => this.emit('rebalance', event));
      this.membership.on('error', (error) => this.log.debug({ err: error.message }, 'group task error'));
      await this.membership.join();
      if (options.autoCommit ?? true) {
        const interval = options.autoCommitIntervalMs ?? 5_000;
        this.commitTimer = setInterval(() => {
          this.commit().catch((error: unknown) =>
            this.log.warn({ err: (error as Error).message }, 'auto-commit failed'),
          );
        }, interval);
        this.commitTimer.unref();
      }
    } catch (error) {
      await this.session.close();
      throw error;
    }
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.commitTimer);
    if (!this.starting) return;
    await this.starting.catch(() => undefined);
    this.fetcher?.interruptWaiters();
    await this.processing;
    try {
      // leave() revokes held partitions through the handler, which commits them first. Bounded: with
      // ZooKeeper unreachable the commit cannot land, and closing the session ends ownership anyway.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.membership?.leave(),
        new Promise<void>(
          (resolve) => (timer = setTimeout(resolve, this.options.sessionTimeoutMs ?? 10_000)),
        ),
      ]);
      clearTimeout(timer);
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'leaving the group failed');
    }
    await this.fetcher?.close();
    await this.client?.close();
    await this.session?.close();
  }

  private ownershipHandler(): OwnershipHandler {
    return {
      onAssigned: async (tp) => {
        const committed = await this.state!.readOffset(this.options.groupId, tp);
        const start = committed ?? (await this.resetPosition(tp));
        const key = topicPartitionKey(tp);
        this.positions.set(key, { tp, next: start, committed, seeks: 0 });
        this.fetcher!.assign(tp, start);
        if (this.pausedKeys.has(key)) this.fetcher!.setPaused(tp, true);
        this.log.debug({ partition: key, offset: String(start) }, 'assigned');
        this.emit('assigned', tp);
      },
      onRevoked: async (tps) => {
        for (const tp of tps) this.fetcher!.revoke(tp);
        // Let the record in the application's hands finish, then commit what was consumed.
        await this.processing;
        await this.commit(this.consumedPositions(tps)).catch((error: unknown) =>
          this.log.warn({ err: (error as Error).message }, 'commit on revoke failed'),
        );
        for (const tp of tps) this.positions.delete(topicPartitionKey(tp));
        this.emit('revoked', tps);
      },
      onLost: (tps) => {
        for (const tp of tps) {
          this.fetcher?.revoke(tp);
          this.positions.delete(topicPartitionKey(tp));
        }
        this.emit('lost', tps);
      },
      onSuspend: () => {
        this.suspended = true;
        this.fetcher?.setSuspended(true);
      },
      onResume: () => {
        this.suspended = false;
        if (!this.fetcher) return;
        this.fetcher.setSuspended(false);
        // Records taken out of the buffer but not delivered were dropped: fetch them again.
        for (const position of this.positions.values()) this.rewind(position.tp);
      },
    };
  }

  /** Where to start without a usable committed offset: earliest or latest, from the leader. */
  private async resetPosition(tp: TopicPartition): Promise<bigint> {
    const spec = this.options.autoOffsetReset ?? 'latest';
    for (let attempt = 0; ; attempt++) {
      try {
        const offsets = await this.admin!.listOffsets(tp.topic, spec);
        const offset = offsets.get(tp.partition);
        if (offset !== undefined && offset >= 0n) return offset;
        throw new Error(`no ${spec} offset for ${topicPartitionKey(tp)}`);
      } catch (error) {
        if (this.closed || attempt >= 50) throw error;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  // ---- delivery -----------------------------------------------------------------------------------

  private holds(tp: TopicPartition): boolean {
    return !this.suspended && this.membership!.isOwned(tp) && this.positions.has(topicPartitionKey(tp));
  }

  private async deliver(
    batch: { tp: TopicPartition; records: ConsumedRecord[]; epoch: number },
    handlers: RunOptions,
  ): Promise<void> {
    const key = topicPartitionKey(batch.tp);
    const position = this.positions.get(key);
    if (!position) return;
    const records = batch.records.filter((r) => r.offset >= position.next);
    if (records.length === 0) return;
    const current = () => this.fetcher!.isCurrent(batch.tp, batch.epoch) && this.holds(batch.tp);
    if (handlers.eachBatch) {
      if (!current()) return this.rewindIfPaused(batch.tp);
      const seeks = position.seeks;
      let resolved: bigint | null = null;
      await handlers.eachBatch({
        topic: batch.tp.topic,
        partition: batch.tp.partition,
        records,
        isCurrent: current,
        resolveOffset: (offset) => {
          if (resolved === null || offset > resolved) resolved = offset;
        },
      });
      const last = resolved ?? records[records.length - 1]!.offset;
      if (this.positions.get(key) === position && position.seeks === seeks) position.next = last + 1n;
      return;
    }
    for (const message of records) {
      if (!current()) return this.rewindIfPaused(batch.tp);
      const seeks = position.seeks;
      await handlers.eachMessage!({ topic: batch.tp.topic, partition: batch.tp.partition, message });
      // A seek from inside the handler wins over the record's own position.
      if (this.positions.get(key) === position && position.seeks === seeks)
        position.next = message.offset + 1n;
    }
  }

  /** After delivery stopped mid-batch (pause), fetch again from the delivered position. */
  private rewindIfPaused(tp: TopicPartition): void {
    if (this.pausedKeys.has(topicPartitionKey(tp))) this.rewind(tp);
  }

  private rewind(tp: TopicPartition): void {
    const position = this.positions.get(topicPartitionKey(tp));
    if (position && this.fetcher?.isAssigned(tp)) this.fetcher.seek(tp, position.next);
  }

  private consumedPositions(tps?: readonly TopicPartition[]): PartitionOffset[] {
    const wanted = tps ? new Set(tps.map(topicPartitionKey)) : undefined;
    return [...this.positions.entries()]
      .filter(([key]) => !wanted || wanted.has(key))
      .map(([, p]) => ({ ...p.tp, offset: p.next }));
  }

  private async refuseUnknownPartitions(offsets: readonly PartitionOffset[]): Promise<void> {
    for (const topic of new Set(offsets.map((o) => o.topic))) {
      const assignment = await this.state!.readTopicAssignment(topic);
      const count = assignment?.value.length ?? 0;
      const unknown = offsets.filter((o) => o.topic === topic && (o.partition < 0 || o.partition >= count));
      if (unknown.length > 0)
        throw new KafkaProtocolError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `(commit for ${unknown.map(topicPartitionKey).join(', ')})`,
        );
    }
  }

  private async commitNow(offsets?: readonly PartitionOffset[]): Promise<void> {
    if (!this.state || !this.membership || this.suspended) return;
    if (offsets) await this.refuseUnknownPartitions(offsets);
    const targets = offsets ?? this.consumedPositions();
    await Promise.all(
      targets.map(async (target) => {
        const key = topicPartitionKey(target);
        const position = this.positions.get(key);
        // Never write for a partition we do not hold: its new owner's commits must win.
        if (!position || !this.membership!.isOwned(target) || this.suspended) return;
        if (position.committed === target.offset) return;
        await this.state!.commitOffset(this.options.groupId, target, target.offset);
        position.committed = target.offset;
      }),
    );
  }
}
