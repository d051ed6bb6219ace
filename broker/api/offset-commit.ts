// OffsetCommit (key 8), versions 0-8: members of the current generation (or, with generation -1 and
// no member id, anyone while the group is empty) store offsets in /consumers/<g>/offsets/<t>/<p>.
// Retention times (v2-4) and commit timestamps (v1) are accepted and ignored: offsets never expire.
// A topic or partition the cluster does not have gets UNKNOWN_TOPIC_OR_PARTITION (3) and nothing is
// stored, checked before the group as Kafka does; the other partitions of the request go on.
import { offsetCommitApi } from '../../protocol/messages/offset-commit.js';
import { defineApiHandler } from './api-handler.js';
import { checkPartitions } from './partition-exists.js';

export const offsetCommitHandler = defineApiHandler(offsetCommitApi, {
  async handle(body, context, broker) {
    const checked = checkPartitions(broker.metadata, body.topics, (topic, p) => ({
      topic,
      partition: p.partitionIndex,
      offset: p.committedOffset,
      metadata: p.committedMetadata,
    }));
    const codes = await broker.groupCoordinator.commitOffsets(
      body.groupId,
      body.memberId ?? '',
      body.generationIdOrMemberEpoch ?? -1,
      checked.known,
      context.header.apiVersion >= 7 ? (body.groupInstanceId ?? null) : null,
    );
    return { throttleTimeMs: 0, topics: checked.answer(codes) };
  },
});
