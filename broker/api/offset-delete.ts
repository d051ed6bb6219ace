// OffsetDelete (key 47, KIP-496), version 0: deletes a group's committed offsets for chosen partitions.
// Unknown topics/partitions get UNKNOWN_TOPIC_OR_PARTITION (3); partitions of a topic a live member
// subscribes to get GROUP_SUBSCRIBED_TO_TOPIC (86); a group-level error (GROUP_ID_NOT_FOUND 69, …)
// answers with no topics, as Kafka does.
import { offsetDeleteApi } from '../../protocol/messages/offset-delete.js';
import { defineApiHandler } from './api-handler.js';
import { checkPartitions } from './partition-exists.js';

export const offsetDeleteHandler = defineApiHandler(offsetDeleteApi, {
  async handle(body, _context, broker) {
    const checked = checkPartitions(broker.metadata, body.topics, (topic, p) => ({
      topic,
      partition: p.partitionIndex,
    }));
    const result = await broker.groupCoordinator.deleteOffsets(body.groupId, checked.known);
    if (result.errorCode !== 0) return { errorCode: result.errorCode, throttleTimeMs: 0, topics: [] };
    return { errorCode: 0, throttleTimeMs: 0, topics: checked.answer(result.codes) };
  },
});
