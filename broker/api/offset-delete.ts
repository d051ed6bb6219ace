// OffsetDelete (key 47, KIP-496), version 0: deletes a group's committed offsets for chosen partitions.
// Unknown topics/partitions get UNKNOWN_TOPIC_OR_PARTITION (3); partitions of a topic a live member
// subscribes to get GROUP_SUBSCRIBED_TO_TOPIC (86); a group-level error (GROUP_ID_NOT_FOUND 69, …)
// answers with no topics, as Kafka does.
import { ErrorCode } from '../../protocol/errors.js';
import { offsetDeleteRequest } from '../../protocol/messages/offset-delete.js';
import { groupCoordinatorOf } from '../group-coordinator/group-coordinator.js';
import { defineApiHandler } from './api-handler.js';
import { partitionExists } from './partition-exists.js';

export const offsetDeleteHandler = defineApiHandler({
  apiKey: 47,
  minVersion: offsetDeleteRequest.versions[0],
  maxVersion: offsetDeleteRequest.versions[1],
  async handle(body, _context, broker) {
    const entries = body.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        known: partitionExists(broker.metadata, t.name, p.partitionIndex),
      })),
    );
    const result = await groupCoordinatorOf(broker).deleteOffsets(
      body.groupId,
      entries.filter((e) => e.known),
    );
    if (result.errorCode !== 0) return { errorCode: result.errorCode, throttleTimeMs: 0, topics: [] };
    let known = 0;
    let i = 0;
    return {
      errorCode: 0,
      throttleTimeMs: 0,
      topics: body.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: entries[i++]!.known
            ? (result.codes[known++] ?? 0)
            : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        })),
      })),
    };
  },
});
