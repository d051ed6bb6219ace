import type { TopicPartition } from '../../coordinator/zk-paths.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { AppendResult, PartitionLog } from '../log/partition-log.js';

/** Leadership facts for one partition, as the partition-state znode says. */
export interface PartitionLeadership {
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

type HighWatermarkListener = () => void;

/**
 * One local replica of a topic-partition: its log, whether this broker leads it, and the high
 * watermark. The high watermark is the minimum log end offset over the ISR; follower end offsets are
 * recorded by `recordFollowerEndOffset` (replication plugs in there). With ISR = [self] it simply
 * follows the local log end, so acks=-1 behaves as acks=1.
 *
 * Consumers read below the high watermark; waiting fetches register a listener that fires whenever it
 * moves (no polling loop).
 */
export class Partition {
  private hwm: bigint;
  private leadership: PartitionLeadership;
  private readonly followerEndOffsets = new Map<number, bigint>();
  private readonly listeners = new Set<HighWatermarkListener>();
  private readonly ackWaiters: Array<{ offset: bigint; resolve: () => void }> = [];

  constructor(
    readonly topicPartition: TopicPartition,
    readonly log: PartitionLog,
    private readonly localBrokerId: number,
    leadership: PartitionLeadership,
  ) {
    this.leadership = leadership;
    // Single-replica ISR: everything on disk is committed. With more replicas, start at the log end
    // only as leader of an ISR of one; otherwise wait for followers to report.
    this.hwm = leadership.isr.length <= 1 ? log.logEndOffset : log.logStartOffset;
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

  updateLeadership(leadership: PartitionLeadership): void {
    this.leadership = leadership;
    for (const id of [...this.followerEndOffsets.keys()]) {
      if (!leadership.isr.includes(id)) this.followerEndOffsets.delete(id);
    }
    this.maybeAdvanceHighWatermark();
  }

  /** Leader append: offsets assigned from the log end, stamped with our leader epoch. */
  async appendAsLeader(records: Buffer): Promise<AppendResult> {
    const result = await this.log.append(records, { leaderEpoch: this.leadership.leaderEpoch });
    this.maybeAdvanceHighWatermark();
    return result;
  }

  /**
   * acks=all: resolves once the high watermark has passed `lastOffset` (every ISR member has it), or
   * false at the deadline. With ISR = [self] this is immediate.
   */
  waitForIsr(lastOffset: bigint, timeoutMs: number): Promise<boolean> {
    if (this.hwm > lastOffset) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        offset: lastOffset,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
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

  /** Replication hook: a follower fetched from `endOffset`, so it holds everything below it. */
  recordFollowerEndOffset(brokerId: number, endOffset: bigint): void {
    this.followerEndOffsets.set(brokerId, endOffset);
    this.maybeAdvanceHighWatermark();
  }

  /** Calls `listener` each time the high watermark moves, until the returned function is called. */
  onHighWatermarkAdvance(listener: HighWatermarkListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private maybeAdvanceHighWatermark(): void {
    let candidate = this.log.logEndOffset;
    for (const id of this.leadership.isr) {
      if (id === this.localBrokerId) continue;
      const end = this.followerEndOffsets.get(id) ?? this.log.logStartOffset;
      if (end < candidate) candidate = end;
    }
    if (candidate <= this.hwm) return;
    this.hwm = candidate;
    for (let i = this.ackWaiters.length - 1; i >= 0; i--) {
      const waiter = this.ackWaiters[i]!;
      if (this.hwm > waiter.offset) {
        this.ackWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
    for (const listener of [...this.listeners]) listener();
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
