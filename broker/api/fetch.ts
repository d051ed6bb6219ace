// Fetch (key 1), versions 4-12: several topics/partitions per request; records are file bytes
// (whole batches, never decoded). Long poll: when fewer than min_bytes are available the request waits
// up to max_wait_ms and wakes when a requested partition's high watermark moves (no polling loop).
// Limits: max_bytes over the response, partition_max_bytes per partition; the first batch returned is
// always whole even if larger (Kafka's rule, so a big batch never blocks a consumer).
// Consumers read below the high watermark and wake when it moves; followers (replica_id >= 0) read up
// to the log end, wake on every append, and their fetch offset is their progress (ReplicaManager:
// high watermark, ISR expansion).
// Errors: 1 OFFSET_OUT_OF_RANGE, 3 UNKNOWN_TOPIC_OR_PARTITION, 6 NOT_LEADER_OR_FOLLOWER,
// 74/75 FENCED/UNKNOWN_LEADER_EPOCH (current_leader_epoch, v9+), 76 UNSUPPORTED_COMPRESSION_TYPE (zstd
// data to Fetch < 10).
// Not implemented: fetch sessions (always session id 0 = sessionless, which clients accept),
// read_committed filtering (no transactions: last stable offset = high watermark), preferred read
// replicas, diverging epochs.
import { ErrorCode } from '../../protocol/errors.js';
import type { FetchRequest, FetchResponse } from '../../protocol/index.js';
import { fetchApi } from '../../protocol/messages/fetch.js';
import type { BrokerServices } from '../broker-services.js';
import { LogError } from '../log/log-errors.js';
import type { Partition } from '../replica/partition.js';
import { defineApiHandler } from './api-handler.js';
import { ledPartition } from './led-partition.js';
import { hasZstd } from './produce.js';

type PartitionData = FetchResponse['responses'][number]['partitions'][number];

/**
 * Kafka's broker-side fetch.max.bytes default (55 MiB): a response never carries more, whatever the
 * request asks, so one fetch cannot make the broker buffer a whole segment.
 */
export const FETCH_MAX_BYTES = 55 * 1024 * 1024;

export const fetchHandler = defineApiHandler(fetchApi, {
  async handle(body, context, broker) {
    const version = context.header.apiVersion;
    const deadline = Date.now() + Math.max(0, body.maxWaitMs);
    for (;;) {
      const wake = wakeOnAppend(broker, body);
      const { responses, bytes, errors } = await readOnce(broker, body, version);
      const remaining = deadline - Date.now();
      if (bytes >= body.minBytes || errors || remaining <= 0 || context.signal.aborted) {
        wake.cancel();
        return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses };
      }
      await wake.wait(remaining, context.signal);
    }
  },
});

/**
 * Registers for high-watermark moves on every requested partition before reading, so an append
 * between the read and the wait is not missed.
 */
function wakeOnAppend(
  broker: BrokerServices,
  body: FetchRequest,
): { wait(timeoutMs: number, signal: AbortSignal): Promise<void>; cancel(): void } {
  let woken = false;
  let notify: (() => void) | null = null;
  const unsubscribe: Array<() => void> = [];
  for (const topic of body.topics) {
    for (const p of topic.partitions) {
      const partition = broker.replicas.get({ topic: topic.topic, partition: p.partition });
      if (!partition) continue;
      const onMove = () => {
        woken = true;
        notify?.();
      };
      // Followers read to the log end, so every append is news to them; consumers wait for commits.
      unsubscribe.push(
        body.replicaId >= 0 ? partition.onLogAppend(onMove) : partition.onHighWatermarkAdvance(onMove),
      );
    }
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
  broker: BrokerServices,
  body: FetchRequest,
  version: number,
): Promise<{ responses: FetchResponse['responses']; bytes: number; errors: boolean }> {
  let budget = Math.min(Math.max(body.maxBytes, 0), FETCH_MAX_BYTES);
  let bytes = 0;
  let errors = false;
  const responses: FetchResponse['responses'] = [];
  for (const topic of body.topics) {
    const partitions: PartitionData[] = [];
    for (const p of topic.partitions) {
      const result = await readPartition(
        broker,
        topic.topic,
        p,
        budget,
        bytes === 0,
        body.replicaId,
        version,
      );
      if (result.errorCode !== 0) errors = true;
      const size = result.records?.length ?? 0;
      bytes += size;
      budget = Math.max(0, budget - size);
      partitions.push(result);
    }
    responses.push({ topic: topic.topic, partitions });
  }
  return { responses, bytes, errors };
}

async function readPartition(
  broker: BrokerServices,
  topic: string,
  request: FetchRequest['topics'][number]['partitions'][number],
  budget: number,
  firstWithData: boolean,
  replicaId: number,
  version: number,
): Promise<PartitionData> {
  const base = {
    partitionIndex: request.partition,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: null,
  };
  const led = ledPartition(broker, topic, request.partition, request.currentLeaderEpoch);
  if ('errorCode' in led) return { ...base, errorCode: led.errorCode };
  const { partition } = led;
  const offsets = partitionOffsets(partition);
  const isFollower = replicaId >= 0;
  if (isFollower) broker.replicas.recordFollowerFetch(partition, replicaId, request.fetchOffset);
  try {
    const { records } = await partition.log.read(request.fetchOffset, {
      maxBytes: Math.min(request.partitionMaxBytes, budget),
      maxOffset: isFollower ? undefined : partition.highWatermark,
      minOneBatch: firstWithData,
    });
    if (version < 10 && records.length > 0 && hasZstd(records)) {
      return { ...base, ...offsets, errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE };
    }
    return { ...base, ...partitionOffsets(partition), errorCode: 0, records };
  } catch (error) {
    if (error instanceof LogError) return { ...base, ...offsets, errorCode: error.code };
    broker.logger.error({ err: error, topic, partition: request.partition }, 'fetch failed');
    return { ...base, ...offsets, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR };
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
