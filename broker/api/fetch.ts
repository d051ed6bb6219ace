// Fetch (key 1), versions 4-12: several topics/partitions per request; records are file bytes
// (whole batches, never decoded). Long poll: when fewer than min_bytes are available the request waits
// up to max_wait_ms and wakes when a requested partition's high watermark moves (no polling loop).
// Limits: max_bytes over the response, partition_max_bytes per partition; the first batch returned is
// always whole even if larger (Kafka's rule, so a big batch never blocks a consumer).
// Consumers read below the high watermark and wake when it moves; followers (replica_id >= 0) read up
// to the log end, wake on every append, and their fetch offset is their progress (ReplicaManager:
// high watermark, ISR expansion). The reading is ReplicaManager.readRecords
// (broker/replica/read-records.ts); this handler translates.
// Errors: 1 OFFSET_OUT_OF_RANGE, 3 UNKNOWN_TOPIC_OR_PARTITION, 6 NOT_LEADER_OR_FOLLOWER,
// 74/75 FENCED/UNKNOWN_LEADER_EPOCH (current_leader_epoch, v9+), 76 UNSUPPORTED_COMPRESSION_TYPE (zstd
// data to Fetch < 10).
// Not implemented: fetch sessions (always session id 0 = sessionless, which clients accept),
// read_committed filtering (no transactions: last stable offset = high watermark), preferred read
// replicas, diverging epochs.
import { streamedRecords, type FetchResponse } from '../../protocol/index.js';
import { fetchApi } from '../../protocol/messages/fetch.js';
import type { PartitionReadResult } from '../replica/read-records.js';
import { defineApiHandler } from './api-handler.js';

type PartitionData = FetchResponse['responses'][number]['partitions'][number];

export const fetchHandler = defineApiHandler(fetchApi, {
  async handle(body, context, broker) {
    const results = await broker.replicas.readRecords({
      partitions: body.topics.flatMap((topic) =>
        topic.partitions.map((p) => ({
          topicPartition: { topic: topic.topic, partition: p.partition },
          fetchOffset: p.fetchOffset,
          partitionMaxBytes: p.partitionMaxBytes,
          currentLeaderEpoch: p.currentLeaderEpoch,
        })),
      ),
      replicaId: body.replicaId,
      maxBytes: body.maxBytes,
      minBytes: body.minBytes,
      maxWaitMs: body.maxWaitMs,
      zstdAllowed: context.header.apiVersion >= 10,
      signal: context.signal,
    });
    // One result per requested partition, in request order.
    let next = 0;
    const responses = body.topics.map((topic) => ({
      topic: topic.topic,
      partitions: topic.partitions.map(() => partitionData(results[next++]!)),
    }));
    return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses };
  },
});

function partitionData(result: PartitionReadResult): PartitionData {
  return {
    partitionIndex: result.topicPartition.partition,
    errorCode: result.errorCode,
    highWatermark: result.highWatermark,
    lastStableOffset: result.lastStableOffset,
    logStartOffset: result.logStartOffset,
    abortedTransactions: null,
    preferredReadReplica: -1,
    // Streamed from the log as the response is written (bounded memory per connection).
    records: streamedRecords(result.records),
  };
}
