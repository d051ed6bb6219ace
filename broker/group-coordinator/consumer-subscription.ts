import { Reader } from '../../protocol/primitives/reader.js';

/**
 * The topics in a "consumer" protocol member's JoinGroup metadata (Kafka's
 * ConsumerProtocolSubscription: version int16, topics [string], user data, owned partitions…).
 * Only the topic list matters to the coordinator (OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC, whether a
 * rejoining static member changed its subscription); null when the metadata is not of that shape.
 */
export function subscribedTopics(metadata: Buffer): string[] | null {
  try {
    const reader = new Reader(metadata);
    reader.readInt16('version');
    const count = reader.readArrayLength('topics', 2);
    const topics: string[] = [];
    for (let i = 0; i < count; i++) topics.push(reader.readString('topic'));
    return topics;
  } catch {
    return null;
  }
}
