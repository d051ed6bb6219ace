import type { TopicPartition } from '../../protocol/topic-partition.js';
import type { Logger } from '../../log/logger.js';
import { ErrorCode } from '../../protocol/errors.js';
import { asStorageError, LogError } from '../log/log-errors.js';
import type { LeaderReplica } from './leader-replica.js';
import type { Partition } from './partition.js';
import type { TopicCompressionType } from '../config.js';
import { recordsForFetchBelowV10 } from './zstd-batches.js';
import { EMPTY_SLICE, MemoryRecordSlice, type RecordSlice } from '../log/record-slice.js';

/**
 * Kafka's broker-side fetch.max.bytes default (55 MiB): a response never carries more, whatever the
 * request asks, so one fetch cannot make the broker buffer a whole segment.
 */
export const FETCH_MAX_BYTES = 55 * 1024 * 1024;

/** One partition of a fetch. */
export interface PartitionReadRequest {
  topicPartition: TopicPartition;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  /** The request's current_leader_epoch (Fetch v9+); -1 or absent = not checked. */
  currentLeaderEpoch?: number;
}

/** A whole fetch (Kafka's ReplicaManager.fetchMessages): several partitions, one byte budget, one wait. */
export interface ReadRecordsOptions {
  partitions: readonly PartitionReadRequest[];
  /** -1 for consumers (read below the high watermark); a broker id for followers (read to the log end). */
  replicaId: number;
  /** Bytes over the whole answer (capped at FETCH_MAX_BYTES). */
  maxBytes: number;
  /** Wait (up to maxWaitMs) until at least this many bytes are available. */
  minBytes: number;
  maxWaitMs: number;
  /**
   * False for Fetch below v10: the batches before the first zstd batch are served; 76 when the fetch
   * position is on a zstd batch or the topic stores zstd.
   */
  zstdAllowed: boolean;
  /** Stops the wait (the connection closed or the broker is shutting down). */
  signal: AbortSignal;
}

/** One partition of the answer, in request order. Offsets are -1 when the partition was not read. */
export interface PartitionReadResult {
  topicPartition: TopicPartition;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  /** Whole batches as stored (never decoded), not yet read from the file (the response streams them);
   * empty when the partition answers an error (never null: librdkafka and Sarama reject a response
   * with a null record set). */
  records: RecordSlice;
}

/** What the read path uses of the replica manager. */
export interface ReadSources {
  /** The local replica, led or not (the long poll listens on it). */
  get(tp: TopicPartition): Partition | undefined;
  leaderReplica(tp: TopicPartition, options: { currentLeaderEpoch?: number }): LeaderReplica;
  /** A follower fetched: its progress (high watermark, ISR expansion). */
  recordFollowerFetch(partition: Partition, replicaId: number, fetchOffset: bigint): void;
  /** The topic's compression.type (zstd-stored topics answer 76 to Fetch below v10). */
  compressionType(topic: string): TopicCompressionType;
  logger: Logger;
}

/**
 * The read path (Kafka's ReplicaManager.fetchMessages with its DelayedFetch): reads every partition
 * within the byte budget (the first batch returned is always whole even if larger, Kafka's rule, so a
 * big batch never blocks a consumer); when fewer than minBytes are available and nothing failed, waits
 * up to maxWaitMs for a requested partition's high watermark to move (followers: any append), then
 * reads again. No polling loop. Errors per partition: 1 OFFSET_OUT_OF_RANGE, 3, 6, 74/75 (leader
 * epoch), 76 (zstd when not allowed).
 */
export async function readRecords(
  sources: ReadSources,
  options: ReadRecordsOptions,
): Promise<PartitionReadResult[]> {
  const deadline = Date.now() + Math.max(0, options.maxWaitMs);
  for (;;) {
    const wake = wakeOnAppend(sources, options);
    const { results, bytes, errors } = await readOnce(sources, options);
    const remaining = deadline - Date.now();
    if (bytes >= options.minBytes || errors || remaining <= 0 || options.signal.aborted) {
      wake.cancel();
      return results;
    }
    await wake.wait(remaining, options.signal);
  }
}

/**
 * Registers for high-watermark moves on every requested partition before reading, so an append
 * between the read and the wait is not missed.
 */
function wakeOnAppend(
  sources: ReadSources,
  options: ReadRecordsOptions,
): { wait(timeoutMs: number, signal: AbortSignal): Promise<void>; cancel(): void } {
  let woken = false;
  let notify: (() => void) | null = null;
  const unsubscribe: Array<() => void> = [];
  for (const request of options.partitions) {
    const partition = sources.get(request.topicPartition);
    if (!partition) continue;
    const onMove = () => {
      woken = true;
      notify?.();
    };
    // Followers read to the log end, so every append is news to them; consumers wait for commits.
    unsubscribe.push(
      options.replicaId >= 0 ? partition.onLogAppend(onMove) : partition.onHighWatermarkAdvance(onMove),
    );
  }
  const cancel = () => {
    for (const stop of unsubscribe) stop();
  };
  return {
    cancel,
    wait(timeoutMs, signal) {
      return new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', finish);
          cancel();
          resolve();
        };
        const timer = setTimeout(finish, timeoutMs);
        signal.addEventListener('abort', finish);
        notify = finish;
        if (woken || signal.aborted) finish();
      });
    },
  };
}

async function readOnce(
  sources: ReadSources,
  options: ReadRecordsOptions,
): Promise<{ results: PartitionReadResult[]; bytes: number; errors: boolean }> {
  let budget = Math.min(Math.max(options.maxBytes, 0), FETCH_MAX_BYTES);
  let bytes = 0;
  let errors = false;
  // Bytes this answer may read into memory at once (small cut reads); beyond, records are streamed.
  let eager = EAGER_READ_BYTES;
  const results: PartitionReadResult[] = [];
  for (const request of options.partitions) {
    const result = await readPartition(sources, options, request, budget, bytes === 0, eager);
    if (result.errorCode !== 0) errors = true;
    const size = result.records.length;
    eager = Math.max(0, eager - size);
    bytes += size;
    budget = Math.max(0, budget - size);
    results.push(result);
  }
  return { results, bytes, errors };
}

const NO_RECORDS = EMPTY_SLICE;

/**
 * What one answer may read into memory up front: a consumer's usual fetch (1 MiB per partition) is
 * read and cut in one file read, as before streaming; larger answers are sized from batch headers
 * and streamed, so a response never holds more than this plus two streamed pieces.
 */
const EAGER_READ_BYTES = 1024 * 1024;

async function readPartition(
  sources: ReadSources,
  options: ReadRecordsOptions,
  request: PartitionReadRequest,
  budget: number,
  firstWithData: boolean,
  eagerBytes: number,
): Promise<PartitionReadResult> {
  const tp = request.topicPartition;
  const unread = { topicPartition: tp, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n };
  const led = sources.leaderReplica(tp, { currentLeaderEpoch: request.currentLeaderEpoch });
  if ('errorCode' in led) return { ...unread, errorCode: led.errorCode, records: NO_RECORDS };
  const { partition } = led;
  const offsets = { topicPartition: tp, ...partitionOffsets(partition) };
  const isFollower = options.replicaId >= 0;
  if (isFollower) sources.recordFollowerFetch(partition, options.replicaId, request.fetchOffset);
  try {
    const { records } = await partition.log.slice(request.fetchOffset, {
      maxBytes: Math.min(request.partitionMaxBytes, budget),
      maxOffset: isFollower ? undefined : partition.highWatermark,
      minOneBatch: firstWithData,
      eagerBytes,
    });
    if (!options.zstdAllowed) {
      // Old clients (no zstd) are served from memory: their batches must be looked at first.
      const bytes = await records.bytes();
      const allowed = recordsForFetchBelowV10(bytes, sources.compressionType(tp.topic) === 'zstd');
      if ('errorCode' in allowed) return { ...offsets, errorCode: allowed.errorCode, records: NO_RECORDS };
      const served = new MemoryRecordSlice([allowed.records]);
      return { topicPartition: tp, ...partitionOffsets(partition), errorCode: 0, records: served };
    }
    return { topicPartition: tp, ...partitionOffsets(partition), errorCode: 0, records };
  } catch (error) {
    if (error instanceof LogError) return { ...offsets, errorCode: error.code, records: NO_RECORDS };
    const storage = asStorageError(error);
    if (storage !== undefined) {
      sources.logger.warn({ ...tp, err: storage.systemError.message }, 'fetch failed: storage error');
      return { ...offsets, errorCode: storage.code, records: NO_RECORDS };
    }
    sources.logger.error({ err: error, ...tp }, 'fetch failed');
    return { ...offsets, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, records: NO_RECORDS };
  }
}

function partitionOffsets(partition: Partition): {
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
} {
  return {
    highWatermark: partition.highWatermark,
    lastStableOffset: partition.lastStableOffset,
    logStartOffset: partition.log.logStartOffset,
  };
}
