// OffsetCommit (key 8), versions 0-8: members of the current generation (or, with generation -1 and
// no member id, anyone while the group is empty) store offsets in /consumers/<g>/offsets/<t>/<p>.
// Retention times (v2-4) and commit timestamps (v1) are accepted and ignored: offsets never expire.
import { offsetCommitApi } from '../../protocol/messages/offset-commit.js';
import { groupCoordinatorOf } from '../group-coordinator/group-coordinator.js';
import { defineApiHandler } from './api-handler.js';

export const offsetCommitHandler = defineApiHandler(offsetCommitApi, {
  async handle(body, _context, broker) {
    const entries = body.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        offset: p.committedOffset,
        metadata: p.committedMetadata,
      })),
    );
    const codes = await groupCoordinatorOf(broker).commitOffsets(
      body.groupId,
      body.memberId ?? '',
      body.generationIdOrMemberEpoch ?? -1,
      entries,
    );
    let i = 0;
    return {
      throttleTimeMs: 0,
      topics: body.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: codes[i++] ?? 0,
        })),
      })),
    };
  },
});
