import { describe, expect, it } from 'vitest';
import { coordinatorIdFor } from '../../../broker/group-coordinator/coordinator-choice.js';
import {
  ConsumerGroup,
  type JoinRequest,
  type JoinResult,
  type SyncResult,
} from '../../../broker/group-coordinator/group.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { waitFor } from '../../support/wait.js';

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
): Promise<SyncResult> {
  return new Promise((resolve) => group.sync(memberId, generation, assignments, resolve));
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
