// ListOffsets (key 2), versions 1-6: earliest (-2) = log start, latest (-1) = high watermark (the last
// stable offset for read_committed, the same value without transactions), or the first offset whose
// timestamp is >= the given one (time index; offset -1 when there is none).
// Errors: 3 UNKNOWN_TOPIC_OR_PARTITION, 6 NOT_LEADER_OR_FOLLOWER, 74/75 FENCED/UNKNOWN_LEADER_EPOCH (v4+).
// Not implemented: max timestamp (-3, ListOffsets v7+, outside our range).
import type { ListOffsetsResponse } from '../../protocol/index.js';
import { listOffsetsApi } from '../../protocol/messages/list-offsets.js';
import type { BrokerServices } from '../broker-services.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../log/partition-log.js';
import { defineApiHandler } from './api-handler.js';
import { ledPartition } from './led-partition.js';

type PartitionResponse = ListOffsetsResponse['topics'][number]['partitions'][number];

export const listOffsetsHandler = defineApiHandler(listOffsetsApi, {
  async handle(body, _context, broker) {
    const topics: ListOffsetsResponse['topics'] = [];
    for (const topic of body.topics) {
      const partitions: PartitionResponse[] = [];
      for (const p of topic.partitions) {
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
  const led = ledPartition(broker, topic, partitionIndex, currentLeaderEpoch);
  if ('errorCode' in led) return answer(led.errorCode);
  const { partition } = led;
  const epoch = partition.leaderEpoch;
  if (timestamp === EARLIEST_TIMESTAMP) return answer(0, partition.log.logStartOffset, -1n, epoch);
  if (timestamp === LATEST_TIMESTAMP) {
    // Followers and debugging tools (replica_id >= 0) see the log end; consumers the high watermark.
    const end = replicaId >= 0 ? partition.log.logEndOffset : partition.highWatermark;
    return answer(0, end, -1n, epoch);
  }
  const found = await partition.log.offsetForTimestamp(timestamp);
  if (found === null || found.offset >= partition.highWatermark) return answer(0, -1n, -1n, epoch);
  return answer(0, found.offset, found.timestamp, epoch);
}
