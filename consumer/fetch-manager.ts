import { ConnectionPool } from '../client/connection-pool.js';
import type { KafkaClient } from '../client/kafka-client.js';
import type { KafkaConnectionOptions } from '../client/kafka-connection.js';
import { topicPartitionKey, type TopicPartition } from '../protocol/topic-partition.js';
import { componentLogger } from '../log/logger.js';
import { ErrorCode } from '../protocol/errors.js';
import { ApiKey } from '../protocol/messages/index.js';
import { decodeRecordBatches, type RecordHeader } from '../protocol/record-batch.js';
import { LOG_OVERHEAD, RECORD_BATCH_HEADER_SIZE, RecordBatchField } from '../protocol/record-batch-header.js';
import { SerialQueue } from '../concurrency/serial-queue.js';

const log = componentLogger('consumer-fetch');

/** One record as the consumer hands it to the application. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface FetchOptions {
  /** Long-poll time of a fetch with nothing to return. Default 500 ms. */
  maxWaitMs?: number;
  /** Bytes a fetch waits for. Default 1. */
  minBytes?: number;
  /** Per-response limit. Default 16 MiB. */
  maxBytes?: number;
  /** Per-partition limit in one response. Default 1 MiB. */
  partitionMaxBytes?: number;
  /** Prefetch bound: a partition holding this many undelivered bytes is not fetched. Default 2 MiB. */
  maxBufferedBytesPerPartition?: number;
  /** Verify each batch's CRC-32C (Kafka's check.crcs). Default true. */
  checkCrcs?: boolean;
}

/** What to do when a partition's position is unknown or out of range. */
export type OffsetResolver = (tp: TopicPartition) => Promise<bigint>;

interface PartitionFetch {
  tp: TopicPartition;
  /** Next offset to ask the broker for. */
  fetchOffset: bigint;
  /** Fetched, not yet delivered. */
  buffer: ConsumedRecord[];
  bufferedBytes: number;
  paused: boolean;
  /** Fetched bytes still being decoded (counted for back-pressure). */
  pendingBytes: number;
  /** Decodes of this partition's fetched chunks, in fetch order. */
  decoding: SerialQueue;
  /** Bumped by seek/revoke: responses for an older epoch are dropped. */
  epoch: number;
  /** A fetch for this partition is outstanding. */
  inFlight: boolean;
}

const CONTROL_BATCH = 0x20;
const BACKOFF_MS = 200;

/**
 * Prefetching from partition leaders: one long-polling loop per leader broker fetches every assigned
 * partition it leads in one request, as Kafka's fetcher does. A partition whose buffer is full, or that
 * is paused, is left out of requests (back-pressure); delivery drains buffers and wakes the loops.
 * Leader moves: NOT_LEADER_OR_FOLLOWER, unknown partitions and broker failures refresh metadata, and the
 * next round sends each partition to its new leader.
 */
export class FetchManager {
  private readonly partitions = new Map<string, PartitionFetch>();
  private readonly loops = new Map<number, Promise<void>>();
  private wakers: Array<() => void> = [];
  private readonly readyWaiters: Array<() => void> = [];
  private suspended = false;
  private closed = false;
  private refreshing: Promise<void> | undefined;
  private nextDelivery = 0;
  private readonly options: Required<FetchOptions>;
  /**
   * Fetch connections of our own: a broker answers one request per connection at a time, so a
   * long-polling fetch would hold up metadata and ListOffsets requests sent on a shared connection.
   */
  private readonly pool: ConnectionPool;

  constructor(
    private readonly client: KafkaClient,
    private readonly resetOffset: OffsetResolver,
    options: FetchOptions = {},
    connectionOptions: KafkaConnectionOptions = {},
  ) {
    this.pool = new ConnectionPool(connectionOptions);
    this.options = {
      maxWaitMs: options.maxWaitMs ?? 500,
      minBytes: options.minBytes ?? 1,
      maxBytes: options.maxBytes ?? 16 << 20,
      partitionMaxBytes: options.partitionMaxBytes ?? 1 << 20,
      maxBufferedBytesPerPartition: options.maxBufferedBytesPerPartition ?? 2 << 20,
      checkCrcs: options.checkCrcs ?? true,
    };
  }

  /** Starts fetching `tp` at `offset`. */
  assign(tp: TopicPartition, offset: bigint): void {
    const key = topicPartitionKey(tp);
    const previous = this.partitions.get(key);
    this.partitions.set(key, {
      tp,
      fetchOffset: offset,
      buffer: [],
      bufferedBytes: 0,
      paused: previous?.paused ?? false,
      pendingBytes: 0,
      decoding: new SerialQueue(),
      epoch: (previous?.epoch ?? 0) + 1,
      inFlight: false,
    });
    this.ensureLoops();
  }

  /** Stops fetching `tp` and drops what was prefetched. */
  revoke(tp: TopicPartition): void {
    this.partitions.delete(topicPartitionKey(tp));
    this.wake();
  }

  revokeAll(): void {
    this.partitions.clear();
    this.wake();
  }

  isAssigned(tp: TopicPartition): boolean {
    return this.partitions.has(topicPartitionKey(tp));
  }

  /** Moves the fetch position; prefetched records are dropped. */
  seek(tp: TopicPartition, offset: bigint): void {
    const state = this.partitions.get(topicPartitionKey(tp));
    if (!state) throw new Error(`seek: ${topicPartitionKey(tp)} is not assigned to this consumer`);
    state.fetchOffset = offset;
    state.buffer = [];
    state.bufferedBytes = 0;
    state.epoch++;
    this.wake();
  }

  setPaused(tp: TopicPartition, paused: boolean): void {
    const state = this.partitions.get(topicPartitionKey(tp));
    if (!state) return;
    state.paused = paused;
    this.wake();
  }

  /** Suspends all fetching (ZooKeeper connection lost) without dropping positions. */
  setSuspended(suspended: boolean): void {
    this.suspended = suspended;
    this.wake();
  }

  /**
   * The buffered records of one partition (rotating fairly between partitions), or null if nothing is
   * buffered. The epoch lets the caller check the partition was not revoked or seeked meanwhile.
   */
  takeBatch(): { tp: TopicPartition; records: ConsumedRecord[]; epoch: number } | null {
    if (this.suspended) return null;
    const states = [...this.partitions.values()];
    for (let i = 0; i < states.length; i++) {
      const state = states[(this.nextDelivery + i) % states.length]!;
      if (state.paused || state.buffer.length === 0) continue;
      this.nextDelivery = (this.nextDelivery + i + 1) % states.length;
      const records = state.buffer;
      state.buffer = [];
      state.bufferedBytes = 0;
      this.wake();
      return { tp: state.tp, records, epoch: state.epoch };
    }
    return null;
  }

  /** Whether `tp` is still assigned at `epoch` (not revoked, seeked or suspended since). */
  isCurrent(tp: TopicPartition, epoch: number): boolean {
    const state = this.partitions.get(topicPartitionKey(tp));
    return !this.suspended && state !== undefined && state.epoch === epoch && !state.paused;
  }

  /** Resolves when records may be available (or after `timeoutMs`). */
  waitForRecords(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiters = this.readyWaiters;
      function done() {
        clearTimeout(timer);
        const at = waiters.indexOf(done);
        if (at >= 0) waiters.splice(at, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  /** Wakes anyone waiting for records (close, rebalance). */
  interruptWaiters(): void {
    for (const waiter of this.readyWaiters.splice(0)) waiter();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.partitions.clear();
    this.wake();
    this.interruptWaiters();
    await Promise.all(this.loops.values());
    await this.pool.close();
  }

  // ---- fetch loops --------------------------------------------------------------------------------

  private wake(): void {
    for (const waker of this.wakers.splice(0)) waker();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const wakers = this.wakers;
      function done() {
        clearTimeout(timer);
        const at = wakers.indexOf(done);
        if (at >= 0) wakers.splice(at, 1);
        resolve();
      }
      wakers.push(done);
    });
  }

  private leaderOf(tp: TopicPartition): number | undefined {
    const leader = this.client.metadata?.partition(tp.topic, tp.partition)?.leader;
    return leader !== undefined && leader >= 0 ? leader : undefined;
  }

  private ensureLoops(): void {
    if (this.closed) return;
    let unknown = false;
    for (const state of this.partitions.values()) {
      const leader = this.leaderOf(state.tp);
      if (leader === undefined) unknown = true;
      else if (!this.loops.has(leader)) {
        this.loops.set(
          leader,
          this.runLoop(leader).finally(() => {
            this.loops.delete(leader);
            // A partition may have moved to this leader while the loop was ending.
            if ([...this.partitions.values()].some((s) => this.leaderOf(s.tp) === leader)) this.ensureLoops();
          }),
        );
      }
    }
    if (unknown) void this.refreshMetadata();
  }

  private refreshMetadata(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const topics = [...new Set([...this.partitions.values()].map((s) => s.tp.topic))];
        await this.client.refreshMetadata(topics);
      } catch (error) {
        log.debug({ err: (error as Error).message }, 'metadata refresh failed');
        await new Promise((r) => setTimeout(r, BACKOFF_MS));
      } finally {
        this.refreshing = undefined;
      }
      this.ensureLoops();
    })();
    return this.refreshing;
  }

  private async runLoop(leader: number): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const led = [...this.partitions.values()].filter((s) => this.leaderOf(s.tp) === leader);
      if (led.length === 0) return;
      const wanted = led.filter(
        (s) =>
          !this.suspended &&
          !s.paused &&
          !s.inFlight &&
          s.bufferedBytes + s.pendingBytes < this.options.maxBufferedBytesPerPartition,
      );
      if (wanted.length === 0) {
        await this.sleep(1_000);
        continue;
      }
      try {
        await this.fetchOnce(leader, wanted);
      } catch (error) {
        log.debug({ leader, err: (error as Error).message }, 'fetch failed; refreshing metadata');
        await this.sleep(BACKOFF_MS);
        await this.refreshMetadata();
      }
    }
  }

  private async fetchOnce(leader: number, wanted: PartitionFetch[]): Promise<void> {
    const broker = this.client.metadata?.broker(leader);
    if (!broker) throw new Error(`broker ${leader} is not in the cluster metadata`);
    const connection = await this.pool.get(broker);
    const epochs = new Map(wanted.map((s) => [topicPartitionKey(s.tp), s.epoch]));
    const offsets = new Map(wanted.map((s) => [topicPartitionKey(s.tp), s.fetchOffset]));
    const byTopic = new Map<string, PartitionFetch[]>();
    for (const s of wanted) byTopic.set(s.tp.topic, [...(byTopic.get(s.tp.topic) ?? []), s]);
    for (const s of wanted) s.inFlight = true;
    let response;
    try {
      response = await connection.request(
        ApiKey.Fetch,
        {
          replicaId: -1,
          maxWaitMs: this.options.maxWaitMs,
          minBytes: this.options.minBytes,
          maxBytes: this.options.maxBytes,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [...byTopic].map(([topic, states]) => ({
            topic,
            partitions: states.map((s) => ({
              partition: s.tp.partition,
              fetchOffset: s.fetchOffset,
              partitionMaxBytes: this.options.partitionMaxBytes,
            })),
          })),
          forgottenTopicsData: [],
          rackId: '',
        },
        { timeoutMs: 30_000 + this.options.maxWaitMs },
      );
    } finally {
      for (const s of wanted) s.inFlight = false;
    }
    let needMetadata = false;
    for (const topic of response.responses) {
      for (const data of topic.partitions) {
        const tp = { topic: topic.topic, partition: data.partitionIndex };
        const key = topicPartitionKey(tp);
        const state = this.partitions.get(key);
        // Revoked or seeked while the fetch was out: its data is no longer wanted.
        if (!state || state.epoch !== epochs.get(key) || state.fetchOffset !== offsets.get(key)) continue;
        if (data.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          const offset = await this.resetOffset(tp);
          if (state.epoch === epochs.get(key)) {
            log.info({ partition: key, from: String(state.fetchOffset), to: String(offset) }, 'offset reset');
            state.fetchOffset = offset;
          }
          continue;
        }
        if (data.errorCode !== 0) {
          needMetadata = true;
          continue;
        }
        if (!data.records || data.records.length === 0) continue;
        // Pipelining: the next fetch goes out (from the offset the batch headers give) while these
        // records are decoded; decodes of one partition stay in order on its chain.
        const from = state.fetchOffset;
        const next = offsetAfterBatches(data.records);
        if (next > state.fetchOffset) state.fetchOffset = next;
        const records = data.records;
        state.pendingBytes += records.length;
        void state.decoding.run(async () => {
          await new Promise((resolve) => setImmediate(resolve));
          await this.decodeInto(state, from, records);
        });
      }
    }
    if (needMetadata) {
      await this.sleep(BACKOFF_MS);
      await this.refreshMetadata();
    }
  }

  /** Decodes one fetched chunk into the partition's buffer, unless it was revoked or seeked since. */
  private async decodeInto(state: PartitionFetch, from: bigint, records: Buffer): Promise<void> {
    const epoch = state.epoch;
    try {
      const batches = await decodeRecordBatches(records, { skipCrcCheck: !this.options.checkCrcs });
      if (state.epoch !== epoch || this.partitions.get(topicPartitionKey(state.tp)) !== state) return;
      let delivered = false;
      for (const batch of batches) {
        if ((batch.header.attributes & CONTROL_BATCH) !== 0) continue;
        for (const record of batch.records) {
          if (record.offset < from) continue;
          state.buffer.push({ topic: state.tp.topic, partition: state.tp.partition, ...record });
          state.bufferedBytes += (record.value?.length ?? 0) + (record.key?.length ?? 0) + 64;
          delivered = true;
        }
      }
      if (delivered) for (const waiter of this.readyWaiters.splice(0)) waiter();
    } catch (error) {
      if (state.epoch !== epoch) return;
      // Corrupt data: fetch it again from where this chunk started (dropping what was fetched after).
      log.warn(
        { partition: topicPartitionKey(state.tp), err: (error as Error).message },
        'undecodable fetch data',
      );
      state.fetchOffset = from;
      state.buffer = [];
      state.bufferedBytes = 0;
      state.epoch++;
    } finally {
      state.pendingBytes -= records.length;
      this.wake();
    }
  }
}

/** The offset after the last complete batch in fetched bytes (a partial trailing batch is ignored). */
export function offsetAfterBatches(records: Buffer): bigint {
  let next = -1n;
  for (let position = 0; position + RECORD_BATCH_HEADER_SIZE <= records.length;) {
    const size = LOG_OVERHEAD + records.readInt32BE(position + RecordBatchField.batchLength);
    if (size < RECORD_BATCH_HEADER_SIZE || position + size > records.length) break;
    const last =
      records.readBigInt64BE(position + RecordBatchField.baseOffset) +
      BigInt(records.readInt32BE(position + RecordBatchField.lastOffsetDelta));
    if (last + 1n > next) next = last + 1n;
    position += size;
  }
  return next;
}
