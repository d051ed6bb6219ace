import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatchSync, decodeRecordBatchesSync } from '../../protocol/record-batch.js';
import { TimestampType, timestampTypeOf } from '../../protocol/record-batch-header.js';
import { fetchRequest } from '../support/fetch-partition.js';
import { waitFor } from '../support/wait.js';
import {
  createTopic,
  RawKafkaConnection,
  startBrokerHarness,
  type BrokerHarness,
} from '../support/broker-test-support.js';

function metadataRequest(names: string[] | null, allowAutoTopicCreation = true) {
  return {
    topics: names === null ? null : names.map((name) => ({ name })),
    allowAutoTopicCreation,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('broker admin APIs: CreateTopics, DeleteTopics, DescribeConfigs, auto-create', () => {
  let harness: BrokerHarness;
  let client: RawKafkaConnection;

  beforeAll(async () => {
    harness = await startBrokerHarness({ 'num.partitions': '2', 'log.retention.hours': '24' });
    client = await RawKafkaConnection.open(harness.port);
  });
  afterAll(async () => {
    client?.close();
    await harness?.stop();
  });

  it('creates topics (v0, v5, v7) with partitions, configs and manual assignments', async () => {
    const v0 = await client.request(19, 0, {
      topics: [{ name: 'created-v0', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 10_000,
    });
    expect(v0.topics).toEqual([expect.objectContaining({ name: 'created-v0', errorCode: 0 })]);

    const v5 = await client.request(19, 5, {
      topics: [
        {
          name: 'with-config',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [],
          configs: [{ name: 'retention.ms', value: '60000' }],
        },
      ],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(v5.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 2, replicationFactor: 1 });
    expect(v5.topics[0]!.configs).toContainEqual(
      expect.objectContaining({ name: 'retention.ms', value: '60000' }),
    );

    const v7 = await client.request(19, 7, {
      topics: [
        {
          name: 'manual',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [
            { partitionIndex: 0, brokerIds: [1] },
            { partitionIndex: 1, brokerIds: [1] },
          ],
          configs: [],
        },
      ],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(v7.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 2 });

    const metadata = await client.request(3, 9, metadataRequest(['created-v0', 'with-config', 'manual']));
    expect(metadata.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([
      ['created-v0', 0, 3],
      ['with-config', 0, 2],
      ['manual', 0, 2],
    ]);
    for (const p of [0, 1, 2])
      expect(await exists(join(harness.dataDir, 'logs', `created-v0-${p}`))).toBe(true);
  });

  it('refuses bad creations with Kafka error codes', async () => {
    const ask = async (
      topic: { name: string; numPartitions: number; replicationFactor: number },
      validateOnly = false,
    ) => {
      const response = await client.request(19, 5, {
        topics: [{ ...topic, assignments: [], configs: [] }],
        timeoutMs: 5_000,
        validateOnly,
      });
      return response.topics[0]!;
    };
    expect(await createTopic(client, 'twice')).toBe(0);
    expect((await ask({ name: 'twice', numPartitions: 1, replicationFactor: 1 })).errorCode).toBe(36);
    expect((await ask({ name: 'bad/name', numPartitions: 1, replicationFactor: 1 })).errorCode).toBe(17);
    expect((await ask({ name: 'x'.repeat(250), numPartitions: 1, replicationFactor: 1 })).errorCode).toBe(17);
    expect((await ask({ name: 'too-replicated', numPartitions: 1, replicationFactor: 2 })).errorCode).toBe(
      38,
    );
    expect((await ask({ name: 'no-partitions', numPartitions: 0, replicationFactor: 1 })).errorCode).toBe(37);
    const config = await client.request(19, 5, {
      topics: [
        {
          name: 'bad-config',
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: [{ name: 'no.such.key', value: '1' }],
        },
      ],
      timeoutMs: 5_000,
      validateOnly: false,
    });
    expect(config.topics[0]!.errorCode).toBe(40);
    // A failed topic carries an empty config list, as Kafka sends it (never null).
    expect(config.topics[0]!.configs).toEqual([]);

    const dryRun = await ask({ name: 'dry-run', numPartitions: 4, replicationFactor: 1 }, true);
    expect(dryRun).toMatchObject({ errorCode: 0, numPartitions: 4 });
    const metadata = await client.request(3, 9, metadataRequest(['dry-run'], false));
    expect(metadata.topics[0]!.errorCode).toBe(3);
  });

  it('refuses topic config values it cannot take (40, naming the key); applies LogAppendTime', async () => {
    const badValues: Array<[string, string]> = [
      ['retention.ms', 'abc'],
      ['segment.bytes', '10'],
      ['min.insync.replicas', '0'],
      ['unclean.leader.election.enable', 'yes'],
      ['cleanup.policy', 'compact'],
      ['compression.type', 'brotli'],
      ['message.timestamp.type', 'Now'],
    ];
    for (const [name, value] of badValues) {
      const response = await client.request(19, 5, {
        topics: [
          {
            name: 'bad-value',
            numPartitions: 1,
            replicationFactor: 1,
            assignments: [],
            configs: [{ name, value }],
          },
        ],
        timeoutMs: 5_000,
        validateOnly: false,
      });
      expect(response.topics[0]).toMatchObject({
        errorCode: 40,
        errorMessage: expect.stringContaining(name),
      });
    }
    const metadata = await client.request(3, 9, metadataRequest(['bad-value'], false));
    expect(metadata.topics[0]!.errorCode).toBe(3);

    // LogAppendTime: the broker's clock replaces the producer's timestamp.
    expect(
      await createTopic(client, 'append-time', 1, [
        { name: 'message.timestamp.type', value: 'LogAppendTime' },
      ]),
    ).toBe(0);
    const before = BigInt(Date.now());
    const produced = await client.request(0, 7, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5_000,
      topicData: [
        {
          name: 'append-time',
          partitionData: [
            {
              index: 0,
              records: encodeRecordBatchSync({
                records: [{ key: null, value: Buffer.from('v'), timestamp: 1_000n }],
              }),
            },
          ],
        },
      ],
    });
    const answer = produced.responses[0]!.partitionResponses[0]!;
    expect(answer.errorCode).toBe(0);
    expect(answer.logAppendTimeMs).toBeGreaterThanOrEqual(before);
    const fetched = await client.request(1, 11, fetchRequest('append-time', 0n));
    const [batch] = decodeRecordBatchesSync(fetched.responses[0]!.partitions[0]!.records!);
    expect(timestampTypeOf(batch!.header.attributes)).toBe(TimestampType.LogAppendTime);
    expect(batch!.header.maxTimestamp).toBe(answer.logAppendTimeMs);
    expect(batch!.records[0]!.timestamp).toBe(answer.logAppendTimeMs);
  });

  it('deletes topics: gone from metadata, logs removed; unknown topics get error 3', async () => {
    expect(await createTopic(client, 'doomed', 2)).toBe(0);
    await client.request(0, 7, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5_000,
      topicData: [{ name: 'doomed', partitionData: [{ index: 0, records: null }] }],
    });
    expect(await exists(join(harness.dataDir, 'logs', 'doomed-0'))).toBe(true);
    const v1 = await client.request(20, 1, { topicNames: ['doomed', 'never-was'], timeoutMs: 10_000 });
    expect(v1.responses).toEqual([
      expect.objectContaining({ name: 'doomed', errorCode: 0 }),
      expect.objectContaining({ name: 'never-was', errorCode: 3 }),
    ]);
    const metadata = await client.request(3, 9, metadataRequest(['doomed'], false));
    expect(metadata.topics[0]!.errorCode).toBe(3);
    await waitFor(async () => !(await exists(join(harness.dataDir, 'logs', 'doomed-0'))), {
      what: 'log dir removed',
    });

    expect(await createTopic(client, 'doomed-v6')).toBe(0);
    const v6 = await client.request(20, 6, {
      topics: [{ name: 'doomed-v6', topicId: '00000000-0000-0000-0000-000000000000' }],
      timeoutMs: 10_000,
    });
    expect(v6.responses[0]).toMatchObject({ name: 'doomed-v6', errorCode: 0 });
    // The name is free again.
    expect(await createTopic(client, 'doomed-v6')).toBe(0);
  });

  it('DescribeConfigs: broker resource and topic resource with overrides and synonyms', async () => {
    const v0 = await client.request(32, 0, {
      resources: [
        { resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions', 'log.retention.hours'] },
      ],
    });
    expect(v0.results[0]!.errorCode).toBe(0);
    expect(v0.results[0]!.configs).toEqual([
      expect.objectContaining({ name: 'num.partitions', value: '2', isDefault: false }),
      expect.objectContaining({ name: 'log.retention.hours', value: '24', isDefault: false }),
    ]);

    const v2 = await client.request(32, 2, {
      resources: [{ resourceType: 2, resourceName: 'with-config', configurationKeys: null }],
      includeSynonyms: true,
    });
    const configs = v2.results[0]!.configs;
    const retention = configs.find((c) => c.name === 'retention.ms')!;
    expect(retention).toMatchObject({ value: '60000', configSource: 1 });
    expect(retention.synonyms).toEqual([
      { name: 'retention.ms', value: '60000', source: 1 },
      { name: 'log.retention.ms', value: String(24 * 3_600_000), source: 5 },
    ]);
    expect(configs.find((c) => c.name === 'segment.bytes')).toMatchObject({
      value: '1073741824',
      configSource: 5,
    });
    expect(configs.find((c) => c.name === 'cleanup.policy')).toMatchObject({ value: 'delete' });

    const missing = await client.request(32, 1, {
      resources: [{ resourceType: 2, resourceName: 'nope', configurationKeys: null }],
      includeSynonyms: false,
    });
    expect(missing.results[0]!.errorCode).toBe(3);
  });

  it('Metadata auto-creates a requested topic when enabled (v4+ only when the request allows it)', async () => {
    const refused = await client.request(3, 9, metadataRequest(['auto-refused'], false));
    expect(refused.topics[0]!.errorCode).toBe(3);
    const created = await client.request(3, 9, metadataRequest(['auto-made'], true));
    expect(created.topics[0]!.name).toBe('auto-made');
    // Created on the spot: either already led, or LEADER_NOT_AVAILABLE (5) for the client to retry.
    expect([0, 5]).toContain(created.topics[0]!.errorCode);
    const again = await waitFor(async () => {
      const response = await client.request(3, 1, metadataRequest(['auto-made-v1']));
      const topic = response.topics[0]!;
      return topic.errorCode === 0 && topic.partitions.every((p) => p.leaderId === 1) ? topic : null;
    });
    expect(again.partitions).toHaveLength(2);
    const all = await client.request(3, 9, metadataRequest(null));
    expect(all.topics.map((t) => t.name)).toEqual(
      expect.arrayContaining(['auto-made', 'auto-made-v1', 'manual']),
    );
  });
});
