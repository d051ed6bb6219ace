import { describe, expect, it } from 'vitest';
import { coordinatorIdFor } from '../../../../broker/group-coordinator/coordinator-choice.js';
import {
  ConsumerGroup,
  type JoinRequest,
  type JoinResult,
  type SyncResult,
} from '../../../../broker/group-coordinator/group.js';
import { ErrorCode } from '../../../../protocol/errors.js';
import { waitFor } from '../../../support/wait.js';

const request = (overrides: Partial<JoinRequest> = {}): JoinRequest => ({
  memberId: '',
  groupInstanceId: null,
  clientId: 'client',
  clientHost: '',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 10_000,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: Buffer.from('m') }],
  requireKnownMemberId: true,
  ...overrides,
});

function join(group: ConsumerGroup, overrides: Partial<JoinRequest> = {}): Promise<JoinResult> {
  return new Promise((resolve) => group.join(request(overrides), resolve));
}

function sync(
  group: ConsumerGroup,
  memberId: string,
  generation: number,
  assignments: Array<{ memberId: string; assignment: Buffer }> = [],
  groupInstanceId: string | null = null,
): Promise<SyncResult> {
  return new Promise((resolve) => group.sync(memberId, generation, assignments, resolve, groupInstanceId));
}

/** First-join handshake (MEMBER_ID_REQUIRED) and the join proper. */
async function joinNew(
  group: ConsumerGroup,
  overrides: Partial<JoinRequest> = {},
): Promise<{ id: string; joined: Promise<JoinResult> }> {
  const first = await join(group, overrides);
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  expect(first.memberId).toMatch(/^client-[0-9a-f-]{36}$/);
  return { id: first.memberId, joined: join(group, { ...overrides, memberId: first.memberId }) };
}

describe('ConsumerGroup', () => {
  it('forms a generation, gives the leader the members, distributes the assignment', async () => {
    const group = new ConsumerGroup('g', { initialRebalanceDelayMs: 50 });
    const a = await joinNew(group);
    const b = await joinNew(group);
    const [ja, jb] = await Promise.all([a.joined, b.joined]);
    expect(group.state).toBe('CompletingRebalance');
    expect(ja.generationId).toBe(1);
    expect(jb.generationId).toBe(1);
    expect(ja.leader).toBe(a.id);
    expect(ja.members.map((m) => m.memberId).sort()).toEqual([a.id, b.id].sort());
    expect(jb.members).toEqual([]);
    expect(ja.protocolName).toBe('range');
    const followerSync = sync(group, b.id, 1);
    const leaderSync = sync(group, a.id, 1, [
      { memberId: a.id, assignment: Buffer.from('A') },
      { memberId: b.id, assignment: Buffer.from('B') },
    ]);
    expect((await leaderSync).assignment.toString()).toBe('A');
    expect((await followerSync).assignment.toString()).toBe('B');
    expect(group.state).toBe('Stable');
    expect(group.heartbeat(b.id, 1)).toBe(0);
    expect(group.heartbeat(b.id, 0)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(group.heartbeat('nobody', 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    group.shutdown(ErrorCode.NOT_COORDINATOR);
  });

  it('a new member makes heartbeats answer REBALANCE_IN_PROGRESS; a leave shrinks the group', async () => {
    const group = new ConsumerGroup('g', { initialRebalanceDelayMs: 0 });
    const a = await joinNew(group);
    const ja = await a.joined;
    await sync(group, a.id, ja.generationId, [{ memberId: a.id, assignment: Buffer.from('x') }]);
    const b = await joinNew(group);
    expect(group.state).toBe('PreparingRebalance');
    expect(group.heartbeat(a.id, ja.generationId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(group.commitError(a.id, ja.generationId)).toBe(0);
    const rejoin = join(group, { memberId: a.id });
    const [ra, rb] = await Promise.all([rejoin, b.joined]);
    expect(ra.generationId).toBe(ja.generationId + 1);
    expect(rb.generationId).toBe(ra.generationId);
    expect(group.commitError(a.id, ja.generationId)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(group.leave(b.id, null)).toBe(0);
    expect(group.state).toBe('PreparingRebalance');
    expect(group.members.size).toBe(1);
    group.shutdown(ErrorCode.NOT_COORDINATOR);
  });

  it('rejects unknown member ids, mismatched protocols, and simple commits while members exist', async () => {
    const group = new ConsumerGroup('g', { initialRebalanceDelayMs: 0 });
    expect((await join(group, { memberId: 'made-up' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(group.commitError('', -1)).toBe(0);
    const a = await joinNew(group);
    await a.joined;
    const other = await join(group, { protocols: [{ name: 'other', metadata: Buffer.alloc(0) }] });
    expect(other.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(group.commitError('', -1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    group.shutdown(ErrorCode.NOT_COORDINATOR);
  });

  it('expires a member whose session runs out', async () => {
    const group = new ConsumerGroup('g', { initialRebalanceDelayMs: 0 });
    const a = await joinNew(group, { sessionTimeoutMs: 100 });
    const ja = await a.joined;
    await sync(group, a.id, ja.generationId, []);
    await waitFor(() => group.state === 'Empty' && group.members.size === 0, { what: 'session expiry' });
    group.shutdown(ErrorCode.NOT_COORDINATOR);
  });

  it('v0-3 joins get a member id at once', async () => {
    const group = new ConsumerGroup('g', { initialRebalanceDelayMs: 0 });
    const joined = await join(group, { requireKnownMemberId: false });
    expect(joined.errorCode).toBe(0);
    expect(joined.leader).toBe(joined.memberId);
    group.shutdown(ErrorCode.NOT_COORDINATOR);
  });
});

/** A consumer-protocol subscription (version 0): the topics, no user data. */
function subscription(...topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1]!.writeInt32BE(topics.length);
  for (const t of topics) {
    const length = Buffer.alloc(2);
    length.writeInt16BE(Buffer.byteLength(t));
    parts.push(length, Buffer.from(t));
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff])); // null user data
  return Buffer.concat(parts);
}

/** Two static members s1 (leader) and s2 in a Stable group, with assignments "A" and "B". */
async function stableStaticPair(sessionTimeoutMs = 10_000) {
  const group = new ConsumerGroup('g', { initialRebalanceDelayMs: 20 });
  // Static members get their id at once (no MEMBER_ID_REQUIRED round trip), as in Kafka.
  const [j1, j2] = await Promise.all([
    join(group, { groupInstanceId: 's1', sessionTimeoutMs }),
    join(group, { groupInstanceId: 's2', sessionTimeoutMs }),
  ]);
  expect([j1.errorCode, j2.errorCode]).toEqual([0, 0]);
  const leader = j1.leader === j1.memberId ? j1 : j2;
  const follower = leader === j1 ? j2 : j1;
  const assignments = [
    { memberId: j1.memberId, assignment: Buffer.from('A') },
    { memberId: j2.memberId, assignment: Buffer.from('B') },
  ];
  await Promise.all([
    sync(group, leader.memberId, leader.generationId, assignments),
    sync(group, follower.memberId, follower.generationId),
  ]);
  expect(group.state).toBe('Stable');
  return { group, s1: j1, s2: j2, generation: j1.generationId };
}

describe('static members (KIP-345)', () => {
  it('a restarted static member takes its old place and assignment without a rebalance', async () => {
    const { group, s1, s2, generation } = await stableStaticPair();
    const restarted = await join(group, { groupInstanceId: 's1', clientId: 'again' });
    expect(restarted.errorCode).toBe(0);
    expect(restarted.memberId).not.toBe(s1.memberId);
    expect(restarted.generationId).toBe(generation);
    // The old leader id is answered: the new incarnation does not compute an assignment.
    expect(restarted.leader).toBe(s1.leader);
    expect(restarted.members).toEqual([]);
    expect(group.state).toBe('Stable');
    expect((await sync(group, restarted.memberId, generation, [], 's1')).assignment.toString()).toBe('A');
    expect(group.heartbeat(s2.memberId, generation, 's2')).toBe(0);
    expect(group.members.size).toBe(2);
    // The old incarnation is fenced everywhere.
    expect(group.heartbeat(s1.memberId, generation, 's1')).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(group.commitError(s1.memberId, generation, 's1')).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await sync(group, s1.memberId, generation, [], 's1')).errorCode).toBe(
      ErrorCode.FENCED_INSTANCE_ID,
    );
    expect((await join(group, { memberId: s1.memberId, groupInstanceId: 's1' })).errorCode).toBe(
      ErrorCode.FENCED_INSTANCE_ID,
    );
    expect(group.leave(s1.memberId, 's1')).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(group.state).toBe('Stable');
    group.shutdown(ErrorCode.NOT_COORDINATOR);
  });

  it('a restarted static member with another subscription makes the group rebalance', async () => {
    const { group, s2, generation } = await stableStaticPair();
    const restarted = join(group, {
      groupInstanceId: 's1',
      protocols: [{ name: 'range', metadata: subscription('t', 'u') }],
    });
    expect(group.state).toBe('PreparingRebalance');
    expect(group.heartbeat(s2.memberId, generation, 's2')).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const [r1, r2] = await Promise.all([
      restarted,
      join(group, { memberId: s2.memberId, groupInstanceId: 's2' }),
    ]);
    expect(r1.generationId).toBe(generation + 1);
    expect(r2.generationId).toBe(generation + 1);
    group.shutdown(ErrorCode.NOT_COORDINATOR);
  });

  it('LeaveGroup by instance id; an unknown instance is UNKNOWN_MEMBER_ID', async () => {
    const { group, s2 } = await stableStaticPair();
    expect(group.leave('', 'nobody')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(group.leave('', 's2')).toBe(0);
    expect(group.members.has(s2.memberId)).toBe(false);
    expect(group.staticMembers.has('s2')).toBe(false);
    expect(group.state).toBe('PreparingRebalance');
    group.shutdown(ErrorCode.NOT_COORDINATOR);
  });

  it('a static member that stops without leaving is removed at its session timeout', async () => {
    const { group, s1, s2, generation } = await stableStaticPair(300);
    const startedAt = Date.now();
    // s2 keeps heartbeating; s1 is silent.
    const beat = setInterval(() => group.heartbeat(s2.memberId, generation, 's2'), 50);
    try {
      await waitFor(() => !group.members.has(s1.memberId), { what: 's1 expired' });
    } finally {
      clearInterval(beat);
    }
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
    expect(group.staticMembers.has('s1')).toBe(false);
    group.shutdown(ErrorCode.NOT_COORDINATOR);
  });
});

describe('coordinatorIdFor', () => {
  it('is deterministic, order-independent and picks a live broker', () => {
    for (const g of ['a', 'group-1', 'orders', 'x'.repeat(200)]) {
      const id = coordinatorIdFor(g, [3, 1, 2]);
      expect([1, 2, 3]).toContain(id);
      expect(coordinatorIdFor(g, [1, 2, 3])).toBe(id);
    }
    expect(coordinatorIdFor('g', [])).toBeNull();
    const spread = new Set(Array.from({ length: 60 }, (_, i) => coordinatorIdFor(`g${i}`, [1, 2, 3])));
    expect(spread.size).toBe(3);
  });
});
