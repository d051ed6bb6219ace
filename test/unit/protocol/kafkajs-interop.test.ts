import fc from 'fast-check';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decodeRequestBody, encodeResponseBody } from '../../../protocol/codec.js';
import { API_DESCRIPTORS, ApiKey, apiDescriptor } from '../../../protocol/messages/index.js';
import { Writer } from '../../../protocol/primitives/writer.js';
import { messageArbitrary, projectToVersion } from '../../support/declaration-arbitrary.js';

/**
 * Byte-level interoperability with kafkajs, a codec we did not write: kafkajs encodes requests that our
 * codec decodes, and kafkajs decodes responses that our codec encodes, for every API/version kafkajs
 * implements inside our ranges.
 */

const require = createRequire(import.meta.url);

interface KafkajsRequest {
  encode(): Promise<{ buffer: Buffer }>;
}
interface KafkajsProtocol {
  versions: string[];
  protocol(opts: { version: number }): (args: unknown) => {
    request: KafkajsRequest;
    response: { decode(buffer: Buffer): Promise<unknown> };
  };
}

const KAFKAJS_DIRS: Record<number, string> = {
  [ApiKey.Produce]: 'produce',
  [ApiKey.Fetch]: 'fetch',
  [ApiKey.ListOffsets]: 'listOffsets',
  [ApiKey.Metadata]: 'metadata',
  [ApiKey.OffsetCommit]: 'offsetCommit',
  [ApiKey.OffsetFetch]: 'offsetFetch',
  [ApiKey.FindCoordinator]: 'findCoordinator',
  [ApiKey.JoinGroup]: 'joinGroup',
  [ApiKey.Heartbeat]: 'heartbeat',
  [ApiKey.LeaveGroup]: 'leaveGroup',
  [ApiKey.SyncGroup]: 'syncGroup',
  [ApiKey.DescribeGroups]: 'describeGroups',
  [ApiKey.ListGroups]: 'listGroups',
  [ApiKey.SaslHandshake]: 'saslHandshake',
  [ApiKey.ApiVersions]: 'apiVersions',
  [ApiKey.CreateTopics]: 'createTopics',
  [ApiKey.DeleteTopics]: 'deleteTopics',
  [ApiKey.InitProducerId]: 'initProducerId',
  [ApiKey.DescribeConfigs]: 'describeConfigs',
  [ApiKey.SaslAuthenticate]: 'saslAuthenticate',
  [ApiKey.DeleteGroups]: 'deleteGroups',
};

function kafkajsProtocol(apiKey: number): KafkajsProtocol {
  return require(`kafkajs/src/protocol/requests/${KAFKAJS_DIRS[apiKey]}/index.js`) as KafkajsProtocol;
}

/** Versions kafkajs implements for an API that also lie in our supported range. */
function sharedVersions(apiKey: number): number[] {
  const api = apiDescriptor(apiKey)!;
  return kafkajsProtocol(apiKey)
    .versions.map(Number)
    .filter((v) => v >= api.minVersion && v <= api.maxVersion)
    .sort((a, b) => a - b);
}

const saslPlain = Buffer.from('\0alice\0secret');

/** kafkajs request arguments and the body our codec must decode from its bytes (all versions' fields). */
const REQUEST_FIXTURES: Record<
  number,
  { args: unknown; expected: (version: number) => Record<string, unknown> }
> = {
  [ApiKey.Produce]: {
    args: {
      acks: -1,
      timeout: 30000,
      topicData: [
        {
          topic: 'orders',
          partitions: [
            {
              partition: 2,
              firstSequence: 0,
              messages: [{ key: 'k', value: 'v', timestamp: 1700000000000 }],
            },
          ],
        },
      ],
    },
    expected: () => ({
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topicData: [{ name: 'orders', partitionData: [{ index: 2, records: expect.any(Buffer) }] }],
    }),
  },
  [ApiKey.Fetch]: {
    args: {
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 1048576,
      isolationLevel: 1,
      sessionId: 7,
      sessionEpoch: 3,
      rackId: 'rack-a',
      topics: [
        {
          topic: 'orders',
          partitions: [
            { partition: 2, currentLeaderEpoch: 5, fetchOffset: '10', logStartOffset: '4', maxBytes: 2048 },
          ],
        },
      ],
      forgottenTopics: [{ topic: 'old', partitions: [1, 2] }],
    },
    expected: () => ({
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1048576,
      isolationLevel: 1,
      sessionId: 7,
      sessionEpoch: 3,
      topics: [
        {
          topic: 'orders',
          partitions: [
            {
              partition: 2,
              currentLeaderEpoch: 5,
              fetchOffset: 10n,
              logStartOffset: 4n,
              partitionMaxBytes: 2048,
            },
          ],
        },
      ],
      forgottenTopicsData: [{ topic: 'old', partitions: [1, 2] }],
      rackId: 'rack-a',
    }),
  },
  [ApiKey.ListOffsets]: {
    args: {
      replicaId: -1,
      isolationLevel: 1,
      topics: [{ topic: 'orders', partitions: [{ partition: 0, timestamp: -2 }] }],
    },
    expected: () => ({
      replicaId: -1,
      isolationLevel: 1,
      // kafkajs asks v0 for one offset
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, timestamp: -2n, maxNumOffsets: 1 }] }],
    }),
  },
  [ApiKey.Metadata]: {
    args: { topics: ['a', 'b'], allowAutoTopicCreation: false },
    expected: () => ({ topics: [{ name: 'a' }, { name: 'b' }], allowAutoTopicCreation: false }),
  },
  [ApiKey.OffsetCommit]: {
    args: {
      groupId: 'g',
      groupGenerationId: 3,
      memberId: 'm-1',
      retentionTime: 86400000,
      topics: [
        { topic: 'orders', partitions: [{ partition: 1, offset: '42', timestamp: 1234, metadata: 'md' }] },
      ],
    },
    expected: () => ({
      groupId: 'g',
      generationIdOrMemberEpoch: 3,
      memberId: 'm-1',
      retentionTimeMs: 86400000n,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 1, committedOffset: 42n, commitTimestamp: 1234n, committedMetadata: 'md' },
          ],
        },
      ],
    }),
  },
  [ApiKey.OffsetFetch]: {
    args: { groupId: 'g', topics: [{ topic: 'orders', partitions: [{ partition: 0 }, { partition: 3 }] }] },
    expected: () => ({ groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0, 3] }] }),
  },
  [ApiKey.FindCoordinator]: {
    args: { groupId: 'g', coordinatorKey: 'g', coordinatorType: 0 },
    expected: () => ({ key: 'g', keyType: 0 }),
  },
  [ApiKey.JoinGroup]: {
    args: {
      groupId: 'g',
      sessionTimeout: 30000,
      rebalanceTimeout: 60000,
      memberId: '',
      groupInstanceId: 'instance-1',
      protocolType: 'consumer',
      groupProtocols: [{ name: 'roundrobin', metadata: Buffer.from([0, 1, 2]) }],
    },
    expected: () => ({
      groupId: 'g',
      sessionTimeoutMs: 30000,
      rebalanceTimeoutMs: 60000,
      memberId: '',
      groupInstanceId: 'instance-1',
      protocolType: 'consumer',
      protocols: [{ name: 'roundrobin', metadata: Buffer.from([0, 1, 2]) }],
    }),
  },
  [ApiKey.Heartbeat]: {
    args: { groupId: 'g', groupGenerationId: 4, memberId: 'm-1', groupInstanceId: 'instance-1' },
    expected: () => ({ groupId: 'g', generationId: 4, memberId: 'm-1', groupInstanceId: 'instance-1' }),
  },
  [ApiKey.LeaveGroup]: {
    args: { groupId: 'g', memberId: 'm-1', groupInstanceId: 'instance-1' },
    expected: () => ({
      groupId: 'g',
      memberId: 'm-1',
      members: [{ memberId: 'm-1', groupInstanceId: 'instance-1' }],
    }),
  },
  [ApiKey.SyncGroup]: {
    args: {
      groupId: 'g',
      generationId: 4,
      memberId: 'm-1',
      groupInstanceId: 'instance-1',
      groupAssignment: [{ memberId: 'm-1', memberAssignment: Buffer.from([9, 9]) }],
    },
    expected: () => ({
      groupId: 'g',
      generationId: 4,
      memberId: 'm-1',
      groupInstanceId: 'instance-1',
      assignments: [{ memberId: 'm-1', assignment: Buffer.from([9, 9]) }],
    }),
  },
  [ApiKey.DescribeGroups]: {
    args: { groupIds: ['g1', 'g2'] },
    expected: () => ({ groups: ['g1', 'g2'] }),
  },
  [ApiKey.ListGroups]: { args: {}, expected: () => ({}) },
  [ApiKey.SaslHandshake]: { args: { mechanism: 'PLAIN' }, expected: () => ({ mechanism: 'PLAIN' }) },
  [ApiKey.ApiVersions]: { args: {}, expected: () => ({}) },
  [ApiKey.CreateTopics]: {
    args: {
      topics: [
        {
          topic: 'orders',
          numPartitions: 3,
          replicationFactor: 2,
          replicaAssignment: [{ partition: 0, replicas: [1, 2] }],
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
      validateOnly: true,
      timeout: 5000,
    },
    expected: () => ({
      topics: [
        {
          name: 'orders',
          numPartitions: 3,
          replicationFactor: 2,
          assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }],
          configs: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
      timeoutMs: 5000,
      validateOnly: true,
    }),
  },
  [ApiKey.DeleteTopics]: {
    args: { topics: ['a', 'b'], timeout: 5000 },
    expected: () => ({ topicNames: ['a', 'b'], timeoutMs: 5000 }),
  },
  [ApiKey.InitProducerId]: {
    args: { transactionalId: 'tx-1', transactionTimeout: 60000 },
    expected: () => ({ transactionalId: 'tx-1', transactionTimeoutMs: 60000 }),
  },
  [ApiKey.DescribeConfigs]: {
    args: { resources: [{ type: 2, name: 'orders', configNames: ['retention.ms'] }], includeSynonyms: true },
    expected: () => ({
      resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms'] }],
      includeSynonyms: true,
    }),
  },
  [ApiKey.SaslAuthenticate]: {
    // kafkajs's SASL mechanisms hand the request already-length-prefixed bytes
    args: { authBytes: new Writer().writeBytes(saslPlain).finish() },
    expected: () => ({ authBytes: saslPlain }),
  },
  [ApiKey.DeleteGroups]: {
    args: ['g1', 'g2'],
    expected: () => ({ groupsNames: ['g1', 'g2'] }),
  },
};

/** Error codes are zeroed: several kafkajs decoders throw on a failure code instead of returning it. */
function withoutErrors(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutErrors);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === 'errorCode' ? 0 : withoutErrors(v);
  return out;
}

/** Our body with int64s as decimal strings, the way kafkajs reports them. */
function int64AsString(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(int64AsString);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, int64AsString(v)]));
}

type Json = Record<string, unknown>;

/** Renames kafkajs's keys to ours at every depth, and maps its throttle reporting back to the wire field. */
function renamed(value: unknown, names: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => renamed(v, names));
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  const obj = value as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'throttleTime' || k === 'clientSideThrottleTime') continue;
    out[names[k] ?? k] = renamed(v, names);
  }
  // kafkajs reports the broker's throttle as clientSideThrottleTime (and sets throttleTime to 0) from v1/v2 on;
  // its DeleteGroups v1 leaves clientSideThrottleTime undefined (it reads the v0 field under the wrong name)
  if (obj.clientSideThrottleTime !== undefined) out.throttleTimeMs = obj.clientSideThrottleTime;
  else if ('throttleTime' in obj && !('throttleTimeMs' in obj)) out.throttleTimeMs = obj.throttleTime;
  return out;
}

const byName = (a: unknown, b: unknown) => String((a as Json).name).localeCompare(String((b as Json).name));

/** Maps kafkajs's decoded response to our body shape (and, where kafkajs reorders, our body to match). */
const RESPONSE_ADAPTERS: Record<number, (theirs: Json, ours: Json) => { theirs: unknown; ours: unknown }> = {
  [ApiKey.Produce]: (t, o) => ({
    theirs: renamed(t, {
      topics: 'responses',
      topicName: 'name',
      partitions: 'partitionResponses',
      partition: 'index',
      logAppendTime: 'logAppendTimeMs',
      // v0-2: kafkajs's names for the same two fields
      offset: 'baseOffset',
      timestamp: 'logAppendTimeMs',
    }),
    ours: o,
  }),
  [ApiKey.Fetch]: (t, o) => ({
    theirs: renamed(t, {
      topicName: 'topic',
      partition: 'partitionIndex',
      lastStartOffset: 'logStartOffset',
      messages: 'records',
    }),
    // kafkajs decodes records into messages and reads a null aborted-transactions list as empty
    ours: {
      ...o,
      responses: (o.responses as Json[]).map((r) => ({
        ...r,
        partitions: (r.partitions as Json[]).map((p) => ({
          ...p,
          abortedTransactions: p.abortedTransactions ?? [],
          records:
            p.records === null
              ? []
              : [expect.objectContaining({ key: Buffer.from('k'), value: Buffer.from('v') })],
        })),
      })),
    },
  }),
  [ApiKey.ListOffsets]: (t, o) => ({
    // v0's offsets array is old_style_offsets
    theirs: renamed(t, {
      responses: 'topics',
      topic: 'name',
      partition: 'partitionIndex',
      offsets: 'oldStyleOffsets',
    }),
    ours: o,
  }),
  [ApiKey.Metadata]: (t, o) => ({
    theirs: renamed(t, {
      topicMetadata: 'topics',
      topicErrorCode: 'errorCode',
      topic: 'name',
      partitionMetadata: 'partitions',
      partitionErrorCode: 'errorCode',
      partitionId: 'partitionIndex',
      leader: 'leaderId',
      replicas: 'replicaNodes',
      isr: 'isrNodes',
    }),
    ours: o,
  }),
  [ApiKey.OffsetCommit]: (t, o) => ({
    theirs: renamed(t, { responses: 'topics', topic: 'name', partition: 'partitionIndex' }),
    ours: o,
  }),
  [ApiKey.OffsetFetch]: (t, o) => ({
    theirs: renamed(t, {
      responses: 'topics',
      topic: 'name',
      partition: 'partitionIndex',
      offset: 'committedOffset',
    }),
    ours: o,
  }),
  [ApiKey.FindCoordinator]: (t, o) => {
    const { coordinator, ...rest } = renamed(t, {}) as Json;
    return { theirs: { ...rest, ...(coordinator as Json) }, ours: o };
  },
  [ApiKey.JoinGroup]: (t, o) => ({
    theirs: renamed(t, { groupProtocol: 'protocolName', leaderId: 'leader', memberMetadata: 'metadata' }),
    ours: o,
  }),
  [ApiKey.SyncGroup]: (t, o) => ({ theirs: renamed(t, { memberAssignment: 'assignment' }), ours: o }),
  [ApiKey.DescribeGroups]: (t, o) => ({
    theirs: renamed(t, { state: 'groupState', protocol: 'protocolData' }),
    ours: o,
  }),
  [ApiKey.SaslHandshake]: (t, o) => ({ theirs: renamed(t, { enabledMechanisms: 'mechanisms' }), ours: o }),
  [ApiKey.ApiVersions]: (t, o) => ({ theirs: renamed(t, { apiVersions: 'apiKeys' }), ours: o }),
  [ApiKey.CreateTopics]: (t, o) => ({
    theirs: renamed(t, { topicErrors: 'topics', topic: 'name' }),
    ours: { ...o, topics: [...(o.topics as Json[])].sort(byName) }, // kafkajs sorts by topic name
  }),
  [ApiKey.DeleteTopics]: (t, o) => ({
    theirs: renamed(t, { topicErrors: 'responses', topic: 'name' }),
    ours: { ...o, responses: [...(o.responses as Json[])].sort(byName) },
  }),
  [ApiKey.DescribeConfigs]: (t, o) => {
    const theirs = renamed(t, {
      resources: 'results',
      configEntries: 'configs',
      configName: 'name',
      configValue: 'value',
      configSynonyms: 'synonyms',
    }) as Json;
    for (const r of theirs.results as Json[]) {
      for (const c of r.configs as Json[]) {
        c.synonyms = (c.synonyms as Json[] | undefined)?.map(({ configSource, ...s }) => ({
          ...s,
          source: configSource,
        }));
      }
    }
    return { theirs, ours: o };
  },
  [ApiKey.SaslAuthenticate]: (t, o) => ({
    // kafkajs hands SASL mechanisms the auth bytes with their int32 length prefix still on
    theirs: { ...(renamed(t, {}) as Json), authBytes: (t.authBytes as Buffer).subarray(4) },
    ours: o,
  }),
};

describe('kafkajs encodes requests, sluice decodes them', () => {
  for (const api of API_DESCRIPTORS) {
    const fixture = REQUEST_FIXTURES[api.apiKey];
    if (!fixture) continue;
    for (const version of sharedVersions(api.apiKey)) {
      it(`${api.name} v${version}`, async () => {
        const { request } = kafkajsProtocol(api.apiKey).protocol({ version })(fixture.args);
        const bytes = (await request.encode()).buffer;
        const decoded = decodeRequestBody(api.apiKey as ApiKey, version, bytes) as Record<string, unknown>;
        expect(decoded).toEqual(
          projectToVersion(api.request.fields, version, false, fixture.expected(version)),
        );
      });
    }
  }

  it('covers every API kafkajs implements in our ranges', () => {
    const covered = API_DESCRIPTORS.filter(
      (a) => REQUEST_FIXTURES[a.apiKey] && sharedVersions(a.apiKey).length > 0,
    );
    expect(covered.length).toBe(21); // all but OffsetForLeaderEpoch, which kafkajs does not implement
  });
});

describe('sluice encodes responses, kafkajs decodes them', () => {
  for (const api of API_DESCRIPTORS) {
    if (!KAFKAJS_DIRS[api.apiKey]) continue;
    for (const version of sharedVersions(api.apiKey)) {
      it(`${api.name} v${version}`, async () => {
        const { response } = kafkajsProtocol(api.apiKey).protocol({ version })(
          REQUEST_FIXTURES[api.apiKey]!.args,
        );
        const batch = await kafkajsRecordBatch();
        const arbitrary = messageArbitrary(api.response, version).map(
          (b) => withoutErrors(withValidRecords(b, batch)) as Json,
        );
        await fc.assert(
          fc.asyncProperty(arbitrary, async (body) => {
            const bytes = encodeResponseBody(api.apiKey as ApiKey, version, body as never);
            const decoded = (await response.decode(bytes)) as Json;
            const adapt =
              RESPONSE_ADAPTERS[api.apiKey] ?? ((t: Json, o: Json) => ({ theirs: renamed(t, {}), ours: o }));
            const { theirs, ours } = adapt(decoded, int64AsString(body) as Json);
            expect(theirs).toMatchObject(ours as Json);
          }),
          { numRuns: 15 },
        );
      });
    }
  }
});

/** A real magic-2 batch (key 'k', value 'v') as kafkajs writes it, taken from its Produce request. */
let cachedBatch: Buffer | undefined;
async function kafkajsRecordBatch(): Promise<Buffer> {
  if (cachedBatch) return cachedBatch;
  const { request } = kafkajsProtocol(ApiKey.Produce).protocol({ version: 7 })(
    REQUEST_FIXTURES[ApiKey.Produce]!.args,
  );
  const body = decodeRequestBody(ApiKey.Produce, 7, (await request.encode()).buffer);
  cachedBatch = Buffer.from(body.topicData[0]!.partitionData[0]!.records!);
  return cachedBatch;
}

/** Random bytes are not records; swap every non-null `records` for a real batch. */
function withValidRecords(value: unknown, batch: Buffer): unknown {
  if (Array.isArray(value)) return value.map((v) => withValidRecords(v, batch));
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === 'records' && v !== null ? batch : withValidRecords(v, batch),
    ]),
  );
}
