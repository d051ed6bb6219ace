import { describe, expect, it } from 'vitest';
import { topicPartitionKey } from '../../../protocol/topic-partition.js';

describe('topicPartitionKey', () => {
  it("spells a partition as Kafka's TopicPartition.toString does: <topic>-<partition>", () => {
    expect(topicPartitionKey({ topic: 'orders', partition: 0 })).toBe('orders-0');
    expect(topicPartitionKey({ topic: 'a-b', partition: 12 })).toBe('a-b-12');
  });

  it('gives different partitions of a topic different keys', () => {
    const keys = [0, 1, 10, 11].map((partition) => topicPartitionKey({ topic: 't1', partition }));
    expect(new Set(keys).size).toBe(4);
  });
});
