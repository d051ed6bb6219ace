import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../broker/broker.js';
import { resolveBrokerConfig } from '../../broker/config.js';
import { coordinatorIdFor } from '../../broker/group-coordinator/coordinator-choice.js';
import { ClusterState } from '../../coordinator/cluster-state.js';
import { ZooKeeperSession } from '../../coordinator/zk-session.js';
import { ErrorCode } from '../../protocol/errors.js';
import { waitFor } from '../support/wait.js';
import {
  createTopic,
  RawKafkaConnection,
  startBrokerHarness,
  type BrokerHarness,
} from '../support/broker-test-support.js';

/**
 * The group APIs on the wire, two in-process brokers on one embedded coordinator: FindCoordinator
 * agrees on both brokers, the other broker answers NOT_COORDINATOR, the v4+ MEMBER_ID_REQUIRED
 * handshake, Join/Sync/Heartbeat, commit validation and metadata, OffsetFetch of all topics,
 * List/Describe, DeleteGroups refusing a group with members, batched LeaveGroup.
 */
let harness: BrokerHarness;
let broker2: Broker;
let c1: RawKafkaConnection;
let c2: RawKafkaConnection;
let session: ZooKeeperSession;

beforeAll(async () => {
  harness = await startBrokerHarness({ 'group.initial.rebalance.delay.ms': '0' });
  broker2 = await startBroker(
    resolveBrokerConfig(
      new Map(
        Object.entries({
          'broker.id': '2',
          listeners: 'PLAINTEXT://127.0.0.1:0',
          'log.dirs': join(harness.dataDir, 'logs-2'),
          'zookeeper.connect': harness.zk.connectionString,
        }),
      ),
    ),
  );
  c1 = await RawKafkaConnection.open(harness.port);
  c2 = await RawKafkaConnection.open(broker2.listeners[0]!.port);
  session = await ZooKeeperSession.connect(harness.zk.connectionString);
  for (const c of [c1, c2]) {
    await waitFor(async () => (await c.request(3, 1, { topics: [] })).brokers.length === 2, {
      what: 'both brokers live',
    });
  }
  // Commits for partitions the cluster does not have are refused (3): the offsets below go to 't'.
  expect(await createTopic(c1, 't', 2)).toBe(0);
}, 60_000);

afterAll(async () => {
  c1?.socket.destroy();
  c2?.socket.destroy();
  await session?.close();
  await broker2?.close();
  await harness?.stop();
});

/** A group id whose coordinator is `id` among brokers 1 and 2. */
const groupOn = (id: number, prefix: string) => {
  for (let i = 0; ; i++) if (coordinatorIdFor(`${prefix}-${i}`, [1, 2]) === id) return `${prefix}-${i}`;
};

it('serves a group end to end on its coordinator and redirects from the other broker', async () => {
  const group = groupOn(1, 'proto');
  const elsewhere = groupOn(2, 'proto');

  const v0 = await c2.request(10, 0, { key: group });
  expect(v0).toMatchObject({ errorCode: 0, nodeId: 1, port: harness.port });
  const v4 = await c1.request(10, 4, { keyType: 0, coordinatorKeys: [group, elsewhere] });
  expect(v4.coordinators?.map((c) => c.nodeId)).toEqual([1, 2]);

  const join = {
    groupId: group,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('meta') }],
  };
  expect((await c2.request(11, 5, join)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  const first = await c1.request(11, 5, join);
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  expect(first.memberId).toMatch(/^broker-test-/);
  const joined = await c1.request(11, 5, { ...join, memberId: first.memberId });
  expect(joined).toMatchObject({
    errorCode: 0,
    generationId: 1,
    leader: first.memberId,
    protocolName: 'range',
  });
  expect(joined.members.map((m) => m.metadata.toString())).toEqual(['meta']);
  const memberId = first.memberId;

  const synced = await c1.request(14, 3, {
    groupId: group,
    generationId: 1,
    memberId,
    groupInstanceId: null,
    assignments: [{ memberId, assignment: Buffer.from('mine') }],
  });
  expect(synced).toMatchObject({ errorCode: 0 });
  expect(synced.assignment.toString()).toBe('mine');
  expect((await c1.request(12, 3, { groupId: group, generationId: 1, memberId })).errorCode).toBe(0);
  expect((await c2.request(12, 3, { groupId: group, generationId: 1, memberId })).errorCode).toBe(
    ErrorCode.NOT_COORDINATOR,
  );

  const commit = (generationIdOrMemberEpoch: number, offset: bigint, metadata: string) =>
    c1.request(8, 8, {
      groupId: group,
      generationIdOrMemberEpoch,
      memberId,
      groupInstanceId: null,
      topics: [
        {
          name: 't',
          partitions: [{ partitionIndex: 0, committedOffset: offset, committedMetadata: metadata }],
        },
      ],
    });
  expect((await commit(1, 42n, 'hello')).topics[0]!.partitions[0]!.errorCode).toBe(0);
  expect((await commit(7, 43n, '')).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
  expect(await new ClusterState(session).readOffset(group, { topic: 't', partition: 0 })).toBe(42n);

  const all = await c1.request(9, 8, { groups: [{ groupId: group, topics: null }], requireStable: false });
  expect(all.groups?.[0]?.topics[0]).toMatchObject({
    name: 't',
    partitions: [{ partitionIndex: 0, committedOffset: 42n, metadata: 'hello', errorCode: 0 }],
  });
  const v1 = await c1.request(9, 1, { groupId: group, topics: [{ name: 't', partitionIndexes: [0, 1] }] });
  expect(v1.topics?.[0]?.partitions.map((p) => p.committedOffset)).toEqual([42n, -1n]);

  const listed = await c1.request(16, 4, { statesFilter: [] });
  expect(listed.groups).toContainEqual({ groupId: group, protocolType: 'consumer', groupState: 'Stable' });
  const described = await c1.request(15, 5, { groups: [group], includeAuthorizedOperations: false });
  expect(described.groups[0]).toMatchObject({ groupState: 'Stable', protocolData: 'range' });
  expect(described.groups[0]!.members.map((m) => m.clientId)).toEqual(['broker-test']);

  expect((await c1.request(42, 2, { groupsNames: [group] })).results[0]!.errorCode).toBe(
    ErrorCode.NON_EMPTY_GROUP,
  );
  const left = await c1.request(13, 4, { groupId: group, members: [{ memberId, groupInstanceId: null }] });
  expect(left.members?.[0]?.errorCode).toBe(0);
  expect((await c1.request(42, 2, { groupsNames: [group] })).results[0]!.errorCode).toBe(0);
  expect((await new ClusterState(session).readGroupOffsets(group)).size).toBe(0);
  expect((await c1.request(42, 2, { groupsNames: [group] })).results[0]!.errorCode).toBe(
    ErrorCode.GROUP_ID_NOT_FOUND,
  );
}, 60_000);
