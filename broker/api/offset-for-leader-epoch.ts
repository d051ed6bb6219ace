// OffsetForLeaderEpoch (key 23), versions 0-3: for each partition, the largest leader epoch <= the
// requested one that this leader's log knows and the offset where it ends (the log end for the
// current epoch), from the log's leader-epoch cache. Followers truncate there after a leadership
// change, rather than to their high watermark. Answered by the leader only.
// Errors: 3 UNKNOWN_TOPIC_OR_PARTITION, 6 NOT_LEADER_OR_FOLLOWER, 74/75 FENCED/UNKNOWN_LEADER_EPOCH
// (current_leader_epoch, v2+). Undefined answers (epoch -1, offset -1) when the epoch is newer than
// anything known.
import { ErrorCode } from '../../protocol/errors.js';
import type { OffsetForLeaderEpochResponse } from '../../protocol/index.js';
import { offsetForLeaderEpochRequest } from '../../protocol/messages/offset-for-leader-epoch.js';
import type { BrokerServices } from '../broker-services.js';
import { leaderEpochError } from '../replica/partition.js';
import { defineApiHandler } from './api-handler.js';

type EpochEndOffset = OffsetForLeaderEpochResponse['topics'][number]['partitions'][number];

export const offsetForLeaderEpochHandler = defineApiHandler({
  apiKey: 23,
  minVersion: offsetForLeaderEpochRequest.versions[0],
  maxVersion: offsetForLeaderEpochRequest.versions[1],
  async handle(body, _context, broker) {
    return {
      throttleTimeMs: 0,
      topics: body.topics.map((topic) => ({
        topic: topic.topic,
        partitions: topic.partitions.map((p) =>
          endOffsetFor(broker, topic.topic, p.partition, p.leaderEpoch, p.currentLeaderEpoch),
        ),
      })),
    };
  },
});

function endOffsetFor(
  broker: BrokerServices,
  topic: string,
  partitionIndex: number,
  leaderEpoch: number,
  currentLeaderEpoch: number | undefined,
): EpochEndOffset {
  const answer = (errorCode: number, epoch = -1, endOffset = -1n): EpochEndOffset => ({
    errorCode,
    partition: partitionIndex,
    leaderEpoch: epoch,
    endOffset,
  });
  const partition = broker.replicas.get({ topic, partition: partitionIndex });
  if (!partition) {
    const known = broker.metadata.topics.get(topic);
    const exists = known !== undefined && partitionIndex >= 0 && partitionIndex < known.assignment.length;
    return answer(exists ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  }
  if (!partition.isLeader) return answer(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const epochError = leaderEpochError(partition, currentLeaderEpoch);
  if (epochError !== 0) return answer(epochError);
  const end = partition.log.endOffsetForEpoch(leaderEpoch);
  return answer(0, end.leaderEpoch, end.endOffset);
}
