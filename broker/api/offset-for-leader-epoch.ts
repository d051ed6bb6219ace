// OffsetForLeaderEpoch (key 23), versions 0-3: for each partition, the largest leader epoch <= the
// requested one that this leader's log knows and the offset where it ends (the log end for the
// current epoch), from the log's leader-epoch cache. Followers truncate there after a leadership
// change, rather than to their high watermark. Answered by the leader only.
// Errors: 3 UNKNOWN_TOPIC_OR_PARTITION, 6 NOT_LEADER_OR_FOLLOWER, 74/75 FENCED/UNKNOWN_LEADER_EPOCH
// (current_leader_epoch, v2+). Undefined answers (epoch -1, offset -1) when the epoch is newer than
// anything known.
import type { OffsetForLeaderEpochResponse } from '../../protocol/index.js';
import { offsetForLeaderEpochApi } from '../../protocol/messages/offset-for-leader-epoch.js';
import type { BrokerServices } from '../broker-services.js';
import { defineApiHandler } from './api-handler.js';

type EpochEndOffset = OffsetForLeaderEpochResponse['topics'][number]['partitions'][number];

export const offsetForLeaderEpochHandler = defineApiHandler(offsetForLeaderEpochApi, {
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
  const led = broker.replicas.leaderReplica({ topic, partition: partitionIndex }, { currentLeaderEpoch });
  if ('errorCode' in led) return answer(led.errorCode);
  const { partition } = led;
  const end = partition.log.endOffsetForEpoch(leaderEpoch);
  return answer(0, end.leaderEpoch, end.endOffset);
}
