import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import {
  RawKafkaConnection,
  startBrokerHarness,
  type BrokerHarness,
} from '../support/broker-test-support.js';

/**
 * Kafka's internal topic names are never created as ordinary topics: a Metadata request for
 * `__consumer_offsets` (Burrow sends one) must not auto-create an empty topic that the tool then reads as
 * Kafka's offsets, and CreateTopics of Kafka's internal names is refused.
 */

function metadataRequest(names: string[]) {
  return {
    topics: names.map((name) => ({ name })),
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
}

function createTopicsRequest(name: string) {
  return {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 10_000,
    validateOnly: false,
  };
}

describe('internal topic names', () => {
  let harness: BrokerHarness;
  let client: RawKafkaConnection;

  beforeAll(async () => {
    harness = await startBrokerHarness({ 'auto.create.topics.enable': 'true' });
    client = await RawKafkaConnection.open(harness.port);
  });
  afterAll(async () => {
    client?.close();
    await harness?.stop();
  });

  it('Metadata never auto-creates a __ name: 3 UNKNOWN_TOPIC_OR_PARTITION, and the topic stays absent', async () => {
    const names = ['__consumer_offsets', '__transaction_state', '__burrow_probe'];
    for (const version of [1, 9]) {
      const answer = await client.request(3, version, metadataRequest(names));
      expect(answer.topics.map((t: { name: string; errorCode: number }) => [t.name, t.errorCode])).toEqual(
        names.map((name) => [name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]),
      );
    }
    const all = await client.request(3, 9, { ...metadataRequest([]), topics: null });
    expect(all.topics.map((t: { name: string }) => t.name)).not.toEqual(
      expect.arrayContaining(['__consumer_offsets']),
    );
    expect(all.topics.filter((t: { name: string }) => t.name.startsWith('__'))).toEqual([]);
    // An ordinary name is still auto-created, so the refusal above is about the name alone.
    const ordinary = await client.request(3, 9, metadataRequest(['plain-auto']));
    expect(ordinary.topics[0].errorCode).not.toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('CreateTopics refuses Kafka internal topics with 42 INVALID_REQUEST', async () => {
    for (const name of ['__consumer_offsets', '__transaction_state']) {
      const answer = await client.request(19, 5, createTopicsRequest(name));
      expect(answer.topics[0]).toMatchObject({ name, errorCode: ErrorCode.INVALID_REQUEST });
      expect(answer.topics[0].errorMessage).toMatch(/internal topic/);
    }
    const all = await client.request(3, 9, { ...metadataRequest([]), topics: null });
    expect(all.topics.filter((t: { name: string }) => t.name.startsWith('__'))).toEqual([]);
  });

  it('CreateTopics of another __ name is allowed, as Kafka allows it', async () => {
    const answer = await client.request(19, 5, createTopicsRequest('__app_internal'));
    expect(answer.topics[0]).toMatchObject({ name: '__app_internal', errorCode: 0 });
  });
});
