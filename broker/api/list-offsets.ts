// ListOffsets (key 2), versions 0-6. v0 (Burrow, old Sarama and kafka-go) answers up to max_num_offsets
// offsets, newest first, from the segment base offsets and the log end (Kafka's legacy rule; a time picks
// the segments last written at or before it); consumers see nothing above the high watermark.
// v1+: earliest (-2) = log start, latest (-1) = high watermark (the last
// stable offset for read_committed, the same value without transactions), or the first offset whose
// timestamp is >= the given one (time index; offset -1 when there is none).
// Errors: 3 UNKNOWN_TOPIC_OR_PARTITION, 6 NOT_LEADER_OR_FOLLOWER, 74/75 FENCED/UNKNOWN_LEADER_EPOCH (v4+).
// Not implemented: max timestamp (-3, ListOffsets v7+, outside our range).
import { ErrorCode } from '../../protocol/errors.js';
import type { ListOffsetsResponse } from '../../protocol/index.js';
import { listOffsetsApi } from '../../protocol/messages/list-offsets.js';
import { CorruptRecordBatchError } from '../../protocol/record-batch-header.js';
import type { BrokerServices } from '../broker-services.js';
import { capAtHighWatermark, legacyOffsetsBefore } from '../log/legacy-offsets.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../log/partition-log.js';
import { defineApiHandler } from './api-handler.js';

type PartitionResponse = ListOffsetsResponse['topics'][number]['partitions'][number];

export const listOffsetsHandler = defineApiHandler(listOffsetsApi, {
  async handle(body, context, broker) {
    const version = context.header.apiVersion;
    const topics: ListOffsetsResponse['topics'] = [];
    for (const topic of body.topics) {
      const partitions: PartitionResponse[] = [];
      for (const p of topic.partitions) {
        if (version === 0) {
          partitions.push(
            await listOffsetsV0(
              broker,
              topic.name,
              p.partitionIndex,
              p.timestamp,
              p.maxNumOffsets ?? 1,
              body.replicaId,
            ),
          );
          continue;
        }
        partitions.push(
          await listOffset(
            broker,
            topic.name,
            p.partitionIndex,
            p.timestamp,
            body.replicaId,
            p.currentLeaderEpoch,
          ),
        );
      }
      topics.push({ name: topic.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
});

async function listOffset(
  broker: BrokerServices,
  topic: string,
  partitionIndex: number,
  timestamp: bigint,
  replicaId: number,
  currentLeaderEpoch: number | undefined,
): Promise<PartitionResponse> {
  const answer = (errorCode: number, offset = -1n, time = -1n, leaderEpoch = -1): PartitionResponse => ({
    partitionIndex,
    errorCode,
    timestamp: time,
    offset,
    leaderEpoch,
  });
  const led = broker.replicas.leaderReplica({ topic, partition: partitionIndex }, { currentLeaderEpoch });
  if ('errorCode' in led) return answer(led.errorCode);
  const { partition } = led;
  const epoch = partition.leaderEpoch;
  if (timestamp === EARLIEST_TIMESTAMP) return answer(0, partition.log.logStartOffset, -1n, epoch);
  if (timestamp === LATEST_TIMESTAMP) {
    // Followers and debugging tools (replica_id >= 0) see the log end; consumers the high watermark.
    const end = replicaId >= 0 ? partition.log.logEndOffset : partition.highWatermark;
    return answer(0, end, -1n, epoch);
  }
  let found: Awaited<ReturnType<typeof partition.log.offsetForTimestamp>>;
  try {
    found = await partition.log.offsetForTimestamp(timestamp);
  } catch (error) {
    // A stored batch that does not decode within the bound (a compression bomb from before produce
    // validation): answer the partition, keep the connection.
    if (error instanceof CorruptRecordBatchError) return answer(error.code);
    throw error;
  }
  if (found === null || found.offset >= partition.highWatermark) return answer(0, -1n, -1n, epoch);
  return answer(0, found.offset, found.timestamp, epoch);
}

async function listOffsetsV0(
  broker: BrokerServices,
  topic: string,
  partitionIndex: number,
  timestamp: bigint,
  maxNumOffsets: number,
  replicaId: number,
): Promise<PartitionResponse> {
  const answer = (errorCode: number, oldStyleOffsets: bigint[] = []): PartitionResponse => ({
    partitionIndex,
    errorCode,
    oldStyleOffsets,
  });
  const led = broker.replicas.leaderReplica({ topic, partition: partitionIndex });
  if ('errorCode' in led) return answer(led.errorCode);
  if (maxNumOffsets < 0) return answer(ErrorCode.INVALID_REQUEST);
  const { partition } = led;
  const offsets = legacyOffsetsBefore(await partition.log.segmentOffsetTimes(), timestamp, maxNumOffsets);
  return answer(0, replicaId >= 0 ? offsets : capAtHighWatermark(offsets, partition.highWatermark));
}
