import { afterEach, describe, expect, it } from 'vitest';
import { joinGroupHandler } from '../../../../broker/api/join-group.js';
import { coordinatorIdFor } from '../../../../broker/group-coordinator/coordinator-choice.js';
import { ErrorCode } from '../../../../protocol/errors.js';
import type { JoinGroupRequest } from '../../../../protocol/index.js';
import {
  BROKER_ID,
  callHandler,
  startInMemoryBroker,
  type InMemoryBroker,
} from '../../../support/in-memory-broker.js';

let broker: InMemoryBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

function joinRequest(groupId: string, overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('subscription') }],
    ...overrides,
  };
}

/** A group id that hashes to `brokerId` among `live`. */
function groupOn(brokerId: number, live: number[], prefix: string): string {
  for (let i = 0; ; i++) if (coordinatorIdFor(`${prefix}-${i}`, live) === brokerId) return `${prefix}-${i}`;
}

describe('JoinGroup handler over in-memory services', () => {
  it('v4+: a member without an id gets MEMBER_ID_REQUIRED and its id, then joins with it and leads', async () => {
    broker = await startInMemoryBroker({ 'group.initial.rebalance.delay.ms': '0' });
    const first = await callHandler(joinGroupHandler, broker.services, 5, joinRequest('orders'));
    expect(first).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, generationId: -1 });
    expect(first!.memberId).toMatch(/^handler-test-/);

    const joined = await callHandler(
      joinGroupHandler,
      broker.services,
      5,
      joinRequest('orders', { memberId: first!.memberId }),
    );
    expect(joined).toMatchObject({
      throttleTimeMs: 0,
      errorCode: 0,
      generationId: 1,
      protocolName: 'range',
      leader: first!.memberId,
      memberId: first!.memberId,
    });
    expect(joined!.members.map((m) => [m.memberId, String(m.metadata)])).toEqual([
      [first!.memberId, 'subscription'],
    ]);
    expect(broker.services.groupCoordinator.group('orders')?.state).toBe('CompletingRebalance');
  });

  it('v0-v3 join at once (no member id round trip); v0 uses the session timeout as rebalance timeout', async () => {
    broker = await startInMemoryBroker({ 'group.initial.rebalance.delay.ms': '0' });
    const joined = await callHandler(
      joinGroupHandler,
      broker.services,
      0,
      joinRequest('legacy', { rebalanceTimeoutMs: undefined }),
    );
    expect(joined).toMatchObject({ errorCode: 0, generationId: 1 });
    expect(joined!.leader).toBe(joined!.memberId);
  });

  it('refuses what this coordinator cannot take: another broker’s group, bad session timeouts, no id', async () => {
    const live = [BROKER_ID, 2];
    broker = await startInMemoryBroker({ 'group.initial.rebalance.delay.ms': '0' }, live);
    const errorOf = async (request: JoinGroupRequest) =>
      (await callHandler(joinGroupHandler, broker!.services, 5, request))!.errorCode;
    expect(await errorOf(joinRequest(groupOn(2, live, 'elsewhere')))).toBe(ErrorCode.NOT_COORDINATOR);
    const here = groupOn(BROKER_ID, live, 'here');
    expect(await errorOf(joinRequest(here, { sessionTimeoutMs: 1 }))).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect(await errorOf(joinRequest(here, { sessionTimeoutMs: 86_400_000 }))).toBe(
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    expect(await errorOf(joinRequest(''))).toBe(ErrorCode.INVALID_GROUP_ID);
    // Nothing was created for the refused joins.
    expect(broker.services.groupCoordinator.group(here)).toBeUndefined();
  });
});
