import type { TopicPartition } from '../../protocol/topic-partition.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { AppendResult, PartitionLog } from '../log/partition-log.js';

/** Leadership facts for one partition, as the partition-state znode says. */
export interface PartitionLeadership {
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  /** The state znode's controller_epoch (kept when the leader rewrites the ISR). */
  controllerEpoch?: number;
  /** The state znode's version; the leader's ISR writes are conditional on it. */
  zkVersion?: number;
}

/** What the leader knows of one follower, from its Fetch requests (replica_id >= 0). */
export interface FollowerProgress {
  /** The follower's fetch offset: it holds every offset below. */
  endOffset: bigint;
  /** Last time the follower was known to have everything the leader had (Kafka's lastCaughtUpTimeMs). */
  lastCaughtUpTimeMs: number;
  lastFetchTimeMs: number;
  /** The leader's log end at the follower's previous fetch. */
  lastFetchLeaderEndOffset: bigint;
}

export interface PartitionOptions {
  /** The high watermark from the replication-offset-checkpoint (restart). */
  checkpointedHighWatermark?: bigint;
  now?: () => number;
}

type Listener = () => void;

/**
 * One local replica of a topic-partition: its log, whether this broker leads it, and the high
 * watermark.
 *
 * As leader it tracks each follower's progress from their fetches; the high watermark is the minimum
 * log end offset over the ISR (never moving backwards), acks=all waiters and consumer long polls wake
 * when it moves, and follower long polls wake on every append. ISR changes are decided here
 * (`laggingFollowers`, `catchingUpFollowers`) and written to ZooKeeper by the IsrUpdater.
 *
 * As follower it holds min(leader's high watermark, own log end) — what the leader told it is
 * committed — so a follower promoted later never exposes uncommitted data.
 */
export class Partition {
  private hwm: bigint;
  private terms = 0;
  private leadership: PartitionLeadership;
  private readonly followers = new Map<number, FollowerProgress>();
  private readonly hwmListeners = new Set<Listener>();
  private readonly appendListeners = new Set<Listener>();
  private readonly ackWaiters: Array<{ offset: bigint; resolve: (ok: boolean) => void }> = [];
  private readonly now: () => number;

  constructor(
    readonly topicPartition: TopicPartition,
    readonly log: PartitionLog,
    private readonly localBrokerId: number,
    leadership: PartitionLeadership,
    options: PartitionOptions = {},
  ) {
    this.leadership = leadership;
    this.now = options.now ?? Date.now;
    const end = log.logEndOffset;
    const start = log.logStartOffset;
    const checkpoint = options.checkpointedHighWatermark;
    if (checkpoint !== undefined) {
      this.hwm = checkpoint > end ? end : checkpoint < start ? start : checkpoint;
    } else {
      // No checkpoint: a leader with an ISR of one has everything on disk committed; anything else
      // learns its high watermark from followers (leader) or from the leader's fetch answers.
      const soleLeader = leadership.isr.length <= 1 && leadership.leader === localBrokerId;
      this.hwm = soleLeader ? end : start;
    }
    if (this.isLeader) {
      this.resetFollowers();
      // A leader alone in the ISR commits its whole log now (the checkpoint may predate acked records).
      this.maybeAdvanceHighWatermark();
    }
  }

  /**
   * Counts the times this broker became leader: an acks=all append is acknowledged only if the
   * leadership it was appended under lasted until the high watermark passed it.
   */
  get leaderTerm(): number {
    return this.terms;
  }

  get isLeader(): boolean {
    return this.leadership.leader === this.localBrokerId;
  }

  get leaderEpoch(): number {
    return this.leadership.leaderEpoch;
  }

  get state(): PartitionLeadership {
    return this.leadership;
  }

  get highWatermark(): bigint {
    return this.hwm;
  }

  /** No transactions yet: the last stable offset is the high watermark. */
  get lastStableOffset(): bigint {
    return this.hwm;
  }

  /** Progress of `brokerId` as seen by this leader (undefined before its first fetch). */
  followerProgress(brokerId: number): FollowerProgress | undefined {
    return this.followers.get(brokerId);
  }

  /**
   * Applies new leadership facts. Returns what changed for this broker's role so the caller can start
   * or stop fetching. A state older than the one held (lower znode version) is ignored.
   */
  updateLeadership(leadership: PartitionLeadership): 'becameLeader' | 'becameFollower' | 'unchanged' {
    const previous = this.leadership;
    if (
      previous.zkVersion !== undefined &&
      leadership.zkVersion !== undefined &&
      leadership.zkVersion < previous.zkVersion
    ) {
      return 'unchanged';
    }
    const wasLeader = this.isLeader;
    this.leadership = leadership;
    const newTerm = previous.leader !== leadership.leader || previous.leaderEpoch !== leadership.leaderEpoch;
    if (this.isLeader) {
      // A new term (also the controller's epoch bump when it drops a dead follower) forgets follower
      // progress: only fetches in this term count, so a dead broker is never re-admitted.
      if (!wasLeader) this.terms++;
      if (!wasLeader || newTerm) this.resetFollowers();
      for (const id of [...this.followers.keys()]) {
        if (!leadership.replicas.includes(id)) this.followers.delete(id);
      }
      this.maybeAdvanceHighWatermark();
      return !wasLeader || newTerm ? 'becameLeader' : 'unchanged';
    }
    if (wasLeader) this.failAckWaiters();
    this.followers.clear();
    return wasLeader || newTerm ? 'becameFollower' : 'unchanged';
  }

  /**
   * Leader append: offsets assigned from the log end, stamped with our leader epoch. `records` is the
   * log's afterwards (kept for tail reads without a copy): the caller must not modify or reuse it.
   */
  async appendAsLeader(records: Buffer, options: { crcVerified?: boolean } = {}): Promise<AppendResult> {
    const result = await this.log.append(records, {
      leaderEpoch: this.leadership.leaderEpoch,
      tailCache: 'adopt',
      crcVerified: options.crcVerified,
    });
    for (const listener of [...this.appendListeners]) listener();
    this.maybeAdvanceHighWatermark();
    return result;
  }

  /** Follower append: the leader's batches with the leader's offsets and epochs. */
  async appendAsFollower(records: Buffer): Promise<AppendResult> {
    // Not cached for reads: consumers fetch from the leader (no preferred read replicas).
    return this.log.append(records, { leaderEpoch: -1, assignOffsets: false, tailCache: 'skip' });
  }

  /** Follower: the leader's high watermark, capped at what we hold. */
  updateFollowerHighWatermark(leaderHighWatermark: bigint): void {
    if (this.isLeader) return;
    const end = this.log.logEndOffset;
    const candidate = leaderHighWatermark < end ? leaderHighWatermark : end;
    if (candidate > this.hwm) {
      this.hwm = candidate;
      for (const listener of [...this.hwmListeners]) listener();
    }
  }

  /** After a follower's truncation: the high watermark cannot exceed the log end. */
  clampHighWatermarkToLogEnd(): void {
    const end = this.log.logEndOffset;
    if (this.hwm > end) this.hwm = end;
  }

  /**
   * acks=all: resolves true once the high watermark has passed `lastOffset` (every ISR member has
   * it); false at the deadline or when this broker stops leading.
   */
  waitForIsr(lastOffset: bigint, timeoutMs: number): Promise<boolean> {
    // A follower's high watermark says nothing about what it appended while it led.
    if (!this.isLeader) return Promise.resolve(false);
    if (this.hwm > lastOffset) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        offset: lastOffset,
        resolve: (ok: boolean) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => {
        const at = this.ackWaiters.indexOf(waiter);
        if (at >= 0) this.ackWaiters.splice(at, 1);
        resolve(false);
      }, timeoutMs);
      this.ackWaiters.push(waiter);
    });
  }

  /** Replication hook without timing (tests): a follower fetched from `endOffset`. */
  recordFollowerEndOffset(brokerId: number, endOffset: bigint): void {
    this.recordFollowerFetch(brokerId, endOffset);
  }

  /**
   * A follower fetched from `fetchOffset`, so it holds everything below it. Kafka's caught-up rule:
   * it is caught up now if it asked for the leader's log end, or as of its previous fetch if it asked
   * for what was the log end then.
   */
  recordFollowerFetch(brokerId: number, fetchOffset: bigint, nowMs: number = this.now()): void {
    if (!this.isLeader || brokerId === this.localBrokerId) return;
    if (!this.leadership.replicas.includes(brokerId)) return;
    const leaderEnd = this.log.logEndOffset;
    const previous = this.followers.get(brokerId);
    let caughtUp = previous?.lastCaughtUpTimeMs ?? 0;
    if (fetchOffset >= leaderEnd) caughtUp = nowMs;
    else if (previous && fetchOffset >= previous.lastFetchLeaderEndOffset)
      caughtUp = Math.max(caughtUp, previous.lastFetchTimeMs);
    this.followers.set(brokerId, {
      endOffset: fetchOffset,
      lastCaughtUpTimeMs: caughtUp,
      lastFetchTimeMs: nowMs,
      lastFetchLeaderEndOffset: leaderEnd,
    });
    this.maybeAdvanceHighWatermark();
  }

  /** ISR members (other than the leader) that have not caught up within `maxLagMs`. */
  laggingFollowers(maxLagMs: number, nowMs: number = this.now()): number[] {
    if (!this.isLeader) return [];
    return this.leadership.isr.filter((id) => {
      if (id === this.localBrokerId) return false;
      const progress = this.followers.get(id);
      return progress === undefined || nowMs - progress.lastCaughtUpTimeMs > maxLagMs;
    });
  }

  /**
   * Assigned replicas outside the ISR that have reached the high watermark and hold this term's data
   * (their end is at least where our epoch began): Kafka's condition for re-admitting them.
   */
  catchingUpFollowers(): number[] {
    if (!this.isLeader) return [];
    const epochStart =
      this.log.epochEntries.find((e) => e.epoch === this.leadership.leaderEpoch)?.startOffset ?? 0n;
    return this.leadership.replicas.filter((id) => {
      if (id === this.localBrokerId || this.leadership.isr.includes(id)) return false;
      const progress = this.followers.get(id);
      return progress !== undefined && progress.endOffset >= this.hwm && progress.endOffset >= epochStart;
    });
  }

  /** Calls `listener` each time the high watermark moves, until the returned function is called. */
  onHighWatermarkAdvance(listener: Listener): () => void {
    this.hwmListeners.add(listener);
    return () => this.hwmListeners.delete(listener);
  }

  /** Calls `listener` after each leader append (follower long polls), until the returned function is called. */
  onLogAppend(listener: Listener): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /** Wakes every acks=all waiter with failure (leadership lost or the replica is closing). */
  failAckWaiters(): void {
    for (const waiter of this.ackWaiters.splice(0)) waiter.resolve(false);
    // Long polls re-read and answer NOT_LEADER_OR_FOLLOWER.
    for (const listener of [...this.hwmListeners, ...this.appendListeners]) listener();
  }

  private resetFollowers(): void {
    // A new leader gives every follower a full lag window before it may be dropped from the ISR.
    const now = this.now();
    this.followers.clear();
    for (const id of this.leadership.replicas) {
      if (id === this.localBrokerId) continue;
      this.followers.set(id, {
        endOffset: -1n,
        lastCaughtUpTimeMs: now,
        lastFetchTimeMs: now,
        lastFetchLeaderEndOffset: -1n,
      });
    }
  }

  private maybeAdvanceHighWatermark(): void {
    if (!this.isLeader) return;
    let candidate = this.log.logEndOffset;
    for (const id of this.leadership.isr) {
      if (id === this.localBrokerId) continue;
      const end = this.followers.get(id)?.endOffset ?? -1n;
      if (end < candidate) candidate = end;
    }
    if (candidate <= this.hwm) return;
    this.hwm = candidate;
    for (let i = this.ackWaiters.length - 1; i >= 0; i--) {
      const waiter = this.ackWaiters[i]!;
      if (this.hwm > waiter.offset) {
        this.ackWaiters.splice(i, 1);
        waiter.resolve(true);
      }
    }
    for (const listener of [...this.hwmListeners]) listener();
  }
}

/**
 * Checks a request's current_leader_epoch (-1 = not given) against ours: an older one is fenced (74),
 * a newer one means this broker has not heard of the new leadership yet (75). Both are retriable.
 */
export function leaderEpochError(partition: Partition, requestEpoch: number | undefined): number {
  if (requestEpoch === undefined || requestEpoch < 0) return 0;
  if (requestEpoch < partition.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (requestEpoch > partition.leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
  return 0;
}
