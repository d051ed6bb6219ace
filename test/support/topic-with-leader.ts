import { expect } from 'vitest';
import type { KafkaAdmin, NewTopic } from '../../client/admin.js';
import { waitFor } from './wait.js';

/** Creates a topic (failing the test on an error) and waits until Metadata names every partition's leader. */
export async function createTopicWithLeaders(admin: KafkaAdmin, topic: NewTopic): Promise<void> {
  const created = await admin.createTopics([topic]);
  expect(created.filter((r) => r.error)).toEqual([]);
  await waitFor(
    async () => {
      const partitions = (await admin.client.refreshMetadata([topic.name])).topic(topic.name)?.partitions;
      return partitions !== undefined && partitions.length > 0 && partitions.every((p) => p.leader >= 0);
    },
    { timeoutMs: 20_000, what: `leaders for ${topic.name}` },
  );
}
